// A whole schedule on one SimGrid engine: the platform, the GPU model per worker, and a controller
// actor that builds each round's input from core (round_comm_plan -> make_sync_ops -> transfers) and
// replays it. A round identical to one already simulated (same compute per worker, same transfers, same
// fixed costs) is reused instead of simulated again; so are the identical steps of a data-parallel round.
#pragma once
#include <cstdint>
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
