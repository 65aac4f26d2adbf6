#include "sim/collective_replay.hpp"

#include <fmt/format.h>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Mailbox.hpp>

#include <algorithm>

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
  for (auto& out : idx.outgoing)
    std::stable_sort(out.begin(), out.end(), [&](int a, int b) { return transfers[a].step < transfers[b].step; });
  return idx;
}

sg4::Mailbox* MailboxTable::get(int slot, int worker) {
  if (static_cast<int>(boxes_.size()) <= slot) boxes_.resize(static_cast<std::size_t>(slot) + 1);
  auto& row = boxes_[static_cast<std::size_t>(slot)];
  if (static_cast<int>(row.size()) <= worker) row.resize(static_cast<std::size_t>(worker) + 1, nullptr);
  if (auto* box = row[static_cast<std::size_t>(worker)]) return box;
  // by_name may yield to other actors, which may grow the table: index again afterwards.
  auto* box = sg4::Mailbox::by_name(fmt::format("x{}.w{}", slot, worker));
  boxes_[static_cast<std::size_t>(slot)][static_cast<std::size_t>(worker)] = box;
  return box;
}

WorkerBytes run_transfers(const std::vector<Transfer>& transfers, const TransferIndex& index, int worker, int slot,
                          MailboxTable& mailboxes) {
  WorkerBytes bytes;
  const auto& in = index.incoming[static_cast<std::size_t>(worker)];
  const auto& out = index.outgoing[static_cast<std::size_t>(worker)];
  if (in.empty() && out.empty()) return bytes;

  // Receives first, so a sender never waits for this worker to get around to it.
  std::vector<Transfer*> landed(in.size(), nullptr);
  std::vector<sg4::CommPtr> pending;
  std::vector<std::size_t> pending_slot;
  sg4::Mailbox* inbox = mailboxes.get(slot, worker);
  for (std::size_t i = 0; i < in.size(); ++i) {
    pending.push_back(inbox->get_async<Transfer>(&landed[i]));
    pending_slot.push_back(i);
  }
  std::vector<int> arrived_steps;
  auto wait_one = [&] {
    const auto k = static_cast<std::size_t>(sg4::Comm::wait_any(pending));
    const Transfer* t = landed[pending_slot[k]];
    arrived_steps.push_back(t->step);
    bytes.received += t->bytes;
    pending[k] = pending.back();
    pending.pop_back();
    pending_slot[k] = pending_slot.back();
    pending_slot.pop_back();
  };

  std::vector<sg4::CommPtr> sends;
  std::size_t i = 0;
  while (i < out.size()) {
    const int step = transfers[static_cast<std::size_t>(out[i])].step;
    const auto needed = std::count_if(in.begin(), in.end(), [&](int j) { return transfers[j].step < step; });
    auto arrived_before = [&] {
      return std::count_if(arrived_steps.begin(), arrived_steps.end(), [&](int s) { return s < step; });
    };
    while (arrived_before() < needed) wait_one();
    for (; i < out.size() && transfers[static_cast<std::size_t>(out[i])].step == step; ++i) {
      const Transfer& t = transfers[static_cast<std::size_t>(out[i])];
      // The payload is the transfer itself (SimGrid refuses a null payload); its size is what moves.
      sends.push_back(mailboxes.get(slot, t.dst)->put_async(const_cast<Transfer*>(&t), static_cast<uint64_t>(t.bytes)));
      bytes.sent += t.bytes;
    }
  }
  while (!pending.empty()) wait_one();
  for (auto& c : sends) c->wait();
  return bytes;
}

} // namespace resist::sim
