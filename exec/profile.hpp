// `resist profile`: measurements of this machine with the trainer's own LibTorch code, for the
// simulator. Free of LibTorch headers so the CLI compiles quickly.
//   measure_profile   per-layer forward / backward seconds of a model at a batch size, and the costs the
//                     trainer pays outside the layers (core/profile.hpp lists them)
//   measure_comm      the c10d operations the trainer uses among this job's ranks, and the platform
//                     (TOML) they imply: "this machine" as a platform like any other
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/profile.hpp"
#include "core/run_config.hpp"
#include "exec/launch_env.hpp"

namespace resist::exec {

struct ProfileOptions {
  RunConfig config;              // model (and its options), batch, dataset, seed, train size
  std::string device = "cpu";    // cpu or cuda
  std::string precision = "fp32"; // fp32, tf32, bf16, fp16 (exec/precision.hpp), as resist train --precision
  std::string memory_format = "auto"; // auto, nchw, channels_last, as resist train --memory-format
  int threads = 0;               // intra-op threads (0 = cores / ranks sharing, as resist train sets them)
  int ranks_sharing = 1;         // processes measuring at once on this machine (this one included)
  int repeats = 15;              // interleaved repetitions (median reported)
  int warmup = 3;                // untimed repetitions first
  std::string data_dir;          // data set folder (empty = the default)
  std::int64_t test_size = 0;    // test images the run loads (startup cost)
  bool progress = false;
};

/// Measures the profile in this process (one of `ranks_sharing` processes doing the same at once:
/// rank and world come from the environment when launched so). Throws InputError for a model the
/// trainer cannot build, a missing data set or a bad option.
Profile measure_profile(const ProfileOptions& options);

struct CommProfileOptions {
  std::string backend = "gloo";
  std::vector<std::int64_t> sizes_bytes; // empty = 4 KiB .. 256 MiB by powers of 4
  int repeats = 7;
  double timeout_s = 120;
  int threads = 1;                       // intra-op threads per rank (what a run would use)
  int cores = 0;                         // cores the ranks share (0 = this machine's)
};

struct CommSample {
  std::string op;          // allreduce, broadcast, reduce, sendrecv, group_create
  int ranks = 0;           // ranks taking part
  std::int64_t bytes = 0;  // tensor bytes per rank (group_create: 0)
  double median_s = 0;
  double min_s = 0;
};

struct CommProfile {
  std::vector<CommSample> samples;
  // The fit the platform file carries (sim/platform.hpp parametric keys).
  double link_bw_GBps = 0;           // per rank, per direction
  double link_latency_us = 0;        // per rank port (a transfer crosses two)
  double collective_latency_s = 0;   // per call, on top of the transfers
  double group_create_s = 0;         // per group, per member
  double group_create_per_peer_s = 0;
  // How well the fitted platform reproduces the samples it was fitted on (median |error|, percent).
  double allreduce_fit_error_pct = 0;
  double sendrecv_fit_error_pct = 0;
  int ranks = 0;
  int cores = 0;
  std::string backend;
  std::string platform_toml() const; // a parametric platform of this machine
  std::string samples_csv() const;
};

/// Collective over this job's ranks (from the environment); every rank returns the same profile.
CommProfile measure_comm(const CommProfileOptions& options);

/// Seconds this process has existed (from /proc/self/stat), for startup costs.
double process_age_s();
/// The 1-minute load average (/proc/loadavg), or -1 when unreadable.
double load_average_1m();
/// CPU seconds of this process, all threads.
double process_cpu_s();

/// The ranks' spread at the same step: sqrt(mean over steps of the variance among ranks) / mean step,
/// from every rank's step times (`per_rank[r][k]`, equal lengths; throws std::out_of_range otherwise).
/// What a step that waits for the slowest rank pays (sim/ddp_model.hpp); a variation that all ranks
/// share (every other step slower, seen on 2 ranks) costs no waiting and is not in it. 0 for one rank.
double ranks_step_cv(const std::vector<std::vector<double>>& per_rank);

} // namespace resist::exec
