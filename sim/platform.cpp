#include "sim/platform.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h> // fmt::join (in format.h before fmt 11)
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>
#include <simgrid/s4u/NetZone.hpp>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/limits.hpp"
#include "core/number.hpp"
#include "sim/embedded.hpp"
#include "sim/platform_gen.hpp"

namespace resist::sim {

const std::vector<std::string>& param_names() {
  static const std::vector<std::string> names = {"collective_latency_s", "group_create_s", "group_create_per_peer_s",
                                                 "group_init_s", "group_init_exponent", "comm_compute_slowdown",
                                                 "ddp_step_cv", "ddp_step_cv_net", "input_img_per_s", "nccl_net_latency_s",
                                                 "nccl_chunk_intra_s", "nccl_chunk_net_s"};
  return names;
}

void set_param(PlatformParams& p, const std::string& name, double value) {
  if (name == "input_img_per_s") { // a rate, not a duration
    if (!(value >= 0) || !(value <= 1e9))
      throw InputError(fmt::format("platform parameter input_img_per_s = {}: must be in [0, 1e9] images/s", value));
    p.input_img_per_s = value;
    return;
  }
  // Above a day per operation, SimGrid's clock arithmetic overflows (abort), and no network is that slow.
  if (!(value >= 0) || !(value <= 86400))
    throw InputError(fmt::format("platform parameter {} = {}: must be in [0, 86400] seconds", name, value));
  if (name == "collective_latency_s") p.collective_latency_s = value;
  else if (name == "group_create_s") p.group_create_s = value;
  else if (name == "group_create_per_peer_s") p.group_create_per_peer_s = value;
  else if (name == "group_init_s") p.group_init_s = value;
  else if (name == "group_init_exponent") p.group_init_exponent = value;
  else if (name == "comm_compute_slowdown") p.comm_compute_slowdown = value;
  else if (name == "ddp_step_cv") p.ddp_step_cv = value;
  else if (name == "ddp_step_cv_net") p.ddp_step_cv_net = value;
  else if (name == "nccl_net_latency_s") p.nccl_net_latency_s = value;
  else if (name == "nccl_chunk_intra_s") p.nccl_chunk_intra_s = value;
  else if (name == "nccl_chunk_net_s") p.nccl_chunk_net_s = value;
  else
    throw InputError(fmt::format("unknown platform parameter '{}' (known: {})", name, fmt::join(param_names(), ", ")));
}

namespace {

std::string strip_extension(const std::string& name) {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(0, dot);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

double parse_number(const std::string& key, const std::string& value, const std::string& origin) {
  return parse_double(value, fmt::format("{}: {} =", origin, key)); // finite; ranges are check_spec's
}

int parse_count(const std::string& key, const std::string& value, const std::string& origin, int max) {
  return static_cast<int>(parse_int(value, fmt::format("{}: {} =", origin, key), 0, max));
}

std::vector<int> parse_int_list(const std::string& key, const std::string& value, const std::string& origin) {
  std::vector<int> out;
  std::stringstream ss(value);
  std::string item;
  while (std::getline(ss, item, ';')) out.push_back(parse_count(key, item, origin, limits::kWorkers));
  return out;
}

/// A ';'-separated list of seconds (a TOML array's text), each in the range set_param allows; not empty.
std::vector<double> parse_seconds_list(const std::string& key, const std::string& value, const std::string& origin) {
  std::vector<double> out;
  std::stringstream ss(value);
  std::string item;
  while (std::getline(ss, item, ';')) {
    const double v = parse_number(key, item, origin);
    if (!(v >= 0) || !(v <= 86400))
      throw InputError(fmt::format("{}: {} value {}: must be in [0, 86400] seconds", origin, key, v));
    out.push_back(v);
  }
  if (out.empty()) throw InputError(fmt::format("{}: {} is empty", origin, key));
  return out;
}

bool parse_bool(const std::string& key, const std::string& value, const std::string& origin) {
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  throw InputError(fmt::format("{}: {} = '{}': expected true or false", origin, key, value));
}

/// Applies one key of a parametric description (string form of its value).
void set_spec_key(PlatformDesc& d, const std::string& key, const std::string& value) {
  ParametricSpec& s = d.spec;
  const std::string& o = d.origin;
  auto num = [&] { return parse_number(key, value, o); };
  d.keys.push_back(key);
  if (key == "nodes") s.nodes = parse_count(key, value, o, limits::kParametricNodes);
  else if (key == "gpus_per_node") s.gpus_per_node = parse_count(key, value, o, limits::kGpusPerNode);
  else if (key == "gpu") s.gpu = value;
  else if (key == "intra_bw_GBps") s.intra_bw_GBps = num();
  else if (key == "intra_latency_us") s.intra_latency_us = num();
  else if (key == "intra_efficiency") s.intra_efficiency = num();
  else if (key == "nvswitch") s.nvswitch = parse_bool(key, value, o);
  else if (key == "intra_link") s.intra_link = value;
  else if (key == "nvlink_bridge_GBps") s.nvlink_bridge_GBps = num();
  else if (key == "nic_bw_GBps") s.nic_bw_GBps = num();
  else if (key == "nic_efficiency") s.nic_efficiency = num();
  else if (key == "nics_per_node") s.nics_per_node = parse_count(key, value, o, 1024);
  else if (key == "inter_latency_us") s.inter_latency_us = num();
  else if (key == "topology") s.topology = value;
  else if (key == "nodes_per_leaf") s.nodes_per_leaf = parse_count(key, value, o, limits::kParametricNodes);
  else if (key == "oversubscription") s.oversubscription = num();
  else if (key == "slow_workers") s.slow_workers = parse_int_list(key, value, o);
  else if (key == "slow_factor") s.slow_factor = num();
  else if (key == "cores_per_node") s.cores_per_node = parse_count(key, value, o, 4096);
  else if (key == "group_create_measured_s") d.group_create_measured_s = parse_seconds_list(key, value, o);
  else if (std::find(param_names().begin(), param_names().end(), key) != param_names().end()) d.params[key] = num();
  else if (key == "name" || key == "description" || key == "source") {
  } else
    throw InputError(fmt::format("{}: unknown platform key '{}'", o, key));
}

void check_spec(const PlatformDesc& d) {
  const ParametricSpec& s = d.spec;
  if (s.nodes < 0 || s.gpus_per_node < 1 || s.nics_per_node < 1 || s.nodes_per_leaf < 1 || s.cores_per_node < 0)
    throw InputError(fmt::format("{}: nodes >= 0, cores_per_node >= 0, gpus_per_node, nics_per_node, nodes_per_leaf >= 1",
                                 d.origin));
  if (s.intra_bw_GBps <= 0 || s.nic_bw_GBps <= 0 || s.oversubscription <= 0 || s.slow_factor <= 0)
    throw InputError(fmt::format("{}: bandwidths, oversubscription and slow_factor must be > 0", d.origin));
  if (!(s.intra_efficiency > 0 && s.intra_efficiency <= 1 && s.nic_efficiency > 0 && s.nic_efficiency <= 1))
    throw InputError(fmt::format("{}: intra_efficiency and nic_efficiency must be in (0, 1]", d.origin));
  if (s.intra_latency_us < 0 || s.inter_latency_us < 0)
    throw InputError(fmt::format("{}: latencies must be >= 0", d.origin));
  // Upper bounds keep SimGrid's arithmetic finite (bandwidth x 1e9 x NICs, latency x 1e-6).
  if (s.intra_bw_GBps > 1e6 || s.nic_bw_GBps > 1e6 || s.oversubscription > 1e6 || s.slow_factor > 1e6 ||
      s.intra_latency_us > 1e9 || s.inter_latency_us > 1e9)
    throw InputError(fmt::format("{}: bandwidths above 1e6 GB/s, latencies above 1e9 us, oversubscription or "
                                 "slow_factor above 1e6 are not physical", d.origin));
  if (s.topology != "star" && s.topology != "fat-tree")
    throw InputError(fmt::format("{}: topology '{}' (known: star, fat-tree)", d.origin, s.topology));
  // A GPU's share of the NICs must be whole: NIC g n / G for fewer NICs, n / G NICs of its own for more.
  if (s.gpus_per_node % s.nics_per_node != 0 && s.nics_per_node % s.gpus_per_node != 0)
    throw InputError(fmt::format("{}: nics_per_node {} with gpus_per_node {}: each GPU needs a whole share of the "
                                 "NICs (a divisor or a multiple of gpus_per_node)",
                                 d.origin, s.nics_per_node, s.gpus_per_node));
  if (s.intra_link != "nvlink" && s.intra_link != "pcie")
    throw InputError(fmt::format("{}: intra_link '{}' (known: nvlink, pcie)", d.origin, s.intra_link));
  if (s.nvlink_bridge_GBps < 0 || s.nvlink_bridge_GBps > 1e6)
    throw InputError(fmt::format("{}: nvlink_bridge_GBps {}: must be in [0, 1e6]", d.origin, s.nvlink_bridge_GBps));
  if (s.nvlink_bridge_GBps > 0 && (s.intra_link != "pcie" || s.gpus_per_node % 2 != 0))
    throw InputError(fmt::format("{}: nvlink_bridge_GBps pairs the GPUs of a PCIe node (intra_link = pcie, an even "
                                 "gpus_per_node)", d.origin));
}

std::string toml_value_text(const toml::node& n) {
  if (auto v = n.value<std::string>()) return *v;
  if (n.is_boolean()) return n.value<bool>().value_or(false) ? "true" : "false";
  if (auto v = n.value<double>()) return fmt::format("{}", *v);
  if (const auto* arr = n.as_array()) {
    std::string out;
    for (const auto& item : *arr) out += (out.empty() ? "" : ";") + toml_value_text(item);
    return out;
  }
  return "?";
}

/// Natural order: digit runs compare as numbers, so gpu2 < gpu10.
bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      // As numbers without converting (a 30-digit host id would overflow): fewer digits first.
      std::size_t za = i, zb = j;
      while (za + 1 < i2 && a[za] == '0') ++za;
      while (zb + 1 < j2 && b[zb] == '0') ++zb;
      const std::string da = a.substr(za, i2 - za), db = b.substr(zb, j2 - zb);
      if (da.size() != db.size()) return da.size() < db.size();
      if (da != db) return da < db;
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

std::string read_file(const std::string& path) { return read_input_file(path, "platform file"); }

void load_xml(simgrid::s4u::Engine& engine, const PlatformDesc& desc) {
  if (desc.xml.find("<platform") == std::string::npos)
    throw InputError(fmt::format("platform '{}' is not a SimGrid XML document (no <platform> element)", desc.origin));
  char path[] = "/tmp/resist-platform-XXXXXX.xml";
  const int fd = ::mkstemps(path, 4);
  if (fd < 0) throw Error("cannot create a temporary platform file");
  const bool ok = ::write(fd, desc.xml.data(), desc.xml.size()) == static_cast<ssize_t>(desc.xml.size());
  ::close(fd);
  try {
    if (!ok) throw Error("cannot write a temporary platform file");
    engine.load_platform(path);
  } catch (const std::exception& e) {
    std::remove(path);
    throw InputError(fmt::format("platform '{}' is malformed: {}", desc.origin, e.what()));
  }
  std::remove(path);
}

/// SimGrid aborts (not throws) on a zero, negative or NaN bandwidth once a transfer uses the link, so
/// every link of a loaded XML platform is checked here, where a message can still name it.
void check_links(simgrid::s4u::Engine& engine, const PlatformDesc& desc) {
  for (const auto* link : engine.get_all_links()) {
    const double bw = link->get_bandwidth(), lat = link->get_latency();
    if (!std::isfinite(bw) || !(bw > 0) || !std::isfinite(lat) || lat < 0)
      throw InputError(fmt::format("platform '{}': link {} has bandwidth {} B/s and latency {} s; bandwidth must "
                                   "be finite and > 0, latency finite and >= 0",
                                   desc.origin, link->get_name(), bw, lat));
  }
}

/// Every pair of workers needs a route. SimGrid 3.32 dereferences a missing route of a Full zone
/// (SIGSEGV) instead of throwing, so the pairs are probed in a forked process whose death names the pair.
void check_routes(const std::vector<simgrid::s4u::Host*>& hosts, const PlatformDesc& desc) {
  int fds[2];
  if (::pipe(fds) != 0) throw Error("cannot create a pipe to check the platform's routes");
  const pid_t pid = ::fork();
  if (pid < 0) throw Error("cannot fork to check the platform's routes");
  if (pid == 0) {
    ::close(fds[0]);
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, STDERR_FILENO); // the crash report is ours to summarize
    for (std::size_t i = 0; i < hosts.size(); ++i)
      for (std::size_t j = 0; j < hosts.size(); ++j) {
        if (i == j) continue;
        const std::uint32_t pair[2] = {static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j)};
        if (::write(fds[1], pair, sizeof pair) != sizeof pair) ::_exit(3);
        std::vector<simgrid::s4u::Link*> links;
        double latency = 0;
        try {
          hosts[i]->route_to(hosts[j], links, &latency);
        } catch (...) {
          ::_exit(4);
        }
      }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::uint32_t pair[2] = {0, 0}, last[2] = {0, 0};
  while (::read(fds[0], pair, sizeof pair) == static_cast<ssize_t>(sizeof pair)) std::copy(pair, pair + 2, last);
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw InputError(fmt::format("platform '{}': no route from {} to {}", desc.origin, hosts[last[0]]->get_name(),
                                 hosts[last[1]]->get_name()));
}

} // namespace

std::vector<std::string> builtin_platform_names() {
  std::vector<std::string> out;
  for (const auto& f : embedded_files()) {
    const std::string name = f.name;
    if (ends_with(name, ".xml") || ends_with(name, ".toml")) out.push_back(strip_extension(name));
  }
  return out;
}

PlatformDesc parse_parametric(const std::string& text, bool toml, const std::string& origin) {
  PlatformDesc d;
  d.origin = origin;
  d.parametric = true;
  if (toml) {
    toml::table t;
    try {
      t = toml::parse(text, origin);
    } catch (const toml::parse_error& e) {
      throw InputError(fmt::format("{}: {} (line {})", origin, e.description(), e.source().begin.line));
    }
    for (const auto& [k, v] : t) {
      const std::string key(k.str());
      if (const auto* params = v.as_table(); params && key == "params") {
        for (const auto& [pk, pv] : *params) set_spec_key(d, std::string(pk.str()), toml_value_text(pv));
      } else {
        set_spec_key(d, key, toml_value_text(v));
      }
    }
  } else {
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
      if (item.empty()) continue;
      const auto eq = item.find('=');
      if (eq == std::string::npos) throw InputError(fmt::format("{}: '{}' is not key=value", origin, item));
      set_spec_key(d, item.substr(0, eq), item.substr(eq + 1));
    }
  }
  check_spec(d);
  return d;
}

