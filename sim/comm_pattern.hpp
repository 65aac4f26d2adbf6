// How a round's communication plan (core) is carried out on the wire: which collective algorithm each
// exchange uses, how many collective calls each participant makes, which process groups are created.
//
// `reference` is the ResIST reference code's pattern (dunchen/ResIST_release), for both ResIST and its
// local SGD baseline: the shared parameters are all-reduced on the world group with one NCCL call per
// tensor (a ring); every partitioned block gets a fresh process group of its holders, a reduce to the
// lowest holder (one call per tensor), and a fresh group of the next holders plus that owner for the
// broadcast (one call per tensor). Data parallel under `reference` is PyTorch DDP: one ring all-reduce
// per gradient bucket. IST under `reference` goes through a parameter server (star).
// Any other choice (ring, star, hierarchical, leader, nvls, tree, nvlstree) uses that algorithm for every
// exchange, with the tensors flattened into one buffer (one call) and no group creation: an efficient
// implementation.
// `nccl` chooses per exchange as NCCL's tuner does (choose_nccl_algorithm): an all-reduce takes the
// candidate with the smallest alpha-beta time (nccl_estimate_s): ring and NVLS on one node, ring, tree and
// NVLS-tree across nodes (NVLS and NVLS-tree only where every GPU and node support NVLink SHARP); other
// exchanges ring. What comes out, as published: NVLS on one Hopper NVSwitch node from 4 GPUs; on 2 nodes
// tree or NVLS-tree, which exceed the NIC bandwidth ("On two nodes, NCCL uses the tree (or nvlstree)
// algorithm which can indeed go beyond the network bottleneck", sjeaugey, NVIDIA/nccl-tests#196); on 3+
// nodes rings at large sizes, busbw = the node's NIC bandwidth ("On 3+ nodes we should use rings for large
// enough sizes", sjeaugey, NVIDIA/nccl-tests#160); tree or NVLS-tree at small and mid sizes at scale, where
// their log2(nodes) latency beats the ring's 2(N-1) steps.
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
#include "sim/gpu_model.hpp"
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
/// The simulator replays NVLS transfers (and NVLS-tree's inside a node) with their bytes divided by it.
constexpr double kNvlsEfficiency = 0.834;

/// What NCCL's tuner knows of the platform, for the choice (the slowest over the workers).
struct NcclHardware {
  bool nvls_capable = false; // every GPU and node supports NVLink SHARP (Hopper and later on an NVSwitch)
  int rails = 1;             // NICs per node: channels of a ring or tree across nodes
  double intra_Bps = 0;      // a GPU's port inside the node, per direction, as achieved (0: unknown or none)
  double nic_Bps = 0;        // one NIC, per direction, as achieved (0: unknown)
};

/// The hardware of `hosts`: NVLS from `gpus` and the node, rates from the routes' narrowest link (to a
/// worker on the same node, and on another node).
NcclHardware nccl_hardware(const std::vector<WorkerHost>& hosts, const GpuTable& gpus);

/// NCCL's tree all-reduce bandwidth factor: its tuner multiplies the tree's bus bandwidth by 0.92
/// (NVIDIA/nccl src/graph/tuning.cc, ncclTopoTuneModel, `busBw * .92`, master 5067397, 2026).
constexpr double kNcclTreeBwFactor = 0.92;

/// Alpha-beta seconds of an all-reduce `e` by `a` as the choice sees it (infinity where `a` does not apply:
/// not an all-reduce, NVLS off one node or without NVLS, NVLS-tree or tree on one node, uneven nodes).
/// Latency: NCCL's Simple-protocol constants (tuning.cc, master 5067397), in us: ring 8.4 + 3.4 per step
/// inside a node + 14 per step across nodes, 2(N-1) steps of which 2(M-1) across; tree 8.4 +
/// 2((L-1) 4.0 + log2(M) 14); NVLS 25; NVLS-tree 25 + 2 log2(M) 20.9 (N workers, M nodes of L).
/// Bandwidth: the bytes the replay puts on the busiest port or NIC per byte of B, at intra_Bps and nic_Bps:
/// ring 2(N-1)/N on a port and through the node's min(rails, L) NICs together; NVLS (1 + 1/N) /
/// kNvlsEfficiency on a port; tree the busiest port of its chains (2(c-1)/c with a channel per GPU, c = L;
/// up to 2 with fewer) over kNcclTreeBwFactor; NVLS-tree (1 + 1/L) / kNvlsEfficiency on a port. Across nodes
/// tree and NVLS-tree put B per node through the NICs on 2 nodes and 2B beyond, as NCCL's tuner counts them
/// (bwIntra on <= 2 nodes, the NVLS-tree's 2-node inter-node bandwidth doubled; bwInter beyond).
double nccl_estimate_s(const Exchange& e, Algorithm a, const std::vector<int>& node_of_worker,
                       const NcclHardware& hw);

/// NCCL's choice for an exchange: the candidate of smallest nccl_estimate_s, ties to the earlier in NCCL's
/// order (tree, ring, nvls, nvls_tree); ring for anything but an all-reduce. Unknown rates: ring, or on one
/// node NVLS where its bytes per port are no more than the ring's. (intra_Bps is not needed with one GPU per
/// node, nic_Bps not on one node.)
Algorithm choose_nccl_algorithm(const Exchange& e, const std::vector<int>& node_of_worker, const NcclHardware& hw);

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
/// one by one (local SGD's "model" exchange is split into the shared part and those blocks). `hw`: for
/// nccl's choice, and hw.rails the channels of a ring or tree across nodes (efficient algorithms and nccl).
std::vector<SyncOp> make_sync_ops(const CommPlan& plan, const Model& model, Protocol protocol,
                                  const std::vector<int>& partitionable, const CollectiveChoice& choice,
                                  const std::vector<int>& node_of_worker, const NcclHardware& hw = {});

/// The trainer's pattern for one round (see above). `created` holds the process groups that exist
/// already (member lists); the groups this round creates are added to it.
std::vector<SyncOp> make_c10d_ops(const CommPlan& plan, int workers, std::vector<std::vector<int>>& created,
                                  Granularity granularity = Granularity::spans);

/// Seconds each member pays to create a process group of `members` and set up its communicator:
/// group_create_s + group_create_per_peer_s (members - 1) + group_init_s (members / 2)^group_init_exponent
/// (no communicator for a group of one); or, where the platform has them (`resist profile --comm`), the
/// measured seconds for that size, growing beyond the largest measured size by its last step per member.
double group_create_member_s(int members, const PlatformParams& params);

/// Fixed-cost seconds `worker` pays in `op`: process groups it is a member of (group_create_member_s each)
/// and its collective calls (collective_latency_s per call per tensor).
double op_overhead_s(const SyncOp& op, int worker, const PlatformParams& params);

} // namespace resist::sim
