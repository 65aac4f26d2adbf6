#include "core/profile.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h> // fmt::join (in format.h before fmt 11)

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/limits.hpp"
#include "core/number.hpp"

namespace resist {

const std::vector<std::string>& profile_cost::names() {
  static const std::vector<std::string> n = {batch,          loss,       autograd, zero_grad,  optimizer_step,
                                             optimizer_create, eval_image, startup,  first_step};
  return n;
}

namespace {

const std::vector<std::string> kHeader = {"layer", "batch", "forward_s", "backward_s", "forward_cpu_s", "backward_cpu_s"};
const std::vector<std::string> kLegacyHeader = {"layer", "batch", "forward_s", "backward_s"};

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\r"));
  s.erase(s.find_last_not_of(" \t\r") + 1);
  return s;
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, sep)) out.push_back(trim(cell));
  return out;
}

double seconds(const std::string& s, const std::string& origin, int line_no, bool signed_ok = false) {
  return parse_double(s, fmt::format("{}:{} seconds", origin, line_no), signed_ok ? -1e6 : 0.0, 1e6);
}

constexpr int kMaxThreads = 4096; // as `resist validate` bounds a run's threads

bool batch_scaled(const std::string& cost) {
  return cost == profile_cost::batch || cost == profile_cost::loss || cost == profile_cost::autograd;
}

} // namespace

std::string Profile::get(const std::string& key, const std::string& fallback) const {
  const auto it = meta.find(key);
  return it == meta.end() ? fallback : it->second;
}

// parse() checked both where it could name the file; a profile built in memory holds what we wrote.
int Profile::threads() const { return static_cast<int>(parse_int(get("threads", "1"), "profile threads", 1, kMaxThreads)); }
int Profile::ranks_sharing() const {
  return static_cast<int>(parse_int(get("ranks_sharing", "1"), "profile ranks_sharing", 1, limits::kLocalRanks));
}

double Profile::step_wall_cv(const std::string& origin) const {
  const std::string cv = get("step_wall_cv");
  return cv.empty() ? -1 : parse_double(cv, fmt::format("{}: step_wall_cv", origin), 0, 10);
}

ProfileEntry Profile::cost(const std::string& name, int batch) const {
  const auto it = costs.find(name);
  if (it == costs.end()) return {};
  ProfileEntry e = it->second;
  if (batch_scaled(name) && e.batch > 0) {
    const double k = static_cast<double>(batch) / e.batch;
    e.forward_s *= k;
    e.backward_s *= k;
    e.forward_cpu_s *= k;
    e.backward_cpu_s *= k;
    e.batch = batch;
  }
  return e;
}

std::string Profile::resolve_basis(const std::string& basis) const {
  if (basis == "cpu" || basis == "wall") return basis;
  if (basis == "auto") return threads() == 1 && complete() ? "cpu" : "wall";
  throw InputError(fmt::format("profile basis '{}' (known: auto, cpu, wall)", basis));
}

Profile Profile::with_basis(const std::string& basis) const {
  Profile out = *this;
  if (resolve_basis(basis) == "wall") return out;
  for (auto* rows : {&out.layers, &out.costs})
    for (auto& [name, e] : *rows) {
      if (name == profile_cost::startup) continue; // loading waits on files too: its wall seconds
      e.forward_s = e.forward_cpu_s;
      e.backward_s = e.backward_cpu_s;
    }
  return out;
}

void Profile::check_against(const Model& model) const {
  const std::string name = get("model");
  if (!name.empty() && name != model.name)
    throw InputError(fmt::format("the profile is of model {}, the run's is {}", name, model.name));
  const std::pair<const char*, int> shape[] = {
      {"in_channels", model.in_channels}, {"image_size", model.image_size}, {"classes", model.classes}};
  for (const auto& [key, value] : shape) {
    const std::string v = get(key);
    if (!v.empty() && v != std::to_string(value))
      throw InputError(fmt::format("the profile has {}={}, the run's model has {}", key, v, value));
  }
  std::map<std::string, bool> known;
  for (const Block& b : model.blocks)
    for (const Layer& l : b.layers) known[l.name] = true;
  for (const std::string& n : order)
    if (n[0] != '@' && !known.count(n))
      throw InputError(fmt::format("the profile names layer '{}', which {} lacks", n, model.name));
  if (complete())
    for (const Block& b : model.blocks)
      for (const Layer& l : b.layers)
        if (!layers.count(l.name))
          throw InputError(fmt::format("the profile lacks layer '{}' of {}", l.name, model.name));
}

