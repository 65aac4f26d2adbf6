// An nccl-tests-style all-reduce benchmark on a simulated platform: for each size, one all-reduce over
// all workers, replayed on SimGrid exactly as a training run replays its exchanges (the per-call fixed
// cost collective_latency_s, then the algorithm's transfers). Columns as all_reduce_perf prints them:
// time, algbw = size / time, busbw = algbw x 2(n-1)/n (nccl-tests doc/PERFORMANCE.md).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace resist::sim {

struct CollectiveBenchOptions {
  std::string platform = "dgx_a100_hdr";     // built-in name, file, or parametric:...
  int workers = 8;
  std::string collective = "nccl";           // nccl or an algorithm (comm_pattern.hpp); reference = ring
  std::string nccl_algo, nccl_proto;         // nccl: NCCL_ALGO / NCCL_PROTO restrictions (nccl_tuner.hpp)
  std::vector<std::int64_t> sizes_bytes;     // all-reduce sizes
  std::map<std::string, double> params;      // fixed-cost overrides (platform.hpp)
  bool step_replay = false;                  // every ring step a transfer (else spans, core/collective.hpp)
};

struct CollectiveBenchRow {
  std::int64_t bytes = 0;
  std::string algorithm; // what ran (nccl: what it chose)
  std::string protocol;  // nccl: LL, LL128 or Simple; else "-"
  double time_s = 0;
  double algbw_GBps = 0;
  double busbw_GBps = 0;
  // The ring's bus bandwidth on the platform's links: what a ring all-reduce reaches at most (a GPU's port
  // on one node; across nodes the node's NICs, and the port with several GPUs per node). Two-node trees,
  // NVLS and NVLS-tree go beyond it by sending fewer bytes per node or port than the ring's 2(n-1)/n B.
  double ring_bound_busbw_GBps = 0;
};

/// Sizes from min to max (inclusive), multiplying by `factor` (nccl-tests' -b, -e, -f).
std::vector<std::int64_t> size_range(std::int64_t min_bytes, std::int64_t max_bytes, double factor);

/// One row per size. Runs in a child process. Throws InputError for a bad platform, worker count or size.
std::vector<CollectiveBenchRow> bench_allreduce(const CollectiveBenchOptions& options);

} // namespace resist::sim
