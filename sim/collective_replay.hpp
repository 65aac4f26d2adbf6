// Point-to-point transfers of one exchange, replayed as SimGrid communications between worker actors.
// The rule (core/collective.hpp): a transfer leaves its source once the transfers into that source of
// earlier phases have arrived, and a ring's step once its ring's earlier steps into that source that share
// a channel with it (Transfer::channels) have too. Every receive is posted up front, so transfers that are free to go overlap, and SimGrid shares the
// links they cross. A connection's ring transfers go in order, pipelined as NCCL's steps are: the next
// starts once the one before it is on the wire (its bytes over the route's bandwidth after it started),
// not once it has arrived, and at most kRingSlots are in flight (NCCL_STEPS buffer slots); so a hop's
// latency overlaps the steps behind it, and only the chain of data from hop to hop pays it. With ring
// steps, each connection of each ring a worker is in progresses on an actor of its own, so the pieces of a
// pipelined algorithm never wait for each other's steps, nor a railed ring's channels for each other's.
//
// Spans (a ring phase's steps between two workers as one transfer) stream: each moves its bytes as one
// SimGrid communication, as NCCL's chunks go through one connection in order. A ring forwards what it
// receives, so no member is done before the slowest chain of steps has delivered: a ring phase's spans
// count as arrived together, when the last of them has (a barrier of their receivers), and not before the
// ring's chain allows (ring_chain, after the last span started): the step replay's time on a ring whose
// links nothing else uses (tests/sim/test_closed_forms.cpp, experiments/sim_speed/replay_compare.sh).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/collective.hpp"
#include "core/comm.hpp"
#include "sim/platform.hpp"
#include "sim/ring_chain.hpp"

#include <simgrid/forward.h>

namespace simgrid::s4u {
class Mailbox;
}

namespace resist::sim {

/// Transfers of one exchange indexed by worker.
struct TransferIndex {
  std::vector<std::vector<int>> incoming; // per worker: indices into the transfers, ascending step
  std::vector<std::vector<int>> outgoing; // per worker: indices, ascending step
  // Per worker: positions in incoming by ascending phase_last, and those phase_lasts. A transfer waits for
  // the prefix of this order that ends before its phase starts (earlier_phases).
  std::vector<std::vector<int>> arrival_order;
  std::vector<std::vector<int>> arrival_last;
  // Per transfer: its mailbox lane on its pair (kMailboxLanes), and how many ring transfers its connection
  // (source, destination) carries in this exchange (0: not a ring's; more than one: in_order).
  std::vector<int> lane;
  std::vector<std::size_t> per_connection;
  std::vector<std::size_t> connection_place; // per ring transfer: its place in its connection's order
  double call_latency_s = 0; // paid by every participant before its transfers (NCCL's latency of the call)
  bool streamed = false; // holds ring steps (not spans): each connection of each ring on an actor of its own
  // Spans, per phase (a ring phase: same first step and steps): its chain time, the barrier of its
  // receivers, and when its last span was posted (this repetition). Per worker and arrival position:
  // the phase to wait for after that receive (the worker's last span of the phase), or -1.
  std::vector<int> phase;                  // per transfer, -1 for a plain transfer
  std::vector<double> chain_s;             // per phase
  // Per ring transfer: the seconds after it starts at which its connection's next may start: a step's
  // bytes over its route's bandwidth, a span's last step on the wire (ring_chain). Empty without routes:
  // the next waits for it to arrive.
  std::vector<double> send_s;
  std::vector<simgrid::s4u::BarrierPtr> barriers;
  mutable std::vector<double> phase_posted_s; // written by the replay as spans are posted
  std::vector<std::vector<int>> barrier_after;

  /// Whether transfer i waits for its connection's earlier ring transfers before it starts (until they are
  /// on the wire, at most kRingSlots in flight; see Connections in collective_replay.cpp).
  bool in_order(std::size_t transfer) const { return per_connection[transfer] > 1; }

