// The communication gate of `resist comm --check BASELINE`: this run's communication volume against a
// baseline written earlier by `resist comm --format json` for the same settings, row by row. Rows are
// matched by their configuration (model, classes, protocol, workers, minimum depth); the settings every
// row shares (algorithm, l, batch, epochs, ...) must be the baseline's, or the baseline is refused.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/collective.hpp"
#include "core/model.hpp"
#include "core/run_config.hpp"

namespace resist {

/// increase: a row fails when a byte count grew; change: when one grew or shrank. Either way a row that
/// is in only one of the two documents fails.
enum class FailOn { increase, change };

/// Throws InputError unless `name` is increase or change.
FailOn parse_fail_on(const std::string& name);
const char* to_string(FailOn f);

/// The settings the bytes depend on besides the row's own keys: what a baseline must share with the run.
/// `model` is the built model (its resolved input shape and classes).
nlohmann::json comm_settings(const RunConfig& config, const Model& model, Algorithm algorithm, int gpus_per_node);

/// The quantities compared, in the order reported.
inline constexpr const char* kCommGateQuantities[] = {"bytes_per_round", "wire_bytes_per_round", "bytes_per_run"};

struct CommGateLine {
  std::string protocol;
  std::int64_t workers = 0;
  std::int64_t min_depth = 0;
  std::string quantity;                 // one of kCommGateQuantities; "row" for a row on one side only
  std::optional<std::int64_t> baseline; // absent for a row only in this run
  std::optional<std::int64_t> now;      // absent for a row only in the baseline
  std::string change;                   // same, increase, decrease, only in baseline, only now
  bool fails = false;
};

struct CommGateResult {
  std::vector<CommGateLine> lines;
  int rows = 0;        // rows in either document
  int rows_failed = 0;
  std::string first_failure; // the first failing line in words, empty when none
  bool passed() const { return rows_failed == 0; }
};

/// Reads a baseline file whole (core/input_file: regular files only) and parses it as JSON; InputError
/// naming the path when it cannot be read or is not JSON.
nlohmann::json read_comm_baseline(const std::string& path);

/// Compares `now` (the document `resist comm --format json` prints for this run) with `baseline` (read
/// from `path`). `tolerance_pct` (>= 0): a change of at most that share of the baseline's value passes.
/// Throws InputError when the baseline is not such a document (fields, types, numbers: core/json_number),
/// names another model, was written with other settings, repeats a row, or has no row in common with `now`.
CommGateResult check_comm_gate(const nlohmann::json& baseline, const nlohmann::json& now, std::string_view path,
                               FailOn fail_on, double tolerance_pct);

} // namespace resist
