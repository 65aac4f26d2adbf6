// The schedule: every round of a run, written once by core and replayed by the simulator and the
// trainer. Steps are per worker; every worker iterates the whole train set with its own shuffle
// (the reference's setup: 40 epochs per worker of 50,000 images = 15,640 steps of 128 = 313 rounds of 50).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/run_config.hpp"

namespace resist {

struct LrSegment {
  int first_step = 0; // relative to the round's first step
  double lr = 0;
};

struct WorkerRound {
  int worker = 0;
  std::vector<int> blocks;     // partitioned model blocks held this round (ascending)
  std::uint64_t data_seed = 0; // seeds this worker's per-epoch shuffles: derive_seed(data_seed, epoch)
};

struct Round {
  int round = 0;
  std::int64_t first_step = 0; // global step index of the round's first local step
  int steps = 0;
  Protocol protocol = Protocol::resist; // the round's phase: the config's protocol, or local_sgd in a warm-up
  std::vector<LrSegment> lr;   // piecewise-constant learning rate inside the round
  std::vector<WorkerRound> workers;

  /// Learning rate of local step `k` (0-based) of this round.
  double lr_at(int k) const;
};

/// Where a schedule sits in an elastic run: the original schedule is segment 0 (first_round 0, no parent);
/// after a worker is lost the remaining rounds are re-planned for the survivors as a new segment whose hash
/// covers its parent's (core/elastic.hpp), so sim and validate replay exactly the chain that ran.
struct ScheduleSegment {
  int first_round = 0;                 // the run's round index of this schedule's round 0
  std::string parent_hash;             // empty for the original schedule
  std::vector<int> worker_origin;      // the original worker index of each worker (empty = identity)

  bool is_continuation() const { return !parent_hash.empty(); }
};

struct Schedule {
  RunConfig config;
  std::string model;              // resolved model name
  std::int64_t params = 0;
  std::vector<int> partitionable; // model block indices (resist); all residual blocks otherwise
  std::int64_t train_size = 0;
  int steps_per_epoch = 0;
  std::int64_t total_steps = 0;
  double eval_scale = 1.0;        // residual scale of partitioned blocks at evaluation
  std::vector<int> module_first_block; // layer_parallel: the cut (LayerParallelCut::first_block); else empty
  std::vector<Round> rounds;     // numbered from 0 within the segment; first_step is the run's step index
  ScheduleSegment segment;

  /// The run's round index of this schedule's round r.
  int run_round(int r) const { return segment.first_round + r; }
  /// The original worker index of worker w (the survivor's identity across segments).
  int origin_worker(int w) const {
    return segment.worker_origin.empty() ? w : segment.worker_origin[static_cast<std::size_t>(w)];
  }
};

/// Builds the schedule of a validated config (validate() is called first; throws InputError).
Schedule make_schedule(const RunConfig& config);

/// Rounds of the run's local SGD warm-up (the run's rounds 0..K-1): --local-sgd-warmup-rounds, or the rounds
/// whose first step falls inside --local-sgd-warmup-epochs epochs per worker; 0 without a warm-up.
int local_sgd_warmup_rounds(const RunConfig& config, int steps_per_epoch);

/// Protocol of round r of the schedule (its phase): a listed round's own; rounds beyond the list (the round
/// after the last, or before a segment) as the run would have them.
Protocol round_protocol(const Schedule& schedule, int round);

/// Evaluation scale of the partitioned blocks after round r: 1 after a local SGD warm-up round (every block
/// trained in every worker's full model), the schedule's eval_scale otherwise.
double round_eval_scale(const Schedule& schedule, int round);

/// The partition a schedule round encodes (ResIST; everyone-holds-everything for other protocols).
ResistPartition round_partition(const Schedule& schedule, int round);

/// Communication plan of round r: its sync plus the dispatch for round r + 1 (the round after the last
/// is derived the same way, so every round carries the same kind of traffic). A warm-up round is a local SGD
/// round; the last one's all-reduce also dispatches the first ResIST round's sub-networks (its receivers are
/// that round's holders, as ResIST's own plan counts them).
CommPlan round_comm_plan(const Schedule& schedule, const Model& model, int round);

/// Learning rate of global step `step` of a run of `total_steps` under the config's step decay.
/// Reference rule: 1-based epoch e gets lr * factor^(number of fractions f with e > floor(E f)), i.e. the
/// decay lands on the epoch boundary floor(E f); a run shorter than that (E f < 1) decays at step
/// floor(T f) instead, so short runs do not start decayed.
double lr_for_step(const RunConfig& config, std::int64_t step, int steps_per_epoch, double epochs,
                   std::int64_t total_steps);

} // namespace resist