  /// How many of `worker`'s receives (a prefix of its arrival order) end before a phase starting at
  /// `first_step`: those a transfer of that phase waits for.
  std::size_t earlier_phases(int worker, int first_step) const;
};
using RouteOf = std::function<RouteInfo(int src, int dst)>;


/// The latency a replay of `transfers` pays on free links with no bytes: the longest chain of route
/// latencies, a transfer leaving once the transfers into its source of earlier phases have arrived (ring
/// steps and spans counted as their phase). NCCL's latency of a call (which holds its own hops) is charged
/// less this.
double latency_floor_s(const std::vector<Transfer>& transfers, int workers, const RouteOf& route);

/// Call from an actor when the transfers hold spans (it creates their phases' barriers); `route` is
/// needed for their chain time (none: the chain is not waited for). `call_latency_s` > 0: NCCL's latency of
/// the call (comm_pattern.hpp SyncOp::latency_s): every participant first waits for it less the replay's
/// own latency_floor_s, and the ring chains count no route latency (it is in the call's).
TransferIndex index_transfers(const std::vector<Transfer>& transfers, int workers, const RouteOf& route = {},
                              double call_latency_s = 0);

/// SimGrid's stack per actor, in KiB: an actor per worker (and communication stream), whose default 8 MiB
/// stacks cost an mmap, page faults and a munmap each. Sanitizers need more stack than the 256 KiB that
/// suffice otherwise.
#if defined(__SANITIZE_ADDRESS__) // gcc
#define RESIST_SIM_ASAN 1
#elif defined(__has_feature) // clang
#if __has_feature(address_sanitizer)
#define RESIST_SIM_ASAN 1
#endif
#endif
#ifdef RESIST_SIM_ASAN
constexpr const char* kActorStackConfig = "contexts/stack-size:8192";
#else
constexpr const char* kActorStackConfig = "contexts/stack-size:256";
#endif

/// Lanes per (source, destination) pair and ring: the k-th plain transfer of a pair goes through lane
/// k mod kMailboxLanes, the k-th of a ring phase through lane k mod kMailboxLanes of that ring's own block
/// (first in, first matched within a lane keeps the order). SimGrid 3.32 scans a mailbox's queue of posted
/// receives at every match and completion through it; lanes keep the queues of a long ring short and the
/// number of mailboxes bounded.
constexpr int kMailboxLanes = 16;

/// A worker posts the communications of its part of an exchange itself up to this many; beyond, a helper
/// actor does (SimGrid 3.32 scans the list of what an actor posted at each of its waits; run_transfers).
constexpr std::size_t kPostedByWorkerMax = 64;

/// Mailboxes by (slot, source, destination, lane): a slot is one exchange in flight. SimGrid never frees a
/// mailbox, and the pairs of a run's exchanges change from round to round (ResIST's holder sets): recycle()
/// (call when nothing is in flight, e.g. between rounds) hands this table's mailboxes out again for whatever
/// keys come next, so a run holds as many as its busiest round needs, not one per pair it ever used.
class MailboxTable {
public:
  simgrid::s4u::Mailbox* get(int slot, int src, int dst, int lane);
  void recycle();
  std::size_t created() const { return pool_.size(); }

private:
  struct Key {
    int slot, src, dst, lane;
    bool operator==(const Key& o) const { return slot == o.slot && src == o.src && dst == o.dst && lane == o.lane; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  std::unordered_map<Key, simgrid::s4u::Mailbox*, KeyHash> boxes_;
  std::vector<simgrid::s4u::Mailbox*> pool_; // every mailbox created; [0, used_) are in boxes_
  std::size_t used_ = 0;
  std::size_t named_ = 0;
};

/// Runs `worker`'s part of one repetition of an exchange (call from the worker's actor): posts its
/// receives, sends step by step as the rule allows, waits for everything. Returns the bytes it handed
/// to SimGrid (sent) and the bytes of the messages it received.
WorkerBytes run_transfers(const std::vector<Transfer>& transfers, const TransferIndex& index, int worker, int slot,
                          MailboxTable& mailboxes);

} // namespace resist::sim
