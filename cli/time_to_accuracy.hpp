// `resist simulate --accuracy-curve`: measured accuracy curves re-timed on the simulated platform, the time to
// each target accuracy per protocol next to the fixed-budget speedup (core/accuracy_curve.hpp), and the
// paper's figure (accuracy against predicted wall-clock) through plots/time_to_accuracy.py.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/accuracy_curve.hpp"
#include "core/accuracy_fit.hpp"
#include "core/accuracy_seeds.hpp"
#include "core/output.hpp"
#include "core/schedule.hpp"
#include "sim/simulate.hpp"

namespace resist::cli {

struct AccuracyOptions {
  std::vector<std::string> curves; // PROTOCOL=PATH, or PATH when one schedule is simulated
  std::vector<double> targets_pct; // empty: default_targets
  std::string plot;                // PNG to write, or empty
  bool extrapolate = false;        // fit each curve's last learning-rate phase and extend it (core/accuracy_fit)
};

/// One protocol's curves: one per run (seed), each with its fit when extrapolating.
struct ProtocolCurves {
  std::string protocol;
  std::vector<AccuracyCurve> curves;
  std::vector<std::string> seeds;       // per curve: "seed N", or "seed unknown" for a CSV
  std::vector<CurveExtrapolation> fits; // with --accuracy-extrapolate, one per curve; else empty
};

/// The curves read and checked against the schedules they belong to (before any simulation), fitted when
/// extrapolating: one entry per protocol. Throws InputError naming the item.
std::vector<ProtocolCurves> read_curves(const AccuracyOptions& o, const std::vector<Schedule>& schedules);

struct TimeToAccuracy {
  Table table{{}};
  nlohmann::json json;
  nlohmann::json fits = nlohmann::json::array(); // --accuracy-extrapolate: each curve's fit, for scripts
  std::vector<std::string> lines; // what the table assumes, for people
};

/// Joins the curves with the simulated rounds' times; writes the figure when asked. With several curves for a
/// protocol (seeds) the time to each target is the median and range over them (core/accuracy_seeds.hpp).
TimeToAccuracy time_to_accuracy(const AccuracyOptions& o, const std::vector<ProtocolCurves>& curves,
                                const std::vector<sim::SimResult>& results);

/// resist validate: a run's own curve (its eval.csv) at `targets_pct` (empty: the curve's default targets), the
/// time to each as measured
/// (the rounds' own seconds, evaluation excluded: eval.csv's train_s) and as predicted (the simulation of its
/// schedule). Empty table when the run directory has no train_s (written before it was recorded).
struct MeasuredTimeToAccuracy {
  Table table{{}};
  nlohmann::json json = nlohmann::json::array();
  std::vector<double> not_reached_pct; // targets the run's evaluations never reached
};
MeasuredTimeToAccuracy validate_time_to_accuracy(const std::string& run_dir, const Schedule& schedule,
                                                 const std::vector<double>& round_end_s,
                                                 const std::vector<double>& targets_pct);

} // namespace resist::cli
