#include "core/comm_gate.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/json_number.hpp"
#include "core/limits.hpp"
#include "core/number.hpp"

namespace resist {

FailOn parse_fail_on(const std::string& name) {
  if (name == "increase") return FailOn::increase;
  if (name == "change") return FailOn::change;
  throw InputError(fmt::format("--fail-on '{}': unknown (known: increase, change)", name));
}

const char* to_string(FailOn f) { return f == FailOn::increase ? "increase" : "change"; }

nlohmann::json comm_settings(const RunConfig& c, const Model& model, Algorithm algorithm, int gpus_per_node) {
  nlohmann::json j = {{"algorithm", to_string(algorithm)},
          {"gpus_per_node", gpus_per_node},
          {"in_channels", model.in_channels},
          {"image_size", model.image_size},
          {"classes", model.classes},
          {"partition_stages", c.partition.stages},
          {"local_steps", c.local_steps},
          {"batch", c.batch},
          {"rounds", c.rounds},
          {"epochs", c.epochs},
          {"train_size", c.train_size},
          {"dataset", c.dataset},
          {"seed", c.seed}};
  // Only when set, so baselines written without a warm-up keep their settings (and one with it differs).
  if (c.local_sgd_warmup_rounds != 0) j["local_sgd_warmup_rounds"] = c.local_sgd_warmup_rounds;
  if (c.local_sgd_warmup_epochs != 0) j["local_sgd_warmup_epochs"] = c.local_sgd_warmup_epochs;
  return j;
}

namespace {
// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string json_message(const nlohmann::json::exception& e) {
  std::string why = e.what();
  if (!why.empty() && why[0] == '[')
    if (const auto end = why.find("] "); end != std::string::npos) why = why.substr(end + 2);
  return why;
}
} // namespace

nlohmann::json read_comm_baseline(const std::string& path) {
  const std::string text = read_input_file(path, "baseline");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("baseline '{}': malformed JSON ({}); write it with resist comm ... --format json",
                                 path, json_message(e)));
  }
}

namespace {

struct Row {
  std::string protocol;
  std::int64_t workers = 0;
  std::int64_t min_depth = 0;
  std::int64_t values[3] = {0, 0, 0}; // kCommGateQuantities
};

using Key = std::tuple<std::string, std::int64_t, std::string, std::int64_t, std::int64_t>;

std::string describe(const std::string& protocol, std::int64_t workers, std::int64_t min_depth) {
  return fmt::format("{} workers={} min_depth={}", protocol, workers, min_depth);
}

// The rows of a comm document, keyed by (model, classes, protocol, workers, min_depth), in order.
std::vector<std::pair<Key, Row>> read_rows(const nlohmann::json& doc, const std::string& what) {
  if (!doc.is_object()) throw InputError(fmt::format("{}: not a resist comm JSON document (an object)", what));
  if (!doc.contains("rows") || !doc.at("rows").is_array())
    throw InputError(fmt::format("{}: no 'rows' array (write it with resist comm ... --format json)", what));
  std::vector<std::pair<Key, Row>> rows;
  std::set<Key> seen;
  std::size_t index = 0;
  for (const nlohmann::json& r : doc.at("rows")) {
    ++index;
    const std::string where = fmt::format("{} row {}", what, index);
    try {
      if (!r.is_object()) throw InputError("not an object");
      for (const char* key : {"model", "protocol"})
        if (!r.contains(key) || !r.at(key).is_string()) throw InputError(fmt::format("field '{}': missing or not a string", key));
      Row row;
      row.protocol = to_string(parse_protocol(r.at("protocol").get<std::string>()));
      row.workers = json_int(r, "workers", 1, limits::kWorkers);
      row.min_depth = json_int(r, "min_depth", 0, std::numeric_limits<int>::max());
      const std::int64_t classes = json_int(r, "classes", 1, limits::kClasses);
      for (std::size_t q = 0; q < 3; ++q)
        row.values[q] = json_int(r, kCommGateQuantities[q], 0, std::numeric_limits<std::int64_t>::max());
      Key key{r.at("model").get<std::string>(), classes, row.protocol, row.workers, row.min_depth};
      if (!seen.insert(key).second)
        throw InputError(fmt::format("{} appears twice", describe(row.protocol, row.workers, row.min_depth)));
      rows.emplace_back(std::move(key), std::move(row));
    } catch (const nlohmann::json::exception& e) {
      throw InputError(fmt::format("{}: {}", where, json_message(e)));
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", where, e.what()));
    }
  }
  return rows;
}

std::string setting_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// The baseline's model and settings must be this run's: otherwise it is a baseline for another configuration.
void check_same_settings(const nlohmann::json& baseline, const nlohmann::json& now, const std::string& what) {
  if (!baseline.is_object()) throw InputError(fmt::format("{}: not a resist comm JSON document (an object)", what));
  if (!baseline.contains("model") || !baseline.at("model").is_string())
    throw InputError(fmt::format("{}: no 'model' (write it with resist comm ... --format json)", what));
  if (baseline.at("model") != now.at("model"))
    throw InputError(fmt::format("{} is for model {}, this run is {}: not the same configuration", what,
                                 baseline.at("model").get<std::string>(), now.at("model").get<std::string>()));
  if (!baseline.contains("settings") || !baseline.at("settings").is_object())
    throw InputError(fmt::format("{}: no 'settings' object (written by an older resist comm? write it again "
                                 "with --format json)",
                                 what));
  const nlohmann::json& b = baseline.at("settings");
  const nlohmann::json& n = now.at("settings");
  for (const auto& [key, value] : b.items()) {
    if (value.is_number()) check_number(value.get<double>(), fmt::format("{}: setting '{}'", what, key));
    if (!n.contains(key)) throw InputError(fmt::format("{}: unknown setting '{}'", what, key));
  }
  for (const auto& [key, value] : n.items()) {
    if (!b.contains(key)) throw InputError(fmt::format("{}: setting '{}' missing (write it again)", what, key));
    if (b.at(key) != value)
      throw InputError(fmt::format("{} was written with {} {}, this run has {}: not the same configuration "
                                   "(write a new baseline)",
                                   what, key, setting_text(b.at(key)), setting_text(value)));
  }
}

std::string signed_pct(std::int64_t base, std::int64_t now) {
  if (base == 0) return now == 0 ? "+0%" : "from 0";
  return fmt::format("{:+.3g}%", 100.0 * static_cast<double>(now - base) / static_cast<double>(base));
}

} // namespace

