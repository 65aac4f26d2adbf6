#include "sim/platform_info.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>

#include "sim/embedded.hpp"

namespace resist::sim {
namespace {

std::string first_comment(const std::string& text, bool xml) {
  if (xml) {
    const auto a = text.find("<!--");
    if (a == std::string::npos) return "";
    const auto b = text.find("-->", a);
    std::string c = text.substr(a + 4, b == std::string::npos ? std::string::npos : b - a - 4);
    c = c.substr(0, c.find('\n', c.find_first_not_of(" \n")));
    const auto s = c.find_first_not_of(" \n");
    return s == std::string::npos ? "" : c.substr(s);
  }
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto s = line.find_first_not_of(' ');
    if (s != std::string::npos && line[s] == '#') return line.substr(line.find_first_not_of("# ", s));
    if (s != std::string::npos) break;
  }
  return "";
}

std::string num(double v) { return fmt::format("{}", v); }

/// A parametric spec's value of `key` as text.
std::string spec_value(const ParametricSpec& s, const std::string& key) {
  if (key == "nodes") return std::to_string(s.nodes);
  if (key == "gpus_per_node") return std::to_string(s.gpus_per_node);
  if (key == "gpu") return s.gpu;
  if (key == "intra_bw_GBps") return num(s.intra_bw_GBps);
  if (key == "intra_efficiency") return num(s.intra_efficiency);
  if (key == "intra_latency_us") return num(s.intra_latency_us);
  if (key == "intra_link") return s.intra_link;
  if (key == "nvlink_bridge_GBps") return num(s.nvlink_bridge_GBps);
  if (key == "nvswitch") return s.nvswitch ? "true" : "false";
  if (key == "nic_bw_GBps") return num(s.nic_bw_GBps);
  if (key == "nic_efficiency") return num(s.nic_efficiency);
  if (key == "nics_per_node") return std::to_string(s.nics_per_node);
  if (key == "inter_latency_us") return num(s.inter_latency_us);
  if (key == "topology") return s.topology;
  if (key == "nodes_per_leaf") return std::to_string(s.nodes_per_leaf);
  if (key == "oversubscription") return num(s.oversubscription);
  if (key == "slow_workers") {
    std::string out;
    for (int w : s.slow_workers) out += (out.empty() ? "" : ";") + std::to_string(w);
    return out.empty() ? "-" : out;
  }
  if (key == "slow_factor") return num(s.slow_factor);
  if (key == "cores_per_node") return std::to_string(s.cores_per_node);
  return "?";
}

double param_value(const PlatformParams& p, const std::string& key) {
  static const std::map<std::string, double PlatformParams::*> fields = {
      {"collective_latency_s", &PlatformParams::collective_latency_s},
      {"group_create_s", &PlatformParams::group_create_s},
      {"group_create_per_peer_s", &PlatformParams::group_create_per_peer_s},
      {"group_init_s", &PlatformParams::group_init_s},
      {"group_init_exponent", &PlatformParams::group_init_exponent},
      {"comm_compute_slowdown", &PlatformParams::comm_compute_slowdown},
      {"ddp_step_cv", &PlatformParams::ddp_step_cv},
      {"ddp_step_cv_net", &PlatformParams::ddp_step_cv_net},
      {"input_img_per_s", &PlatformParams::input_img_per_s},
      {"nccl_net_latency_s", &PlatformParams::nccl_net_latency_s},
      {"nccl_chunk_intra_s", &PlatformParams::nccl_chunk_intra_s},
      {"nccl_chunk_net_s", &PlatformParams::nccl_chunk_net_s}};
  const auto it = fields.find(key);
  return it == fields.end() ? 0.0 : p.*(it->second);
}

const std::map<std::string, std::string>& param_meanings() {
  static const std::map<std::string, std::string> m = {
      {"collective_latency_s", "s per collective call per tensor (fixed algorithms; nccl pays NCCL's own latency)"},
      {"group_create_s", "s per process group created, per member"},
      {"group_create_per_peer_s", "s per process group created, per member and other member (legacy)"},
      {"group_init_s", "s of communicator set-up per member of a 2-member group"},
      {"group_init_exponent", "communicator set-up grows as (members / 2)^this"},
      {"comm_compute_slowdown", "fraction compute slows beside an all-reduce (measured, Lee et al.)"},
      {"ddp_step_cv", "spread of a worker's step time inside a node (DDP barrier)"},
      {"ddp_step_cv_net", "the same when workers span nodes (0: ddp_step_cv)"},
      {"input_img_per_s", "images/s a node's CPUs decode (0: unbounded)"},
      {"nccl_net_latency_s", "s NCCL's network adds per inter-node step (NCCL's latencyInter)"},
      {"nccl_chunk_intra_s", "s a pipelined NCCL chunk holds its slot inside a node (0: no bound)"},
      {"nccl_chunk_net_s", "s a pipelined NCCL chunk holds its slot across nodes (0: no bound)"},
      {"group_create_measured_s", "measured s per member for groups of 2, 3, ... (profile --comm)"}};
  return m;
}

} // namespace

