// One round on SimGrid: an actor per worker runs its local steps (compute time from the GPU model),
// then its part of every exchange of the round's synchronization (fixed costs, then real transfers).
// Data parallel overlaps instead: each step's backward releases gradient buckets in DDP order to a
// second actor per worker (the communication stream), which all-reduces them while backward goes on.
// The round ends when every worker is done (a barrier: the reference evaluates after every sync, which
// holds everyone, and that time is excluded from the reported training time).
#pragma once
#include <vector>

#include "core/timeline.hpp"
#include "sim/collective_replay.hpp"
#include "sim/comm_pattern.hpp"
#include "sim/platform.hpp"

namespace resist::sim {

/// Data parallel step of one worker, seconds: backward is split where gradient buckets become ready.
struct OverlapStep {
  double forward_s = 0;
  std::vector<double> backward_before_bucket_s; // backward seconds between bucket b-1 and bucket b
  double backward_tail_s = 0;                   // backward after the last bucket is ready
  std::vector<double> bucket_copy_s;  // per bucket, one copy of its gradients: in (inside backward_before_bucket_s)
                                      // and the averaged bucket back (comm side)
  bool copy_in_on_comm = false; // c10d: the copy in runs in the communication call too (the trainer times it there)
  double update_s = 0;
  double compute_s() const;
};

struct RoundInput {
  int round = 0;
  int workers = 0;
  std::vector<SyncOp> ops;
  std::vector<TransferIndex> index;   // per op
  std::vector<double> compute_s;      // per worker: all local steps of the round (no overlap)
  int threads = 1;                    // intra-op threads per worker (on a shared compute host)
  bool barrier_before_sync = false;   // every worker waits for all before the first exchange
  bool overlap = false;               // data parallel
  int overlap_steps = 0;              // steps simulated with overlap
  std::vector<OverlapStep> step;      // per worker (overlap)
  // Per worker (overlap): compute once before the first step (optimizer creation; a fresh process's first
  // step). When any is non-zero, the workers then start their steps together, at RoundOutcome::steps_start_s.
  std::vector<double> fixed_s;
};

struct RoundOutcome {
  double duration_s = 0;
  std::vector<TimelineEvent> events;  // times relative to the round's start
  std::vector<WorkerBytes> bytes;     // per worker: bytes handed to SimGrid / received
  double steps_start_s = 0;           // overlap: when the steps begin (after RoundInput::fixed_s)
};

/// `seconds` of compute of a worker (call from its actor): a sleep on its own device, or `threads` threads
/// on the compute host whose cores it time-shares with others.
void run_worker_compute(const WorkerHost& host, int threads, double seconds);

/// Simulates one round; call from inside a SimGrid actor (it starts the worker actors and joins them).
RoundOutcome replay_round(const RoundInput& in, const std::vector<WorkerHost>& hosts, const PlatformParams& params,
                          MailboxTable& mailboxes);

} // namespace resist::sim
