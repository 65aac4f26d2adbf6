// One layer_parallel round on SimGrid (core/layer_parallel.hpp, a reconstruction): an actor per module
// runs the round's steps, each as the trainer does it (exec/layer_parallel_step.cpp):
//   load the batch; [rank c > 0] the AuxNet generates psi_c(x) and sends it to rank c - 1 as its target;
//   [rank k < K - 1] wait for the target from rank k + 1; the module's forward, backward and update;
//   [rank k < K - 1] send the real activation to rank k + 1; [rank c > 0] wait for rank c - 1's activation
//   and refit the AuxNet (forward, backward, update); wait for this step's sends.
// Transfers are real SimGrid communications between neighbours, so a slow module or a slow link holds
// its neighbours back and, through them, everyone. With free communication and equal modules every
// step takes data + t_psi + t_f^lambda + t_b^lambda + (T_f + T_b) / K: the bound of the reference note.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/platform.hpp"
#include "sim/round_replay.hpp"

namespace resist::sim {

/// Seconds of one step of one module's rank (speed factor applied).
struct LpStepCosts {
  double data_s = 0;     // load the batch (profile @batch)
  double aux_gen_s = 0;  // AuxNet forward generating this rank's input (0 on rank 0)
  double module_s = 0;   // the module's forward, local loss, backward and update, and the step's glue
  double refit_s = 0;    // AuxNet forward, backward and update toward the updated target (0 on rank 0)
  double step_s() const { return data_s + aux_gen_s + module_s + refit_s; }
};

struct LpRoundInput {
  int round = 0;
  int steps = 0;
  int threads = 1;                     // intra-op threads per worker (shared compute hosts)
  bool barrier_at_end = false;         // the trainer's loss check after the steps (collective c10d)
  std::vector<LpStepCosts> step;       // per worker
  std::vector<double> fixed_s;         // per worker, once per round (optimizer creation, first step)
  std::vector<std::int64_t> cut_bytes; // per cut c = 1..K-1 (index c; [0] unused): bytes per image
  std::vector<int> images;             // per step: the batch (an epoch's last may be short)
};

/// Simulates one round; call from inside a SimGrid actor (it starts the worker actors and joins them).
RoundOutcome replay_layer_parallel_round(const LpRoundInput& in, const std::vector<WorkerHost>& hosts,
                                         const PlatformParams& params);

/// Byte string identifying a round input exactly (the reuse cache key).
std::string layer_parallel_round_key(const LpRoundInput& in);

} // namespace resist::sim
