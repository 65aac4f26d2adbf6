// `resist sweep --accuracy-curve`: the time to each target accuracy at every point of a sweep. A curve belongs to
// one schedule (protocol, workers, l, learning rate, seed): a sweep over platforms and bandwidths keeps it and
// re-times it at each point; a sweep over workers or l changes the schedule, so a curve measured on one of them
// says nothing of the others, and such a sweep is refused. Measured curves only (no extrapolation, no seeds:
// `simulate` has both).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/accuracy_curve.hpp"
#include "core/output.hpp"
#include "core/schedule.hpp"

namespace resist::sim {

struct SweepGrid;

struct SweepCurves {
  std::map<std::string, AccuracyCurve> curves;    // by protocol
  std::vector<double> targets_pct;                // given or defaults from the curves
};

/// Reads the grid's curves against the schedule of their protocol's points (`schedules`: one per point, in
/// point order; `protocols`: each point's). Throws InputError when the grid varies workers or l, with events,
/// slices or merges, a curve of a protocol the sweep does not run, or one of another schedule (both hashes).
SweepCurves read_sweep_curves(const SweepGrid& grid, const std::vector<Schedule>& schedules);

/// The extra columns: for each target T, time_to_<T>pct_s and speedup_at_<T>pct (over local SGD at the same
/// platform, bandwidth, workers and l).
std::vector<std::string> sweep_accuracy_columns(const std::vector<double>& targets_pct);

/// The time to each target of one point (`round_end_s` its simulated rounds): a number, or "not reached".
std::vector<Cell> point_times(const SweepCurves& c, const std::string& protocol, const std::vector<double>& round_end_s);

} // namespace resist::sim