Profile Profile::parse(const std::string& text, const std::string& origin) {
  Profile p;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  bool header_seen = false, legacy = false;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string t = trim(line);
    if (t.empty()) continue;
    if (t[0] == '#') {
      for (const std::string& kv : split(t.substr(1), ' ')) {
        const auto eq = kv.find('=');
        if (eq != std::string::npos && eq > 0) p.meta[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
      continue;
    }
    const auto f = split(t, ',');
    if (!header_seen) {
      legacy = f == kLegacyHeader;
      if (f != kHeader && !legacy)
        throw InputError(fmt::format("{}:{}: expected the header '{}'", origin, line_no, fmt::join(kHeader, ",")));
      header_seen = true;
      continue;
    }
    const std::size_t want = legacy ? kLegacyHeader.size() : kHeader.size();
    if (f.size() != want)
      throw InputError(fmt::format("{}:{}: expected {} fields, got {}", origin, line_no, want, f.size()));
    ProfileEntry e;
    const bool signed_ok = f[0] == profile_cost::autograd; // the whole step less its parts may be < 0
    e.batch = static_cast<int>(parse_int(f[1], fmt::format("{}:{} batch", origin, line_no), 1, limits::kBatch));
    e.forward_s = seconds(f[2], origin, line_no, signed_ok);
    e.backward_s = seconds(f[3], origin, line_no, signed_ok);
    e.forward_cpu_s = legacy ? e.forward_s : seconds(f[4], origin, line_no, signed_ok);
    e.backward_cpu_s = legacy ? e.backward_s : seconds(f[5], origin, line_no, signed_ok);
    const std::string& name = f[0];
    if (name.empty()) throw InputError(fmt::format("{}:{}: empty layer name", origin, line_no));
    auto& into = name[0] == '@' ? p.costs : p.layers;
    if (!into.emplace(name, e).second)
      throw InputError(fmt::format("{}:{}: '{}' appears twice", origin, line_no, name));
    if (name[0] == '@' && std::find(profile_cost::names().begin(), profile_cost::names().end(), name) ==
                              profile_cost::names().end())
      throw InputError(fmt::format("{}:{}: unknown cost '{}' (known: {})", origin, line_no, name,
                                   fmt::join(profile_cost::names(), ", ")));
    p.order.push_back(name);
  }
  if (!header_seen || p.order.empty()) throw InputError(fmt::format("{}: no layers in the profile", origin));
  if (legacy && !p.meta.empty()) p.meta.clear(); // a legacy file is partial whatever its comments say
  for (const auto& [key, max] : {std::pair<const char*, int>{"threads", kMaxThreads}, {"ranks_sharing", limits::kLocalRanks}})
    if (p.meta.count(key)) parse_int(p.meta.at(key), fmt::format("{}: {}", origin, key), 1, max);
  return p;
}

Profile Profile::read(const std::string& path) { return parse(read_input_file(path, "profile"), path); }

std::string Profile::to_csv() const {
  std::string out = "# resist profile v1\n#";
  for (const auto& [k, v] : meta) out += fmt::format(" {}={}", k, v);
  out += "\n" + fmt::format("{}\n", fmt::join(kHeader, ","));
  for (const std::string& n : order) {
    const ProfileEntry& e = n[0] == '@' ? costs.at(n) : layers.at(n);
    out += fmt::format("{},{},{:.9g},{:.9g},{:.9g},{:.9g}\n", n, e.batch, e.forward_s, e.backward_s, e.forward_cpu_s,
                       e.backward_cpu_s);
  }
  return out;
}

} // namespace resist
