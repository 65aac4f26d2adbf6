// Point-to-point transfers of one exchange, replayed as SimGrid communications between worker actors.
// The rule (core/collective.hpp): a transfer of step k leaves its source once every transfer into that
// source with a smaller step has arrived. Every receive is posted up front, so transfers that are free
// to go overlap, and SimGrid shares the links they cross.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/collective.hpp"
#include "core/comm.hpp"

namespace simgrid::s4u {
class Mailbox;
}

namespace resist::sim {

/// Transfers of one exchange indexed by worker.
struct TransferIndex {
  std::vector<std::vector<int>> incoming; // per worker: indices into the transfers, ascending step
  std::vector<std::vector<int>> outgoing; // per worker: indices, ascending step
};
TransferIndex index_transfers(const std::vector<Transfer>& transfers, int workers);

/// Lanes per (source, destination) pair: the k-th transfer of a pair goes through lane k mod kMailboxLanes
/// (first in, first matched within a lane keeps the pair's order). SimGrid 3.32 scans a mailbox's queue
/// of posted receives at every match and completion through it; lanes keep the queues of a long ring
/// short and the number of mailboxes bounded.
constexpr int kMailboxLanes = 16;

/// A worker posts the communications of its part of an exchange itself up to this many; beyond, a helper
/// actor does (SimGrid 3.32 scans the list of what an actor posted at each of its waits; run_transfers).
constexpr std::size_t kPostedByWorkerMax = 64;

/// Mailboxes by (slot, source, destination, lane), created once and reused: a slot is one exchange in flight.
class MailboxTable {
public:
  simgrid::s4u::Mailbox* get(int slot, int src, int dst, int lane);

private:
  struct Key {
    int slot, src, dst, lane;
    bool operator==(const Key& o) const { return slot == o.slot && src == o.src && dst == o.dst && lane == o.lane; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  std::unordered_map<Key, simgrid::s4u::Mailbox*, KeyHash> boxes_;
};

/// Runs `worker`'s part of one repetition of an exchange (call from the worker's actor): posts its
/// receives, sends step by step as the rule allows, waits for everything. Returns the bytes it handed
/// to SimGrid (sent) and the bytes of the messages it received.
WorkerBytes run_transfers(const std::vector<Transfer>& transfers, const TransferIndex& index, int worker, int slot,
                          MailboxTable& mailboxes);

} // namespace resist::sim