PlatformDesc resolve_platform(const std::string& name) {
  PlatformDesc d;
  if (name.rfind("parametric:", 0) == 0) {
    d = parse_parametric(name.substr(11), false, name);
  } else if (name.find('/') != std::string::npos || ends_with(name, ".xml") || ends_with(name, ".toml")) {
    const std::string text = read_file(name);
    if (ends_with(name, ".toml")) {
      d = parse_parametric(text, true, name);
    } else {
      d.origin = name;
      d.xml = text;
    }
  } else {
    for (const auto& f : embedded_files())
      if (strip_extension(f.name) == name && !ends_with(f.name, ".csv")) {
        const std::string origin = std::string("platforms/") + f.name;
        if (ends_with(f.name, ".toml")) {
          d = parse_parametric(f.text, true, origin);
        } else {
          d.origin = origin;
          d.xml = f.text;
        }
        d.name = name;
        return d;
      }
    throw InputError(fmt::format("unknown platform '{}': not a file, not built in (built in: {}; or "
                                 "parametric:nodes=N,gpus_per_node=G,...)",
                                 name, fmt::join(builtin_platform_names(), ", ")));
  }
  d.name = name;
  return d;
}

std::vector<WorkerHost> load_platform(simgrid::s4u::Engine& engine, const PlatformDesc& desc, int workers,
                                      const std::map<std::string, double>& overrides, PlatformParams& params) {
  params = PlatformParams{};
  if (desc.parametric) {
    build_parametric_platform(desc.spec, workers, desc.origin);
    for (const auto& [k, v] : desc.params) set_param(params, k, v);
    params.group_create_measured_s = desc.group_create_measured_s;
  } else {
    load_xml(engine, desc);
    check_links(engine, desc);
    for (const auto& k : param_names())
      if (const char* v = engine.get_netzone_root()->get_property(k))
        set_param(params, k, parse_number(k, v, desc.origin));
  }
  for (const auto& [k, v] : overrides) set_param(params, k, v);

  std::vector<simgrid::s4u::Host*> hosts;
  for (auto* h : engine.get_all_hosts())
    if (h->get_property("gpu")) hosts.push_back(h);
  std::sort(hosts.begin(), hosts.end(), [](auto* a, auto* b) { return natural_less(a->get_name(), b->get_name()); });
  if (static_cast<int>(hosts.size()) < workers)
    throw InputError(fmt::format("platform '{}' has {} GPU hosts, fewer than the {} workers", desc.origin,
                                 hosts.size(), workers));
  hosts.resize(static_cast<std::size_t>(workers));
  if (!desc.parametric) check_routes(hosts, desc);

  std::vector<WorkerHost> out;
  std::map<std::string, int> zone_index;
  for (auto* h : hosts) {
    WorkerHost w;
    w.host = h;
    w.gpu = h->get_property("gpu");
    if (const char* v = h->get_property("nvswitch")) w.nvswitch = std::string(v) == "1";
    if (const char* v = h->get_property("intra_link")) w.nvlink = std::string(v) != "pcie";
    if (const char* v = h->get_property("nics")) w.nics = parse_count("nics", v, desc.origin, 1024);
    if (w.nics < 1) throw InputError(fmt::format("{}: host {} has nics 0; must be >= 1", desc.origin, h->get_name()));
    if (const char* f = h->get_property("speed_factor")) w.speed_factor = parse_number("speed_factor", f, desc.origin);
    if (!(w.speed_factor > 0))
      throw InputError(fmt::format("{}: host {} has speed_factor {}; must be > 0", desc.origin, h->get_name(),
                                   w.speed_factor));
    if (const char* c = h->get_property("compute_host")) {
      w.compute_host = simgrid::s4u::Host::by_name_or_null(c);
      if (!w.compute_host)
        throw InputError(fmt::format("{}: host {} names compute_host '{}', which does not exist", desc.origin,
                                     h->get_name(), c));
    }
    if (const char* n = h->get_property("node")) {
      w.node = parse_count("node", n, desc.origin, limits::kParametricNodes);
    } else {
      const std::string zone = h->get_englobing_zone()->get_name();
      w.node = zone_index.emplace(zone, static_cast<int>(zone_index.size())).first->second;
    }
    out.push_back(w);
  }
  return out;
}

RouteInfo route_between(const WorkerHost& from, const WorkerHost& to) {
  std::vector<simgrid::s4u::Link*> links;
  RouteInfo r; // route_to adds to the latency
  from.host->route_to(to.host, links, &r.latency_s);
  for (const auto* l : links)
    if (r.bandwidth_Bps == 0 || l->get_bandwidth() < r.bandwidth_Bps) r.bandwidth_Bps = l->get_bandwidth();
  return r;
}

} // namespace resist::sim
