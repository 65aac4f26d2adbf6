// Time to accuracy: a measured accuracy curve (a property of the schedule: protocol, workers, partitions, data
// order, learning-rate schedule, seed; not of the hardware) joined with the time each round takes on a platform
// (the simulator's), so the user's question "how long to 90% on my cluster" gets an answer.
//
// A curve is a list of evaluations, each at a number of completed rounds. It comes from
//   - a `resist train` run directory: its eval.csv (an evaluation after round r counts r + 1 completed rounds),
//     its schedule.json's hash checked against the schedule being timed (a different run is refused);
//   - a CSV file with a column `round` (completed rounds), `epoch` (epochs per worker completed: rounds through
//     the schedule's steps) or `time_s` (seconds on the hardware that measured it: rounds = time_s / the curve's
//     last time x the schedule's rounds, i.e. every round of that run assumed to take as long), and a column
//     `acc_pct` / `accuracy_pct` (percent) or `accuracy` (fraction).
// A target is reached at the first evaluation at or above it (what the run itself would have reported); its time
// is the simulated time at that many completed rounds (between two rounds, linear). A target no evaluation
// reaches is "not reached", never extrapolated.
#pragma once
#include <string>
#include <vector>

#include "core/schedule.hpp"

namespace resist {

struct AccuracyPoint {
  double rounds = 0;        // completed rounds at the evaluation (fractional for epoch and time curves)
  double accuracy_pct = 0;
  double measured_s = -1;   // the curve's own time of the evaluation (time curves), else -1
};

struct AccuracyCurve {
  std::string source;     // the file or run directory
  std::string conversion; // how its x axis became rounds, for people
  std::vector<AccuracyPoint> points; // ascending rounds
};

/// Reads a curve for `schedule` (see above). Throws InputError naming the path and the offending value: no
/// such file, no accuracy column, accuracies outside [0, 100], an x axis that goes back, a run directory of
/// another schedule (both hashes named).
AccuracyCurve read_accuracy_curve(const std::string& path, const Schedule& schedule);

/// Completed rounds (fractional) when `epochs` epochs per worker are done.
double rounds_at_epochs(const Schedule& schedule, double epochs);

struct TargetTime {
  double target_pct = 0;
  bool reached = false;
  double rounds = 0;        // completed rounds at the evaluation that reached it
  double time_s = 0;        // simulated seconds from the start of training
  double accuracy_pct = 0;  // the accuracy that evaluation measured
  double measured_s = -1;   // the curve's own time of that evaluation (time curves), else -1
  bool extrapolated = false; // reached only by the fit beyond the curve (core/accuracy_fit.hpp), not measured
};

/// `round_end_s[r]`: simulated seconds at the end of round r (cumulative, ascending). One result per target,
/// in the order given.
std::vector<TargetTime> time_to_targets(const AccuracyCurve& curve, const std::vector<double>& round_end_s,
                                        const std::vector<double>& targets_pct);

/// Simulated seconds after `rounds` completed rounds (0 at 0; linear between round ends; the last round's
/// end beyond).
double time_at_rounds(const std::vector<double>& round_end_s, double rounds);

/// Default targets when none are given: 90%, 95% and 99% of the lowest among the curves' best accuracies,
/// rounded down to 0.1 point.
std::vector<double> default_targets(const std::vector<AccuracyCurve>& curves);

/// Throws InputError naming the first target outside (0, 100] percent (--target-accuracy of every command).
void check_targets(const std::vector<double>& targets_pct);

} // namespace resist