const std::vector<std::pair<std::string, std::string>>& parametric_keys() {
  static const std::vector<std::pair<std::string, std::string>> keys = {
      {"nodes", "nodes in the cluster (0: as many as the workers need)"},
      {"gpus_per_node", "GPUs per node"},
      {"gpu", "GPU kind (platforms/gpus.csv)"},
      {"intra_link", "a GPU's port: nvlink (NVLink / NVSwitch) or pcie"},
      {"intra_bw_GBps", "a GPU's port, GB/s per direction, line rate"},
      {"intra_efficiency", "fraction of intra_bw_GBps NCCL achieves"},
      {"intra_latency_us", "a port's latency, us (a route in a node crosses two)"},
      {"nvswitch", "true: the ports meet at an NVSwitch (NVLink SHARP on Hopper)"},
      {"nvlink_bridge_GBps", "pcie nodes: GPUs 2k, 2k+1 bridged at this GB/s (0: none)"},
      {"nic_bw_GBps", "one NIC, GB/s per direction, line rate"},
      {"nic_efficiency", "fraction of nic_bw_GBps NCCL achieves"},
      {"nics_per_node", "NICs per node (a divisor or a multiple of gpus_per_node)"},
      {"inter_latency_us", "a node uplink's latency, us (a route between nodes crosses two)"},
      {"topology", "star or fat-tree"},
      {"nodes_per_leaf", "fat-tree: nodes under one leaf switch"},
      {"oversubscription", "fat-tree: leaf downlink over uplink capacity"},
      {"slow_workers", "workers at slow_factor speed"},
      {"slow_factor", "their speed (1 = nominal)"},
      {"cores_per_node", "> 0: the node's workers time-share this many cores"}};
  return keys;
}

std::vector<PlatformSummary> builtin_platform_summaries() {
  std::vector<PlatformSummary> out;
  for (const auto& name : builtin_platform_names())
    for (const auto& f : embedded_files()) {
      const std::string file = f.name;
      if (file.rfind(name + ".", 0) != 0 || file.size() <= name.size() + 1 || file.find(".csv") != std::string::npos)
        continue;
      const bool xml = file.size() > 4 && file.compare(file.size() - 4, 4, ".xml") == 0;
      out.push_back({name, xml ? "xml" : "parametric", first_comment(f.text, xml)});
      break;
    }
  return out;
}

std::vector<PlatformField> describe_platform(const PlatformDesc& d) {
  std::vector<PlatformField> out;
  const auto& meanings = param_meanings();
  if (d.parametric) {
    for (const auto& [key, meaning] : parametric_keys()) {
      const bool set = std::find(d.keys.begin(), d.keys.end(), key) != d.keys.end();
      out.push_back({key, spec_value(d.spec, key), set ? "file" : "default", meaning});
    }
    const PlatformParams defaults;
    for (const auto& key : param_names()) {
      const auto it = d.params.find(key);
      out.push_back({key, num(it != d.params.end() ? it->second : param_value(defaults, key)),
                     it != d.params.end() ? "file" : "default", meanings.at(key)});
    }
    if (!d.group_create_measured_s.empty()) {
      std::string v;
      for (double s : d.group_create_measured_s) v += (v.empty() ? "" : ";") + num(s);
      out.push_back({"group_create_measured_s", v, "file", meanings.at("group_create_measured_s")});
    }
    return out;
  }
  // XML: the fixed costs the root zone's properties set; hosts and links are in the file itself.
  const PlatformParams defaults;
  for (const auto& key : param_names()) {
    const std::regex prop("<prop\\s+id=\"" + key + "\"\\s+value=\"([^\"]*)\"");
    std::smatch m;
    const bool set = std::regex_search(d.xml, m, prop);
    out.push_back({key, set ? m[1].str() : num(param_value(defaults, key)), set ? "xml" : "default", meanings.at(key)});
  }
  return out;
}

} // namespace resist::sim
