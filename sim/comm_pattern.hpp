// How a round's communication plan (core) is carried out on the wire: which collective algorithm each
// exchange uses, how many collective calls each participant makes, which process groups are created.
//
// `reference` is the ResIST reference code's pattern (dunchen/ResIST_release), for both ResIST and its
// local SGD baseline: the shared parameters are all-reduced on the world group with one NCCL call per
// tensor (a ring); every partitioned block gets a fresh process group of its holders, a reduce to the
// lowest holder (one call per tensor), and a fresh group of the next holders plus that owner for the
// broadcast (one call per tensor). Data parallel under `reference` is PyTorch DDP: one ring all-reduce
// per gradient bucket. IST under `reference` goes through a parameter server (star).
// Any other choice (ring, star, hierarchical, leader, nvls) uses that algorithm for every exchange, with
// the tensors flattened into one buffer (one call) and no group creation: an efficient implementation.
// `nccl` chooses per exchange as NCCL's tuner does, by the smaller alpha-beta time of its candidates
// (choose_nccl_algorithm): an all-reduce on one node is NVLS where the GPUs and the node support it
// (Hopper GPUs on an NVSwitch) and it beats the ring, else a ring; across nodes NCCL's ring (one channel
// per NIC, core's railed ring: busbw = the node's NIC bandwidth at any node count, as measured); other
// exchanges ring. NCCL's tree and NVLS-tree across nodes are not modelled: NCCL takes them on 2 nodes,
// where they can exceed the NIC bandwidth (NVIDIA/nccl-tests#196, NVIDIA/nccl#837), and for small and
// mid sizes at scale; there this is a lower bound on NCCL's bandwidth.
// `c10d` is what our own trainer does (exec/aggregate.cpp), so that `resist validate` simulates the
// pattern that was measured: blocks grouped by holder set, one flat ring all-reduce per set of two or
// more (a process group created the first time a set other than the world appears, then cached), then
// one point-to-point buffer per (source, destination) pair delivering blocks to next round's new
// holders (source: the holders in turn). Data parallel under c10d: one ring all-reduce per gradient
// bucket, started after the whole backward (the trainer does not overlap yet). IST under c10d
// (exec/ist_round.cpp): the output bias all-reduced, then every slice sent to rank 0 and next round's
// slices sent from it.
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
  Algorithm algorithm = Algorithm::ring; // when not reference (and not nccl)
  bool nccl = false;                     // choose per exchange like NCCL
  bool c10d = false;                     // the trainer's pattern (exec/aggregate.cpp)
  Granularity granularity = Granularity::spans; // rings as spans, or step by step (core/collective.hpp)
  std::string name() const;
};
/// "reference", "c10d", "nccl", or an algorithm of core/collective.hpp; throws InputError naming the value.
CollectiveChoice parse_collective(const std::string& name);

/// NVLink SHARP's achieved fraction of what the NVLink ports' protocol efficiency gives a ring: the
/// switch's reduce and multicast run below port rate. Fitted to 8 x H100 NVLS all-reduce, busbw about
/// 480 GB/s (NVIDIA/nccl-tests issue 212, sjeaugey) on a 450 GB/s port at the platform's efficiency.
/// The simulator replays NVLS transfers with their bytes divided by it.
constexpr double kNvlsEfficiency = 0.834;

/// NCCL's choice for an exchange: nvls, hierarchical or ring (see above). `nvls_capable`: every GPU and
/// node supports NVLink SHARP.
Algorithm choose_nccl_algorithm(const Exchange& e, const std::vector<int>& node_of_worker, bool nvls_capable);

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
/// one by one (local SGD's "model" exchange is split into the shared part and those blocks). `rails`:
/// NICs per node, the channels of a ring across nodes (efficient algorithms and nccl).
std::vector<SyncOp> make_sync_ops(const CommPlan& plan, const Model& model, Protocol protocol,
                                  const std::vector<int>& partitionable, const CollectiveChoice& choice,
                                  const std::vector<int>& node_of_worker, bool nvls_capable = false, int rails = 1);

/// The trainer's pattern for one round (see above). `created` holds the process groups that exist
/// already (member lists); the groups this round creates are added to it.
std::vector<SyncOp> make_c10d_ops(const CommPlan& plan, int workers, std::vector<std::vector<int>>& created,
                                  Granularity granularity = Granularity::spans);

/// Seconds each member pays to create a process group of `members` and set up its communicator:
/// group_create_s + group_create_per_peer_s (members - 1) + group_init_s (members / 2)^group_init_exponent
/// (no communicator for a group of one).
double group_create_member_s(int members, const PlatformParams& params);

/// Fixed-cost seconds `worker` pays in `op`: process groups it is a member of (group_create_member_s each)
/// and its collective calls (collective_latency_s per call per tensor).
double op_overhead_s(const SyncOp& op, int worker, const PlatformParams& params);

} // namespace resist::sim
