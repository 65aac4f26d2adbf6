// The ResIST paper's Table 3 (CIFAR wall-clock, local SGD vs ResIST, 4 and 8 workers) simulated with the
// reference code's setup (preact_resnet101_cifar, 40 epochs per worker, l = 50, batch 128, min depth 6 / 4)
// next to the published numbers (core/paper_tables.hpp).
#pragma once
#include <string>
#include <vector>

#include "core/output.hpp"
#include "sim/simulate.hpp"

namespace resist::sim {

struct PaperOptions {
  std::string platform4 = "aws_p3_8xlarge"; // the paper's hardware: one p3.8xlarge, 4 V100 on NVLink
  /// The 8-worker hardware is undocumented: two readings, one row each. Eight processes time-sharing
  /// the p3.8xlarge's 4 GPUs fits the published 8/4 time ratios (1.84 and 1.74); a p3.16xlarge (8 V100)
  /// cannot (it would make ResIST faster at 8 workers than at 4).
  std::vector<std::string> platforms8{"aws_p3_8xlarge_2proc", "aws_p3_16xlarge"};
  /// collective, fixed-cost overrides, GPU, fusion, ... The GPU model is platforms/gpus.csv's, its V100
  /// FP32 efficiency fitted on published ResNet-50 throughput (experiments/sim_calibration), with the
  /// reference code's PyTorch eager fusion (none) by default; experiments/sim_paper_wallclock compares.
  SimOptions options = reference_code();

  /// The reference code's collectives (per-tensor calls, per-block process groups): the paper's setup.
  static SimOptions reference_code() {
    SimOptions o;
    o.collective = "reference";
    return o;
  }
};

/// One row per published cell: dataset, workers, min_depth, platform, simulated local SGD and ResIST
/// seconds and speedup, the published ones, and the speedup's relative error (%).
Table paper_wallclock_table(const PaperOptions& options = {});

} // namespace resist::sim
