#include "sim/collective_replay.hpp"

#include <fmt/format.h>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Mailbox.hpp>
#include <simgrid/s4u/Barrier.hpp>
#include <simgrid/s4u/Semaphore.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>

namespace sg4 = simgrid::s4u;

namespace resist::sim {

TransferIndex index_transfers(const std::vector<Transfer>& transfers, int workers, const RouteOf& route) {
  TransferIndex idx;
  // Ring phases of spans: (first step, steps) -> phase number.
  std::map<std::pair<int, int>, int> phase_of;
  for (const Transfer& t : transfers)
    if (t.steps > 1) phase_of.emplace(std::make_pair(t.step, t.steps), static_cast<int>(phase_of.size()));
  idx.phase.assign(transfers.size(), -1);
  for (std::size_t i = 0; i < transfers.size(); ++i)
    if (transfers[i].steps > 1) idx.phase[i] = phase_of.at({transfers[i].step, transfers[i].steps});
  idx.chain_s.assign(phase_of.size(), 0.0);
  idx.phase_posted_s.assign(phase_of.size(), 0.0);
  if (route && !phase_of.empty()) {
    std::vector<int> hops(phase_of.size(), 0);
    for (std::size_t i = 0; i < transfers.size(); ++i)
      if (idx.phase[i] >= 0) {
        const Transfer& t = transfers[i];
        const RouteInfo r = route(t.src, t.dst);
        const double step_bytes = static_cast<double>(t.bytes) / t.steps;
        idx.chain_s[static_cast<std::size_t>(idx.phase[i])] +=
            t.steps * (r.latency_s + (r.bandwidth_Bps > 0 ? step_bytes / r.bandwidth_Bps : 0.0));
        ++hops[static_cast<std::size_t>(idx.phase[i])];
      }
    for (std::size_t p = 0; p < hops.size(); ++p) idx.chain_s[p] /= hops[p]; // steps x the mean hop
  }
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
  idx.arrival_order.resize(static_cast<std::size_t>(workers));
  idx.barrier_after.resize(static_cast<std::size_t>(workers));
  std::vector<unsigned> receivers(phase_of.size(), 0); // per phase: workers receiving a span of it
  for (std::size_t w = 0; w < idx.incoming.size(); ++w) {
    const auto& in = idx.incoming[w];
    auto& order = idx.arrival_order[w];
    order.resize(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) order[i] = static_cast<int>(i);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      return transfers[static_cast<std::size_t>(in[static_cast<std::size_t>(a)])].last_step() <
             transfers[static_cast<std::size_t>(in[static_cast<std::size_t>(b)])].last_step();
    });
    auto& after = idx.barrier_after[w];
    after.assign(in.size(), -1);
    std::vector<char> seen(phase_of.size(), 0);
    for (std::size_t k = in.size(); k-- > 0;) { // the worker's last span of each phase
      const int p = idx.phase[static_cast<std::size_t>(in[static_cast<std::size_t>(order[k])])];
      if (p < 0 || seen[static_cast<std::size_t>(p)]) continue;
      seen[static_cast<std::size_t>(p)] = 1;
      after[k] = p;
      ++receivers[static_cast<std::size_t>(p)];
    }
  }
  for (unsigned n : receivers) idx.barriers.push_back(sg4::Barrier::create(n));
  return idx;
}

sg4::Mailbox* MailboxTable::get(int slot, int src, int dst, int lane) {
  const Key key{slot, src, dst, lane};
  if (const auto it = boxes_.find(key); it != boxes_.end()) return it->second;
  // by_name may yield to other actors, which may add to the table: insert afterwards.
  auto* box = sg4::Mailbox::by_name(fmt::format("x{}.{}>{}.{}", slot, src, dst, lane));
  boxes_.emplace(key, box);
  return box;
}

