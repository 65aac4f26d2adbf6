// Seed variance of time to accuracy: several runs of one config that differ only in the seed (partitions and
// data order), each run's curve re-timed on the same simulated rounds, and the time to each target reported as
// the median and range over the seeds.
//
// What is timed: every seed's curve against the one simulated schedule's round times (the config's --seed).
// The seeds share rounds, steps and learning rate; what they change is which blocks each worker holds and the
// data order, which moves a round's simulated time far less than it moves the accuracy. So the spread reported
// is the accuracy's over seeds, on one prediction of the hardware.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/accuracy_curve.hpp"
#include "core/schedule.hpp"

namespace resist {

struct SeedCurve {
  AccuracyCurve curve;
  bool seed_known = false; // run directories name their seed; CSV files do not
  std::uint64_t seed = 0;
};

/// A curve for `schedule` whose run may differ from it in the seed only: a run directory of the same config
/// but for the seed is accepted (and its seed kept); one that differs in anything else is refused naming the
/// differing fields with both values and both hashes. A CSV is read as read_accuracy_curve reads it.
SeedCurve read_seed_curve(const std::string& path, const Schedule& schedule);

/// Throws InputError when two runs of one protocol have the same seed (naming both), or when two protocols
/// given several runs each have different sets of seeds (naming both sets). `by_protocol`: (protocol, runs).
void check_seed_sets(const std::vector<std::pair<std::string, std::vector<SeedCurve>>>& by_protocol);

/// One target's times over the seeds; a seed that never reaches it counts as infinitely late, so the median is
/// reached only when at least half of the seeds (the middle ones) reach it.
struct SeedSpread {
  int seeds = 0;
  int reached = 0;
  int extrapolated = 0;     // of those reached, how many only by the fit
  bool median_reached = false;
  double median_s = 0;      // the middle seed's time (odd), the mean of the two middle ones (even)
  double min_s = 0;         // fastest seed (when any reached)
  bool max_reached = false; // whether the slowest seed reached it
  double max_s = 0;
};

/// Median and range of `per_seed` (one TargetTime per seed, all for the same target).
SeedSpread seed_spread(const std::vector<TargetTime>& per_seed);

} // namespace resist
