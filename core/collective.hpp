// How an Exchange moves on the wire: each collective algorithm expands into point-to-point transfers,
// numbered by step and grouped in phases (a ring's steps, or a single step). The rule the simulator
// replays (and the wire bytes the accounting reports): a transfer leaves its source once every transfer
// into that source of an earlier phase (one that ends before this one starts) has arrived, and, for a
// ring's step, once its ring's previous steps into that source that share a channel with it have arrived
// and its connection's earlier ring transfers are on the wire (NCCL sends a connection's steps in order,
// pipelined, at most 8 in flight). Chunks of a ring are B/N bytes, the first
// B mod N chunks one byte larger.
//
//   ring          contributors == receivers (all-reduce over N): reduce-scatter then all-gather around
//                 the ring of contributors in ascending order, 2(N-1) steps; rank p sends 2B minus the
//                 two chunks it never forwards. Otherwise: ring all-reduce among the contributors, then
//                 each new receiver gets B from one contributor (round robin).
//                 Across nodes with `rails` > 1 NICs per node (and the same L workers on every node): what
//                 NCCL's ring does on a rail-optimized fabric, min(rails, L) channels of B/channels bytes,
//                 each a ring over all N workers that enters every node at local position c L / channels
//                 and leaves it from the position before, so every channel crosses between nodes on its own
//                 NIC and the node's NICs carry the 2(N-1)/N B together (one channel would be capped at one
//                 NIC). Same 2(N-1) steps, same bytes per worker; a worker's transfers of one step to the
//                 same destination are merged (two per worker and step: in the node, and to the next node).
//   star          the reference's reduce-then-broadcast through a root (the lowest contributor, or
//                 worker 0 when there is none): step 0 every other contributor sends B to the root,
//                 step 1 the root sends B to every other receiver.
//   hierarchical  the rail-wise two-level all-reduce (Horovod-style; NCCL itself runs rings or trees across
//                 nodes; all-reduce over L workers on each of M nodes, the same L
//                 everywhere): a ring reduce-scatter inside every node (local position p ends up owning
//                 chunk (p+1) mod L of B/L bytes), then a ring all-reduce of each chunk among its owners on
//                 all nodes (one ring per rail: local rank p of every node, which uses NIC p), then a ring
//                 all-gather inside every node. Steps: L-1, 2(M-1), L-1. Per worker 2(L-1)/L B inside the
//                 node and 2(M-1)/(M L) B across nodes. One node: ring; other exchanges or uneven nodes: ring.
//                 Pipelined: the buffer in kHierarchicalPieces pieces, piece j's steps shifted
//                 by j(L-1), so the intra-node phases of one piece overlap the network phase of another.
//   leader        the previous hierarchical form: step 0 each worker sends B to its node's leader (lowest
//                 member), a ring all-reduce among leaders, then each leader sends B to its node's others.
//   nvls          NVLink SHARP on an NVSwitch node (Hopper and later; all-reduce on one node, else ring):
//                 the switch reduces (multimem.ld_reduce) and multicasts (multimem.st), so every GPU port
//                 carries B (1 + 1/N) each way instead of the ring's 2(N-1)/N B. Replayed as two direct
//                 phases among the N GPUs, step 0 every GPU to every other, step 1 back, each transfer
//                 B (N+1) / (2N(N-1)) bytes, which puts exactly that on each port in 2 steps.
//   tree          NCCL's tree (all-reduce over L workers on each of M nodes, the same L everywhere, else ring):
//                 inside every node a chain, across nodes NCCL's double binary tree (nccl_tree_parent), each of
//                 the two trees carrying half the buffer: reduce up the chain and the tree, broadcast down.
//                 min(rails, L) channels of B/channels; channel c's chain runs from local position
//                 c L / channels - 1 down to its head c L / channels, whose NIC carries it across nodes.
//                 Pipelined in kTreePieces pieces, piece j: up the chain at step j, up the tree j + 1, down
//                 the tree j + 2, down the chain j + 3 (one node: j + 1). Each phase is one step, all hops at
//                 once: NCCL streams a piece through the chain and the tree's levels in small chunks, so
//                 the replay gets the pipelined bandwidth and pays one hop's latency per phase, not L-1 or
//                 log2 M. A worker's chain transfers of one step are merged over channels and trees. Per
//                 worker inside the node 2(channels-1)/channels B each way with a channel per GPU; across
//                 2 nodes B per node each way (the ring's 2(N-1)/N B); beyond, up to 2B per node.
//   nvlstree      NVLS-tree (Hopper NVSwitch nodes across nodes; one node: nvls; uneven nodes: ring): an NVLS
//                 reduce in every node (nvls's step 0), after which local position p holds chunk p of B/L;
//                 the double binary tree across nodes for each chunk on its rail (GPU p and its NIC on
//                 every node); then an NVLS broadcast (nvls's step 1). Pipelined and stepped like tree:
//                 reduce j, up the tree j + 1, down j + 2, broadcast j + 3.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/comm.hpp"

