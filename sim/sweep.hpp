// resist sweep: a grid of simulations (workers x bandwidth x platform x protocol x local steps), one row
// per point, with each protocol's speedup over local SGD at the same point. Points run in parallel (one
// child process each, `jobs` at once) and come out in grid order. With a journal, every finished point
// is appended to it at once and a rerun skips the points it holds (resume). A slice K/N runs every N-th
// group of points (the protocols of one platform, bandwidth, workers and l stay together, so speedups are
// computed within the slice); merge_sweeps joins the slices' outputs in grid order.
#pragma once
#include <string>
#include <vector>

#include "core/output.hpp"
#include "core/run_config.hpp"
#include "sim/elastic_replay.hpp"
#include "sim/events.hpp"
#include "sim/simulate.hpp"

namespace resist::sim {

struct SweepGrid {
  RunConfig base;                       // everything but the swept fields
  std::vector<int> workers{4, 8};
  std::vector<double> bandwidths_GBps;  // NIC bandwidth of parametric platforms; empty = the platform's
  std::vector<std::string> platforms{"aws_p3_8xlarge"};
  std::vector<std::string> protocols{"resist", "local_sgd"};
  std::vector<int> local_steps{50};
  SimOptions options;                   // platform and nic_bw_GBps are set per point
  bool progress = true;                 // progress bar on stderr
  int jobs = 1;                         // simulations at once
  int slice_index = 0;                  // this slice of slice_count (0-based)
  int slice_count = 1;
  std::string journal;                  // resumable journal file (empty: none)
  std::vector<std::string> finished;    // earlier outputs (CSV) whose points count as done
  // Events replayed at every point (sim/elastic_replay.hpp): total_s then includes what they cost.
  std::vector<Event> events;
  FailurePolicy failure;                // elastic unless the protocol is in restart_protocols
  std::vector<std::string> restart_protocols;
  // Time to accuracy per point (sim/sweep_accuracy.hpp): (protocol, curve path); targets (empty: defaults).
  // With curves, every point is simulated afresh (earlier rows hold no round times to join).
  std::vector<std::pair<std::string, std::string>> accuracy_curves;
  std::vector<double> targets_pct;
};

/// Number of points of the grid.
long sweep_size(const SweepGrid& grid);

/// The output's columns: `point` is the point's index in the whole grid, `point_id` a hash of its
/// schedule and simulation options (a finished row is reused only for the very same point).
const std::vector<std::string>& sweep_columns();

/// Runs the points of this slice (parallel, resumable as set in the grid) and returns their rows in grid
/// order; with accuracy curves, sweep_columns() then each target's time and speedup (sweep_accuracy.hpp). ResIST's minimum depth is raised to 1 where workers outnumber the partitionable blocks (core
/// requires it). Throws InputError for a bad value before simulating anything.
Table run_sweep(const SweepGrid& grid);

/// Rows of several sweep CSVs (slices) in grid order, one per point. Throws InputError naming a file
/// that is not a sweep CSV, or two files that disagree on a point (slices of different sweeps).
Table merge_sweeps(const std::vector<std::string>& paths);

/// Parses "K/N" (0 <= K < N): this is slice K of N. Throws InputError naming the value.
std::pair<int, int> parse_slice(const std::string& text);

} // namespace resist::sim