CommGateResult check_comm_gate(const nlohmann::json& baseline, const nlohmann::json& now, std::string_view path,
                               FailOn fail_on, double tolerance_pct) {
  check_number(tolerance_pct, "--tolerance", 0, 1000);
  const std::string what = fmt::format("baseline '{}'", path);
  check_same_settings(baseline, now, what);
  const auto base_rows = read_rows(baseline, what);
  const auto now_rows = read_rows(now, "this run's grid");
  std::map<Key, const Row*> base_by_key;
  for (const auto& [key, row] : base_rows) base_by_key[key] = &row;
  std::set<Key> now_keys;
  for (const auto& kr : now_rows) now_keys.insert(kr.first);

  CommGateResult result;
  auto note = [&](std::string text) {
    if (result.first_failure.empty()) result.first_failure = std::move(text);
  };
  int in_common = 0;
  for (const auto& [key, row] : now_rows) {
    ++result.rows;
    const std::string who = describe(row.protocol, row.workers, row.min_depth);
    const auto it = base_by_key.find(key);
    if (it == base_by_key.end()) {
      CommGateLine line{row.protocol, row.workers, row.min_depth, "row", std::nullopt, std::nullopt, "only now", true};
      ++result.rows_failed;
      note(fmt::format("{}: not in the baseline", who));
      result.lines.push_back(std::move(line));
      continue;
    }
    ++in_common;
    bool row_fails = false;
    for (std::size_t q = 0; q < 3; ++q) {
      const std::int64_t b = it->second->values[q], n = row.values[q];
      const std::int64_t delta = n - b; // both >= 0: no overflow
      const bool beyond = std::abs(static_cast<double>(delta)) > tolerance_pct / 100.0 * static_cast<double>(b);
      CommGateLine line{row.protocol, row.workers, row.min_depth, kCommGateQuantities[q], b, n,
                        delta == 0 ? "same" : delta > 0 ? "increase" : "decrease", false};
      line.fails = beyond && (delta > 0 || fail_on == FailOn::change);
      if (line.fails) {
        row_fails = true;
        note(fmt::format("{}: {} {} -> {} ({})", who, line.quantity, b, n, signed_pct(b, n)));
      }
      result.lines.push_back(std::move(line));
    }
    if (row_fails) ++result.rows_failed;
  }
  if (in_common == 0)
    throw InputError(fmt::format("{} has no row in common with this run (other protocols, workers or minimum "
                                 "depths): not the same configuration",
                                 what));
  for (const auto& [key, row] : base_rows) {
    if (now_keys.count(key)) continue;
    ++result.rows;
    ++result.rows_failed;
    CommGateLine line{row.protocol, row.workers, row.min_depth, "row", std::nullopt, std::nullopt, "only in baseline", true};
    note(fmt::format("{}: in the baseline, not in this run", describe(row.protocol, row.workers, row.min_depth)));
    result.lines.push_back(std::move(line));
  }
  return result;
}

} // namespace resist
