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
// `nccl` runs each exchange as NCCL would (sim/nccl_tuner.hpp: NCCL 2.27's tuner): the algorithm (ring
// and NVLS on one node; ring, tree and NVLS-tree across nodes, NVLS only where every GPU and node support
// NVLink SHARP) and the protocol (LL, LL128, Simple) of smallest time in NCCL's own cost model; the call then
// pays NCCL's latency for that pair, and SimGrid carries the algorithm's transfers with their bytes scaled by
// what the protocol costs against Simple at that size. What comes out, as published: NVLS on one Hopper
// NVSwitch node at large sizes; on 2 nodes tree or NVLS-tree, which exceed the NIC bandwidth ("On two nodes,
// NCCL uses the tree (or nvlstree) algorithm which can indeed go beyond the network bottleneck", sjeaugey,
// NVIDIA/nccl-tests#196; `--nccl-algo ^tree,nvlstree` for the NIC-bound ring that some versions and fabrics
// measure); on 3+ nodes rings at large sizes ("On 3+ nodes we should use rings for large enough sizes",
// sjeaugey, NVIDIA/nccl-tests#160); trees and LL / LL128 at small and mid sizes.
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
#include "sim/nccl_tuner.hpp"
#include "sim/platform.hpp"

namespace resist::sim {

struct CollectiveChoice {
  bool reference = true;
  Algorithm algorithm = Algorithm::ring; // when not reference (and not nccl)
  bool nccl = false;                     // choose per exchange like NCCL
  bool c10d = false;                     // the trainer's pattern (exec/aggregate.cpp)
  NcclEnable nccl_enable;                // nccl: the algorithms and protocols it may use (NCCL_ALGO, NCCL_PROTO)
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
  int compute_capability = 80; // the GPUs' lowest (gpu_model.hpp compute_capability)
  bool nvlink = true;          // the GPUs of a node meet over NVLink (else PCIe)
  double net_latency_us = 0;   // NCCL's latencyInter (platform parameter nccl_net_latency_s)
  double chunk_intra_s = 0;    // platform parameters nccl_chunk_intra_s, nccl_chunk_net_s (nccl_tuner.hpp)
  double chunk_net_s = 0;
};

/// The platform's NCCL parameters into `hw` (latency, chunk seconds).
void set_nccl_params(NcclHardware& hw, const PlatformParams& params);

/// The hardware of `hosts`: NVLS from `gpus` and the node, rates from the routes' narrowest link (to a
/// worker on the same node, and on another node).
NcclHardware nccl_hardware(const std::vector<WorkerHost>& hosts, const GpuTable& gpus);

/// What NCCL's tuner sees of an all-reduce among `e`'s contributors on this hardware: ranks, nodes, ranks per
/// node, and as the graph's bandwidth the bus bandwidth the replay's links give the ring (a GPU's port on
/// one node; across nodes the port and the node's min(rails, L) NICs together, the NICs alone with one GPU
/// per node), NVLS's (the port at kNvlsEfficiency) and the NICs' (NVLS-tree across nodes). Unknown rates
/// (0) count as 1 GB/s: the choice then rests on latency.
NcclComm nccl_comm(const Exchange& e, const std::vector<int>& node_of_worker, const NcclHardware& hw);

/// NCCL's call for an exchange: an all-reduce among its contributors as nccl_choose makes it; an exchange
/// that also delivers to other receivers (ResIST's blocks) runs the ring (core/collective.hpp) with the
/// protocol NCCL would pick for the ring. Fewer than 2 contributors: ring Simple, no latency.
NcclCall nccl_call(const Exchange& e, const std::vector<int>& node_of_worker, const NcclHardware& hw,
                   const NcclEnable& enable = {});

/// One exchange as the simulator replays it.
struct SyncOp {
  Exchange exchange;
  Algorithm algorithm = Algorithm::ring;
  // Under nccl: the protocol, NCCL's latency paid once per call by every participant (instead of
  // collective_latency_s and the routes' latencies along the algorithm's chain), and the factor the
  // transfers' bytes were scaled by (the protocol's bandwidth at this size against Simple's; nccl_tuner.hpp).
  bool nccl = false;
  NcclProto protocol = NcclProto::simple;
  double latency_s = 0;
  double bytes_factor = 1;
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
