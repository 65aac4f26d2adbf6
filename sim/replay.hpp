// A whole schedule on one SimGrid engine: the platform, the GPU model per worker, and a controller
// actor that builds each round's input from core (round_comm_plan -> make_sync_ops -> transfers) and
// replays it. A round identical to one already simulated (same compute per worker, same transfers, same
// fixed costs) is reused instead of simulated again; so are the identical steps of a data-parallel round.
#pragma once
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/model.hpp"
#include "core/schedule.hpp"
#include "sim/gpu_model.hpp"
#include "sim/layer_parallel_replay.hpp"
#include "sim/platform.hpp"
#include "sim/round_replay.hpp"
#include "sim/simulate.hpp"

namespace resist::sim {

/// What every round of a run shares: the model, the workers' per-block step times, the fixed costs.
struct RunContext {
  const Schedule& schedule;
  const Model& model;
  const SimOptions& options;
  std::vector<WorkerHost> hosts;
  PlatformParams params;
  std::vector<std::vector<StepTime>> block_times; // per worker, per block (speed factor applied)
  std::vector<int> node_of_worker;
  std::vector<int> reference_blocks;              // blocks the reference pattern treats one by one
  const Profile* profile = nullptr;               // measured costs outside the layers (complete profiles)
  int threads = 1;                                // intra-op threads per worker (time-sharing)
  std::vector<double> block_layer_weight;         // per block: measured layer seconds (else layer count)
  mutable std::vector<std::vector<int>> created_groups; // c10d: process groups that exist already
  NcclHardware nccl;                              // for nccl's choice; nccl.rails: ring and tree channels
  std::vector<double> mem_Bps;                    // per worker: achieved memory bandwidth (DDP bucket copies)
  std::vector<StepTime> aux_times;                // layer_parallel: per worker, its AuxNet (none on worker 0)
  // IST, per worker: its sub-network's share of the parameters and of the layer seconds (block_times then
  // hold the sub-network's own layers). Empty for the other protocols.
  std::vector<std::pair<double, double>> ist_share;
  mutable std::unordered_map<std::int64_t, RouteInfo> routes; // (src, dst) -> route, as asked for
};

/// The reuse cache: round outcomes by their exact input (round_key), least recently used first out once
/// it holds more than `max_entries`, or more than `max_bytes` of keys and events (the newest always stays).
/// A run's memory is then flat in its rounds: rounds that repeat (local SGD's, data parallel's) are found
/// at once, and ResIST's, drawn afresh every round, rarely repeat at all.
class RoundCache {
public:
  explicit RoundCache(std::size_t max_entries = 64, std::size_t max_bytes = std::size_t{64} << 20)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}
  /// The outcome stored under `key` (now the most recently used), or null.
  const RoundOutcome* find(const std::string& key);
  /// Stores `out` under `key` (not present) and returns it; may drop the least recently used others.
  const RoundOutcome& insert(std::string key, RoundOutcome out);
  std::size_t size() const { return entries_.size(); }
  std::size_t bytes() const { return bytes_; }

private:
  struct Entry {
    std::string key;
    RoundOutcome out;
    std::size_t bytes = 0;
  };
  std::size_t max_entries_, max_bytes_, bytes_ = 0;
  std::list<Entry> entries_; // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> by_key_;
};

/// Compute seconds of worker w in round r: `steps` local steps on the blocks it holds, with the measured
/// costs outside the layers when the profile has them (IST: its sub-network's share), and the round's
/// own (the optimizer's re-creation; in round 0 a fresh process's first step).
double round_compute_s(const RunContext& ctx, int round, int w, int steps);

/// The input of round r (data parallel: `overlap_steps` steps simulated).
RoundInput build_round(const RunContext& ctx, int round, int overlap_steps);

/// The input of layer_parallel round r (sim/layer_parallel_replay.hpp).
LpRoundInput build_layer_parallel_round(const RunContext& ctx, int round);

/// Byte string identifying a round input exactly (the reuse cache key).
std::string round_key(const RoundInput& in, const RunContext& ctx);

} // namespace resist::sim