namespace resist {

/// Pieces the hierarchical all-reduce pipelines its buffer in.
constexpr int kHierarchicalPieces = 4;
/// Pieces tree and nvlstree pipeline their buffer in: a piece's 4 phases overlap those of the 3 before it,
/// so only the first and last 3 steps run part-empty. Load-bearing: the held-out 2-node NVLS-tree points sit
/// within 4% at 8 pieces and up to 10% high with 64 (experiments/sim_calibration/README.md, section 2).
constexpr int kTreePieces = 8;

enum class Algorithm { ring, star, hierarchical, leader, nvls, tree, nvls_tree };

const char* to_string(Algorithm a);
/// Throws InputError naming the value and the known algorithms.
Algorithm parse_algorithm(const std::string& name);

/// Whether two channel masks (Transfer::channels; 0: all) share a channel.
inline bool channels_meet(std::uint64_t a, std::uint64_t b) { return a == 0 || b == 0 || (a & b) != 0; }

struct Transfer {
  int src = 0;
  int dst = 0;
  std::int64_t bytes = 0;
  int step = 0;
  int steps = 1; // a span (Granularity::spans): the ring steps step .. step + steps - 1 of this pair as one
  // A ring's transfer (a step or a span): the first step and the steps of its ring phase (0 steps: not a
  // ring's). It goes through the connection (src, dst) in order, once that connection's earlier ring
  // transfers are on the wire (at most 8 in flight), as NCCL's connections send their steps; others start
  // when the rule allows.
  int ring_first = 0;
  int ring_steps = 0;
  // The ring's channels it carries (bit c: channel c; 0: all). A ring step waits only for the earlier steps
  // into its source that carry one of its channels: NCCL's channels are rings of their own, merged here
  // into one transfer per neighbour (the railed ring).
  std::uint64_t channels = 0;
  int last_step() const { return step + steps - 1; }
  /// Whether this transfer's data may depend on `in`'s: they share a channel.
  bool shares_channel(const Transfer& in) const { return channels_meet(channels, in.channels); }
  bool in_ring() const { return ring_steps > 0; }
  /// The steps of the phase this transfer is part of: its ring phase, or its own step(s).
  int phase_first() const { return in_ring() ? ring_first : step; }
  int phase_last() const { return in_ring() ? ring_first + ring_steps - 1 : last_step(); }
};

/// How finely an exchange is expanded. `steps`: every ring step a transfer of its own (2(N-1) N
/// transfers for a ring of N). `spans`: a ring phase's consecutive steps between the same two workers
/// as one transfer (a span) carrying their bytes; the rule becomes: a transfer leaves its source once every
/// transfer into that source whose last step is smaller than its first has arrived, so a ring is N
/// transfers that stream as one pipeline (NCCL's chunks do). Equal bytes on the wire; the replay holds a
/// ring phase's spans to the steps' longest chain (sim/collective_replay.hpp `ring_chain`: on equal hops,
/// steps - 1 further hop latencies). Phases that differ in
/// their pairs (the hierarchical all-reduce's pieces, the leader pattern's steps) keep their order.
enum class Granularity { steps, spans };

/// Transfers of one exchange (one repetition). node_of_worker is needed for hierarchical, leader, tree,
/// nvlstree and the railed ring (empty: every worker on its own node); `rails`: NICs per node (channels of
/// the ring and the tree across nodes). An
/// exchange without receivers (IST's upload of a slice) goes to worker 0, IST's parameter server; one
/// without contributors (IST's download) comes from it.
std::vector<Transfer> expand_exchange(const Exchange& e, Algorithm algorithm,
                                      const std::vector<int>& node_of_worker = {}, int rails = 1,
                                      Granularity granularity = Granularity::steps);

/// Wire bytes per worker of a whole plan, repeats included. Size = workers.
std::vector<WorkerBytes> wire_bytes(const CommPlan& plan, int workers, Algorithm algorithm,
                                    const std::vector<int>& node_of_worker = {}, int rails = 1);

/// Parent of node `rank` of `ranks` in tree 0 or 1 of NCCL's double binary tree (src/graph/trees.cc):
/// tree 0 a binary tree rooted at 0 built on the lowest set bit of the rank, tree 1 its mirror
/// (ranks - 1 - r) for an even count, its shift by one for an odd. -1 for the root.
int nccl_tree_parent(int ranks, int tree, int rank);

/// Closed form of a ring all-reduce of `bytes` over n workers, per worker sent (exact integer form).
std::int64_t ring_allreduce_sent_bytes(std::int64_t bytes, int n, int position);

} // namespace resist