std::size_t MailboxTable::KeyHash::operator()(const Key& k) const {
  return std::hash<std::uint64_t>()((static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.slot)) << 42) ^
                                    (static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.src)) << 21) ^
                                    static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.dst)) ^
                                    (static_cast<std::uint64_t>(k.lane) << 59));
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
  //
  // A helper actor on the same host posts the receives and the sends, at the very simulated times this
  // worker decides: SimGrid 3.32 keeps every communication an actor started in that actor's list until
  // the actor waits for it, and removes it by scanning the whole list of whoever waits. Posted by the
  // worker itself, a ring's hundreds of receives and sends would make each of its waits cost their number
  // (quadratic again); posted by a helper that never waits, the worker's own list stays empty. A helper
  // costs an actor (a stack) per worker and exchange, more than short lists do: only long exchanges get
  // one. Either way the same communications start at the same simulated times.
  struct Shared {
    std::vector<Transfer*> landed;
    std::vector<sg4::CommPtr> receives, sends;
    std::size_t next_out = 0; // outgoing transfers [0, next_out) are posted
    std::unordered_map<int, int> received_from, sent_to; // transfers so far per peer: the next one's lane
    bool stop = false;
    sg4::SemaphorePtr go, posted;
  };
  auto sh = std::make_shared<Shared>();
  sh->landed.resize(in.size(), nullptr);
  sh->receives.resize(in.size());
  sh->sends.reserve(out.size());
  // Touch the transfers and mailboxes only while the worker waits on `posted` (or is the caller).
  auto post_receives = [sh, &transfers, &in, &mailboxes, slot, worker] {
    for (std::size_t i = 0; i < in.size(); ++i) {
      const Transfer& t = transfers[static_cast<std::size_t>(in[i])];
      const int lane = sh->received_from[t.src]++ % kMailboxLanes;
      sh->receives[i] = mailboxes.get(slot, t.src, worker, lane)->get_async<Transfer>(&sh->landed[i]);
    }
  };
  auto post_step = [sh, &transfers, &out, &index, &mailboxes, slot, worker] {
    const int step = transfers[static_cast<std::size_t>(out[sh->next_out])].step;
    for (; sh->next_out < out.size() && transfers[static_cast<std::size_t>(out[sh->next_out])].step == step;
         ++sh->next_out) {
      const Transfer& t = transfers[static_cast<std::size_t>(out[sh->next_out])];
      const int lane = sh->sent_to[t.dst]++ % kMailboxLanes;
      // The payload is the transfer itself (SimGrid refuses a null payload); its size is what moves.
      sh->sends.push_back(mailboxes.get(slot, worker, t.dst, lane)
                              ->put_async(const_cast<Transfer*>(&t), static_cast<uint64_t>(t.bytes)));
      if (const int p = index.phase[static_cast<std::size_t>(out[sh->next_out])]; p >= 0) {
        double& posted = index.phase_posted_s[static_cast<std::size_t>(p)];
        posted = std::max(posted, sg4::Engine::get_clock());
      }
    }
  };
  const bool helper = in.size() + out.size() > kPostedByWorkerMax;
  if (helper) {
    sh->go = sg4::Semaphore::create(0);
    sh->posted = sg4::Semaphore::create(0);
    sg4::Actor::create("post", sg4::this_actor::get_host(), [sh, post_receives, post_step] {
      post_receives();
      sh->posted->release();
      for (;;) {
        sh->go->acquire();
        if (sh->stop) return;
        post_step();
        sh->posted->release();
      }
    });
    sh->posted->acquire();
  } else {
    post_receives();
  }

  const auto& order = index.arrival_order[static_cast<std::size_t>(worker)];
  std::size_t waited = 0; // receives order[0, waited) have arrived
  auto wait_before = [&](int step) {
    double ready_s = 0; // when the spans waited for have passed their further hops
    for (; waited < order.size(); ++waited) {
      const auto i = static_cast<std::size_t>(order[waited]);
      const auto t = static_cast<std::size_t>(in[i]);
      if (transfers[t].last_step() >= step) break;
      sh->receives[i]->wait();
      sh->receives[i] = nullptr; // done: let SimGrid free it
      bytes.received += transfers[t].bytes;
      if (const int p = index.barrier_after[static_cast<std::size_t>(worker)][waited]; p >= 0) {
        const auto q = static_cast<std::size_t>(p);
        index.barriers[q]->wait(); // the phase's last span has arrived
        ready_s = std::max(ready_s, index.phase_posted_s[q] + index.chain_s[q]);
      }
    }
    if (ready_s > sg4::Engine::get_clock()) sg4::this_actor::sleep_until(ready_s);
  };
  while (sh->next_out < out.size()) {
    wait_before(transfers[static_cast<std::size_t>(out[sh->next_out])].step);
    if (helper) {
      sh->go->release(); // the helper posts this step's sends now
      sh->posted->acquire();
    } else {
      post_step();
    }
  }
  for (int i : out) bytes.sent += transfers[static_cast<std::size_t>(i)].bytes;
  wait_before(std::numeric_limits<int>::max());
  for (auto& c : sh->sends) c->wait();
  if (helper) {
    sh->stop = true;
    sh->go->release();
  }
  return bytes;
}

} // namespace resist::sim
