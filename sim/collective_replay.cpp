#include "sim/collective_replay.hpp"

#include <fmt/format.h>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Mailbox.hpp>

#include <algorithm>
#include <limits>

namespace sg4 = simgrid::s4u;

namespace resist::sim {

TransferIndex index_transfers(const std::vector<Transfer>& transfers, int workers) {
  TransferIndex idx;
  idx.incoming.resize(static_cast<std::size_t>(workers));
  idx.outgoing.resize(static_cast<std::size_t>(workers));
  for (std::size_t i = 0; i < transfers.size(); ++i) {
    idx.incoming.at(static_cast<std::size_t>(transfers[i].dst)).push_back(static_cast<int>(i));
    idx.outgoing.at(static_cast<std::size_t>(transfers[i].src)).push_back(static_cast<int>(i));
  }
  // Both sides in (step, index) order: the k-th send of a pair then meets the k-th receive of that pair.
  auto by_step = [&](int a, int b) { return transfers[a].step < transfers[b].step; };
  for (auto& in : idx.incoming) std::stable_sort(in.begin(), in.end(), by_step);
  for (auto& out : idx.outgoing) std::stable_sort(out.begin(), out.end(), by_step);
  return idx;
}

sg4::Mailbox* MailboxTable::get(int slot, int src, int dst) {
  const Key key{slot, src, dst};
  if (const auto it = boxes_.find(key); it != boxes_.end()) return it->second;
  // by_name may yield to other actors, which may add to the table: insert afterwards.
  auto* box = sg4::Mailbox::by_name(fmt::format("x{}.{}>{}", slot, src, dst));
  boxes_.emplace(key, box);
  return box;
}

std::size_t MailboxTable::KeyHash::operator()(const Key& k) const {
  return std::hash<std::uint64_t>()((static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.slot)) << 42) ^
                                    (static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.src)) << 21) ^
                                    static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.dst)));
}

WorkerBytes run_transfers(const std::vector<Transfer>& transfers, const TransferIndex& index, int worker, int slot,
                          MailboxTable& mailboxes) {
  WorkerBytes bytes;
  const auto& in = index.incoming[static_cast<std::size_t>(worker)];
  const auto& out = index.outgoing[static_cast<std::size_t>(worker)];
  if (in.empty() && out.empty()) return bytes;

  // Receives first, so a sender never waits for this worker to get around to it. One mailbox per
  // (source, destination) pair: each receive is then one known transfer, and this worker waits for exactly
  // the ones a send needs, in step order (a wait on all pending receives at once costs SimGrid time in
  // their number at every arrival, quadratic in a ring's length).
  std::vector<Transfer*> landed(in.size(), nullptr);
  std::vector<sg4::CommPtr> receives;
  receives.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const Transfer& t = transfers[static_cast<std::size_t>(in[i])];
    receives.push_back(mailboxes.get(slot, t.src, worker)->get_async<Transfer>(&landed[i]));
  }
  std::size_t waited = 0; // receives [0, waited) have arrived
  auto wait_before = [&](int step) {
    for (; waited < in.size() && transfers[static_cast<std::size_t>(in[waited])].step < step; ++waited) {
      receives[waited]->wait();
      receives[waited] = nullptr; // done: let SimGrid free it
      bytes.received += transfers[static_cast<std::size_t>(in[waited])].bytes;
    }
  };

  std::vector<sg4::CommPtr> sends;
  sends.reserve(out.size());
  for (std::size_t i = 0; i < out.size();) {
    const int step = transfers[static_cast<std::size_t>(out[i])].step;
    wait_before(step);
    for (; i < out.size() && transfers[static_cast<std::size_t>(out[i])].step == step; ++i) {
      const Transfer& t = transfers[static_cast<std::size_t>(out[i])];
      // The payload is the transfer itself (SimGrid refuses a null payload); its size is what moves.
      sends.push_back(
          mailboxes.get(slot, worker, t.dst)->put_async(const_cast<Transfer*>(&t), static_cast<uint64_t>(t.bytes)));
      bytes.sent += t.bytes;
    }
  }
  wait_before(std::numeric_limits<int>::max());
  for (auto& c : sends) c->wait();
  return bytes;
}

} // namespace resist::sim
