// Predicted vs measured: the arithmetic of `resist validate`, on two timelines in core's columns (the
// simulator's prediction and the trainer's measurement of the same schedule).
//
// Per round, on each side: the round's span is from its first event's start to its last event's end
// over all workers; compute, communication and overhead are each the mean over workers of the seconds in
// that phase, and idle is what the span leaves (waiting for others). Errors are signed,
// (predicted - measured) / measured. Labels may differ between the sides (the simulator writes one event
// per exchange, the trainer one per phase): only the phases are compared.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/timeline.hpp"

namespace resist {

struct PhaseTimes {
  double total_s = 0;
  double compute_s = 0;
  double communication_s = 0;
  double overhead_s = 0;
  double idle_s = 0;
};

/// Per round 0..rounds-1 (a round without events is all zeros).
std::vector<PhaseTimes> round_phases(const std::vector<TimelineEvent>& events, int rounds, int workers);

/// Signed percent error; 0 when both are 0, +-inf never (a measured 0 gives the sign of the prediction x 100).
double error_pct(double predicted, double measured);

struct RoundComparison {
  int round = 0;
  PhaseTimes predicted, measured;
  double error_pct = 0; // of the total
};

/// The parts of a run outside the rounds, and the whole, on both sides.
struct RunPart {
  std::string name; // startup, evaluation, total
  double predicted_s = 0;
  double measured_s = 0;
  double error_pct = 0;
};

struct Validation {
  std::vector<RoundComparison> rounds;
  std::vector<RunPart> parts;
  double median_round_error_pct = 0;     // signed median over rounds
  double median_abs_round_error_pct = 0;
  double p90_round_error_pct = 0;        // of the absolute errors
  double max_round_error_pct = 0;        // of the absolute errors
  double rounds_error_pct = 0;           // sum of round spans
  double total_error_pct = 0;            // whole run: startup + rounds + evaluation (measured: wall-clock)
  PhaseTimes median_phase_error_pct;     // per phase, the median over rounds of (predicted - measured) in
                                         // percent of the measured round: each phase's part of the error
  PhaseTimes predicted_sum, measured_sum; // per phase, summed over rounds

  nlohmann::json to_json() const;
  std::string rows_csv() const; // validation.csv: one row per round, then the run parts
};

/// Compares the two timelines round by round; `parts` (startup, evaluation) are added as given, and
/// `total` from them and the rounds (measured_total_s overrides the measured total when > 0: the
/// trainer's wall-clock, which includes what lies between rounds).
Validation compare_timelines(const std::vector<TimelineEvent>& predicted, const std::vector<TimelineEvent>& measured,
                             int rounds, int workers, const std::vector<RunPart>& parts, double measured_total_s = 0);

/// Busy threads of other programs during a run, from the kernel's 1-minute load average read at its start
/// and end `seconds` apart, less the run's own `own_threads` (ranks x threads on this machine). The load
/// average is an exponential average with a 60 s time constant, so the start's value still weighs
/// e^(-seconds/60) at the end: the run's own level is (end - start e^(-t/60)) / (1 - e^(-t/60)). Negative
/// readings (unknown) give 0.
double background_threads_from_load(double load_start, double load_end, double seconds, double own_threads);

/// The value at quantile q in [0, 1] (linear interpolation); 0 for an empty list.
double quantile(std::vector<double> values, double q);

} // namespace resist
