// resist sweep: a grid of simulations (workers x bandwidth x platform x protocol x local steps), one row
// per point, with each protocol's speedup over local SGD at the same point.
#pragma once
#include <string>
#include <vector>

#include "core/output.hpp"
#include "core/run_config.hpp"
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
};

/// Number of points of the grid.
long sweep_size(const SweepGrid& grid);

/// Runs every point in order. ResIST's minimum depth is raised to 1 where workers outnumber the
/// partitionable blocks (core requires it). Throws InputError for a bad value before simulating anything.
Table run_sweep(const SweepGrid& grid);

} // namespace resist::sim
