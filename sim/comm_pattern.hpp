// How a round's communication plan (core) is carried out on the wire: which collective algorithm each
// exchange uses, how many collective calls each participant makes, which process groups are created.
//
// `reference` is the ResIST reference code's pattern (dunchen/ResIST_release), for both ResIST and its
// local SGD baseline: the shared parameters are all-reduced on the world group with one NCCL call per
// tensor (a ring); every partitioned block gets a fresh process group of its holders, a reduce to the
// lowest holder (one call per tensor), and a fresh group of the next holders plus that owner for the
// broadcast (one call per tensor). Data parallel under `reference` is PyTorch DDP: one ring all-reduce
// per gradient bucket. IST under `reference` goes through a parameter server (star).
// Any other choice (ring, star, hierarchical) uses that algorithm for every exchange, with the tensors
// flattened into one buffer (one call) and no group creation: an efficient implementation.
// `c10d` is what our own trainer does (exec/aggregate.cpp), so that `resist validate` simulates the
// pattern that was measured: blocks grouped by holder set, one flat ring all-reduce per set of two or
// more (a process group created the first time a set other than the world appears, then cached), then
// one point-to-point buffer per (source, destination) pair delivering blocks to next round's new
// holders (source: the holders in turn). Data parallel under c10d: one ring all-reduce per gradient
// bucket, started after the whole backward (the trainer does not overlap yet).
#pragma once
#include <string>
#include <vector>

#include "core/collective.hpp"
#include "core/comm.hpp"
#include "core/model.hpp"
#include "sim/platform.hpp"

namespace resist::sim {

struct CollectiveChoice {
  bool reference = true;
  bool c10d = false; // the trainer's pattern (takes precedence over `algorithm`)
  Algorithm algorithm = Algorithm::ring; // when not reference
  std::string name() const;
};
/// "reference", "c10d", "ring", "star" or "hierarchical"; throws InputError naming the value.
CollectiveChoice parse_collective(const std::string& name);

/// One exchange as the simulator replays it.
struct SyncOp {
  Exchange exchange;
  Algorithm algorithm = Algorithm::ring;
  std::vector<Transfer> transfers;      // one repetition, expanded by core's expand_exchange
  std::vector<std::vector<int>> groups; // process groups created for it (reference pattern)
  int tensors = 1;                      // parameter tensors: collective calls per participant per call site
  std::vector<int> participants;        // ascending: contributors, receivers, group members, endpoints
  std::vector<int> calls;               // per participant: collective call sites (reduce, broadcast, ...)
};

/// Parameter tensors of a block (a conv or linear weight, its bias, a BatchNorm's gamma and beta).
int block_tensors(const Block& block);

/// The round's plan as the simulator replays it. `partitionable` are the blocks the reference treats
/// one by one (local SGD's "model" exchange is split into the shared part and those blocks).
std::vector<SyncOp> make_sync_ops(const CommPlan& plan, const Model& model, Protocol protocol,
                                  const std::vector<int>& partitionable, const CollectiveChoice& choice,
                                  const std::vector<int>& node_of_worker);

/// The trainer's pattern for one round (see above). `created` holds the process groups that exist
/// already (member lists); the groups this round creates are added to it.
std::vector<SyncOp> make_c10d_ops(const CommPlan& plan, int workers, std::vector<std::vector<int>>& created);

/// Fixed-cost seconds `worker` pays in `op`: process groups it is a member of
/// (group_create_s + group_create_per_peer_s x other members each) and its collective calls
/// (collective_latency_s per call per tensor).
double op_overhead_s(const SyncOp& op, int worker, const PlatformParams& params);

} // namespace resist::sim
