#include "sim/collective_replay.hpp"

#include <fmt/format.h>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Barrier.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/ConditionVariable.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Mailbox.hpp>
#include <simgrid/s4u/Mutex.hpp>
#include <simgrid/s4u/Semaphore.hpp>

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <mutex>

namespace sg4 = simgrid::s4u;

namespace resist::sim {

double latency_floor_s(const std::vector<Transfer>& transfers, int workers, const RouteOf& route) {
  // By phase: a transfer starts once the transfers into its source of earlier phases have arrived.
  std::vector<int> order(transfers.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return transfers[static_cast<std::size_t>(a)].phase_first() < transfers[static_cast<std::size_t>(b)].phase_first();
  });
  std::vector<double> ready(static_cast<std::size_t>(workers), 0.0), next = ready;
  double floor_s = 0;
  int phase = std::numeric_limits<int>::min();
  for (int i : order) {
    const Transfer& t = transfers[static_cast<std::size_t>(i)];
    if (t.phase_first() != phase) { // a new phase sees every arrival of the phases before it
      ready = next;
      phase = t.phase_first();
    }
    const double arrive = ready[static_cast<std::size_t>(t.src)] + route(t.src, t.dst).latency_s;
    next[static_cast<std::size_t>(t.dst)] = std::max(next[static_cast<std::size_t>(t.dst)], arrive);
    floor_s = std::max(floor_s, arrive);
  }
  return floor_s;
}

TransferIndex index_transfers(const std::vector<Transfer>& transfers, int workers, const RouteOf& route,
                              double call_latency_s) {
  TransferIndex idx;
  idx.call_latency_s = call_latency_s > 0 && route ? std::max(0.0, call_latency_s - latency_floor_s(transfers, workers, route))
                                                   : call_latency_s;
  const std::size_t n_transfers = transfers.size();
  // Ring phases of spans: (first step, steps) -> phase number.
  std::map<std::pair<int, int>, int> phase_of;
  for (const Transfer& t : transfers)
    if (t.steps > 1) phase_of.emplace(std::make_pair(t.step, t.steps), static_cast<int>(phase_of.size()));
  idx.phase.assign(n_transfers, -1);
  for (std::size_t i = 0; i < n_transfers; ++i)
    if (transfers[i].steps > 1) idx.phase[i] = phase_of.at({transfers[i].step, transfers[i].steps});
  idx.chain_s.assign(phase_of.size(), 0.0);
  idx.phase_posted_s.assign(phase_of.size(), 0.0);
  if (route) {
    // A ring step's seconds on the wire (bytes over its route's bandwidth): its connection's next step may
    // start that long after it (collective_replay.hpp).
    idx.send_s.assign(n_transfers, 0.0);
    // A phase's chain: the step replay's time on a free ring; a span's connection is free once its last
    // step would be on the wire.
    std::vector<std::vector<RingHop>> hops(phase_of.size());
    std::vector<std::vector<std::size_t>> spans_of(phase_of.size());
    for (std::size_t i = 0; i < n_transfers; ++i) {
      const Transfer& t = transfers[i];
      if (!t.in_ring()) continue;
      const RouteInfo r = route(t.src, t.dst);
      const double step_bytes = static_cast<double>(t.bytes) / t.steps;
      const double wire_s = r.bandwidth_Bps > 0 ? step_bytes / r.bandwidth_Bps : 0.0;
      idx.send_s[i] = wire_s;
      if (idx.phase[i] < 0) continue;
      // A call that pays NCCL's latency up front has its steps' latencies in it: the chain holds the wire.
      const double latency_s = call_latency_s > 0 ? 0.0 : r.latency_s;
      hops[static_cast<std::size_t>(idx.phase[i])].push_back({t.src, t.dst, latency_s, wire_s, t.channels});
      spans_of[static_cast<std::size_t>(idx.phase[i])].push_back(i);
    }
    for (const auto& [key, p] : phase_of) {
      const auto q = static_cast<std::size_t>(p);
      const RingChain c = ring_chain(hops[q], key.second);
      idx.chain_s[q] = c.chain_s;
      for (std::size_t h = 0; h < spans_of[q].size(); ++h) idx.send_s[spans_of[q][h]] = c.free_s[h];
    }
  }

  // Both sides in (step, index) order: the k-th send of a pair then meets the k-th receive of that pair.
  std::vector<int> by_step(n_transfers);
  for (std::size_t i = 0; i < n_transfers; ++i) by_step[i] = static_cast<int>(i);
  std::stable_sort(by_step.begin(), by_step.end(), [&](int a, int b) {
    return transfers[static_cast<std::size_t>(a)].step < transfers[static_cast<std::size_t>(b)].step;
  });
  idx.incoming.resize(static_cast<std::size_t>(workers));
  idx.outgoing.resize(static_cast<std::size_t>(workers));
  for (int i : by_step) {
    idx.incoming.at(static_cast<std::size_t>(transfers[static_cast<std::size_t>(i)].dst)).push_back(i);
    idx.outgoing.at(static_cast<std::size_t>(transfers[static_cast<std::size_t>(i)].src)).push_back(i);
  }
  // Lanes, and the connections' ring transfers. A pair's plain transfers take lanes 0..kMailboxLanes-1 in
  // turn; each ring phase on the pair a block of lanes of its own, so rings that progress independently
  // (streamed) never meet another ring's receive.
  idx.lane.assign(n_transfers, 0);
  idx.per_connection.assign(n_transfers, 0);
  // pair -> ring phase -> (its block of lanes on the pair, in order of first sight; its transfers so far)
  std::map<std::pair<int, int>, std::map<std::pair<int, int>, std::pair<int, int>>> rings_of_pair;
  std::map<std::pair<int, int>, int> plain_of_pair;
  std::map<std::pair<int, int>, std::size_t> ring_transfers_of_pair;
  for (int i : by_step) {
    const Transfer& t = transfers[static_cast<std::size_t>(i)];
    const auto pair = std::make_pair(t.src, t.dst);
    if (!t.in_ring()) {
      idx.lane[static_cast<std::size_t>(i)] = plain_of_pair[pair]++ % kMailboxLanes;
      continue;
    }
    auto& rings = rings_of_pair[pair];
    const int blocks = static_cast<int>(rings.size());
    auto& [block, sent] = rings.try_emplace({t.ring_first, t.ring_steps}, blocks, 0).first->second;
    idx.lane[static_cast<std::size_t>(i)] = kMailboxLanes * (1 + block) + sent++ % kMailboxLanes;
    ++ring_transfers_of_pair[pair];
  }
  // A connection's place for each of its ring transfers: by ring phase, then step (a later phase's
  // transfers wait for an earlier one's on the connection, as a later collective on a stream does).
  std::vector<int> by_phase;
  for (std::size_t i = 0; i < n_transfers; ++i) {
    const Transfer& t = transfers[i];
    if (!t.in_ring()) continue;
    by_phase.push_back(static_cast<int>(i));
    idx.per_connection[i] = ring_transfers_of_pair.at({t.src, t.dst});
    if (t.steps < t.ring_steps) idx.streamed = true;
  }
  std::stable_sort(by_phase.begin(), by_phase.end(), [&](int a, int b) {
    const Transfer &x = transfers[static_cast<std::size_t>(a)], &y = transfers[static_cast<std::size_t>(b)];
    return std::make_pair(x.ring_first, x.step) < std::make_pair(y.ring_first, y.step);
  });
  idx.connection_place.assign(n_transfers, 0);
  std::map<std::pair<int, int>, std::size_t> placed;
  for (int i : by_phase) {
    const Transfer& t = transfers[static_cast<std::size_t>(i)];
    idx.connection_place[static_cast<std::size_t>(i)] = placed[{t.src, t.dst}]++;
  }
  idx.arrival_order.resize(static_cast<std::size_t>(workers));
  idx.arrival_last.resize(static_cast<std::size_t>(workers));
  idx.barrier_after.resize(static_cast<std::size_t>(workers));
  std::vector<unsigned> receivers(phase_of.size(), 0); // per phase: workers receiving a span of it
  for (std::size_t w = 0; w < idx.incoming.size(); ++w) {
    const auto& in = idx.incoming[w];
    auto& order = idx.arrival_order[w];
    order.resize(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) order[i] = static_cast<int>(i);
    auto last = [&](int pos) {
      return transfers[static_cast<std::size_t>(in[static_cast<std::size_t>(pos)])].phase_last();
    };
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return last(a) < last(b); });
    for (int pos : order) idx.arrival_last[w].push_back(last(pos));
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

std::size_t TransferIndex::earlier_phases(int worker, int first_step) const {
  const auto& last = arrival_last[static_cast<std::size_t>(worker)];
  return static_cast<std::size_t>(std::lower_bound(last.begin(), last.end(), first_step) - last.begin());
}

sg4::Mailbox* MailboxTable::get(int slot, int src, int dst, int lane) {
  const Key key{slot, src, dst, lane};
  if (const auto it = boxes_.find(key); it != boxes_.end()) return it->second;
  if (used_ == pool_.size()) {
    // by_name may yield to other actors, which may take mailboxes meanwhile: add to the pool, then take.
    auto* box = sg4::Mailbox::by_name(fmt::format("x{}", named_++)); // a name of its own even then
    pool_.push_back(box);
    if (const auto it = boxes_.find(key); it != boxes_.end()) return it->second;
  }
  // Taken from the pool without yielding: no other actor can have added this key since the find.
  auto* box = pool_[used_++];
  boxes_.emplace(key, box);
  return box;
}

void MailboxTable::recycle() {
  boxes_.clear();
  used_ = 0;
}

std::size_t MailboxTable::KeyHash::operator()(const Key& k) const {
  return std::hash<std::uint64_t>()((static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.slot)) << 42) ^
                                    (static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.src)) << 21) ^
                                    static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.dst)) ^
                                    (static_cast<std::uint64_t>(static_cast<std::uint32_t>(k.lane)) << 53));
}

namespace {

/// A connection whose next start is due within SimGrid's timing precision (surf/precision, 1e-9 s) is free
/// now: a sleep that short would end at a clock that depends on where in the run it falls.
constexpr double kClockSlack_s = 1e-9;

/// A connection (source, destination) sends its ring transfers in order, pipelined as NCCL's steps: each
/// starts once it is released (the rule allows it), the previous one in the connection's order
/// (TransferIndex::connection_place) has started and is on the wire (TransferIndex::send_s after its start:
/// for a span, when its last step would be), and fewer than kRingSlots of the connection's are in flight.
/// Posted at once, a ring's queued steps would share the link instead, and the earliest, which the next hop
/// waits for, would arrive late; waiting for each to arrive would charge every step its hop's latency,
/// which NCCL's slots hide. A transfer released onto a free connection starts at once. One released onto a
/// busy connection either waits there, in the releasing actor (`wait_if_busy`, the step-ordered replay of
/// spans: an actor per busy connection ran 16,384 workers out of memory mappings), or, with ring steps
/// released by several actors, gives the connection a sender actor, which sends the rest in order. Several
/// actors use one connection (a worker's rings, its sender), and SimGrid switches actors inside test() and
/// put_async(): a releaser claims its place before anything that can switch, and checks again after; a
/// communication being posted counts as in flight.
class Connections {
public:
  Connections(const TransferIndex& index, int slot, int worker, MailboxTable& mailboxes)
      : index_(index), slot_(slot), worker_(worker), mailboxes_(mailboxes),
        slots_(index.send_s.empty() ? 1 : static_cast<std::size_t>(kRingSlots)) {}

  /// Whether transfer i would wait for its connection if sent now.
  bool busy(const std::vector<Transfer>& transfers, std::size_t i) {
    if (!index_.in_order(i)) return false;
    const auto it = by_dst_.find(transfers[i].dst);
    if (it == by_dst_.end()) return index_.connection_place[i] != 0;
    Connection& conn = *it->second;
    return conn.sender || index_.connection_place[i] != conn.next || !free_now(conn);
  }
  /// Starts transfer i now, or queues it behind its connection's earlier ones (`wait_if_busy`: waits for
  /// them here, and it must be the connection's next). Returns the communication when it started one
  /// outside any connection, which the caller must wait for.
  sg4::CommPtr send(const std::vector<Transfer>& transfers, std::size_t i, bool wait_if_busy = false) {
    const Transfer& t = transfers[i];
    sg4::Mailbox* box = mailboxes_.get(slot_, worker_, t.dst, index_.lane[i]);
    if (!index_.in_order(i)) {
      mark_posted(index_.phase[i]);
      // The payload is the transfer itself (SimGrid refuses a null payload); its size is what moves.
      return box->put_async(const_cast<Transfer*>(&t), static_cast<uint64_t>(t.bytes));
    }
    auto& conn = by_dst_[t.dst];
    if (!conn) {
      conn = std::make_shared<Connection>();
      conn->places.resize(index_.per_connection[i]);
    }
    const std::size_t place = index_.connection_place[i];
    if (wait_if_busy && !conn->sender && place == conn->next) wait_free(*conn);
    // free_now may switch actors (test()): the place is still this one's only if nobody took over since.
    if (!conn->sender && place == conn->next && free_now(*conn) && !conn->sender && place == conn->next) {
      ++conn->next; // claimed: start() switches actors too
      start(*conn, {box, &t, index_.phase[i], i});
      return nullptr;
    }
    {
      std::unique_lock lock(*conn->mutex);
      conn->places[place] = {box, &t, index_.phase[i], i};
      conn->changed->notify_all();
    }
    // The sender holds its connection by a plain pointer: join() waits for it before the connections go,
    // and a shared one would make a cycle (connection -> sender -> its code -> connection) that kept every
    // sender actor, its stack included, until the end of the run.
    if (!conn->sender)
      conn->sender = sg4::Actor::create("send", sg4::this_actor::get_host(), [c = conn.get(), this] {
        while (c->next < c->places.size()) {
          wait_free(*c);
          std::unique_lock lock(*c->mutex);
          while (c->places[c->next].transfer == nullptr) c->changed->wait(lock);
          const Queued q = c->places[c->next++];
          lock.unlock();
          start(*c, q);
        }
        // An actor's communications fail when it ends: stay until they have arrived.
        while (!c->in_flight.empty()) wait_oldest(*c);
      });
    return nullptr;
  }
  /// Waits until every connection has sent all it was given and all of it has arrived.
  void join() {
    for (auto& [dst, conn] : by_dst_) {
      if (conn->sender) conn->sender->join();
      while (!conn->in_flight.empty()) wait_oldest(*conn);
    }
  }

private:
  struct Queued {
    sg4::Mailbox* box = nullptr;
    const Transfer* transfer = nullptr;
    int phase = -1;
    std::size_t index = 0; // into the transfers
  };
  struct Connection {
    std::vector<Queued> places; // in the connection's order; a null transfer: not released yet
    std::size_t next = 0;       // places [0, next) have started
    std::deque<sg4::CommPtr> in_flight; // started, oldest first, not known to have arrived
    std::size_t starting = 0;           // claimed and being posted (put_async switches actors): in flight too
    double free_at_s = 0;       // the last started is on the wire from then on
    sg4::MutexPtr mutex = sg4::Mutex::create();
    sg4::ConditionVariablePtr changed = sg4::ConditionVariable::create();
    sg4::ActorPtr sender;
  };
  /// Forgets the arrived communications at the front. test() switches actors: another may have forgotten
  /// the same one meanwhile.
  static void drop_arrived(Connection& conn) {
    while (!conn.in_flight.empty()) {
      const sg4::CommPtr c = conn.in_flight.front();
      if (!c->test()) return;
      if (!conn.in_flight.empty() && conn.in_flight.front() == c) conn.in_flight.pop_front();
    }
  }
  /// Waits for the oldest in flight, and forgets it (unless another actor did meanwhile).
  static void wait_oldest(Connection& conn) {
    const sg4::CommPtr c = conn.in_flight.front();
    c->wait();
    if (!conn.in_flight.empty() && conn.in_flight.front() == c) conn.in_flight.pop_front();
  }
  bool free_now(Connection& conn) const {
    const double now = sg4::Engine::get_clock();
    if (conn.free_at_s > now + kClockSlack_s) return false;
    drop_arrived(conn);
    return conn.in_flight.size() + conn.starting < slots_;
  }
  void wait_free(Connection& conn) const {
    if (conn.free_at_s > sg4::Engine::get_clock() + kClockSlack_s) sg4::this_actor::sleep_until(conn.free_at_s);
    drop_arrived(conn);
    while (conn.in_flight.size() + conn.starting >= slots_)
      if (conn.in_flight.empty())
        sg4::this_actor::yield(); // another actor is posting one: let it finish
      else
        wait_oldest(conn);
  }
  void start(Connection& conn, const Queued& q) const {
    mark_posted(q.phase);
    const double now = sg4::Engine::get_clock();
    // A step frees its connection once on the wire; a span, once its last step would be
    // (TransferIndex::send_s).
    conn.free_at_s = now + (index_.send_s.empty() ? 0.0 : index_.send_s[q.index]);
    ++conn.starting;
    sg4::CommPtr c = q.box->put_async(const_cast<Transfer*>(q.transfer), static_cast<uint64_t>(q.transfer->bytes));
    --conn.starting;
    conn.in_flight.push_back(c);
  }
  void mark_posted(int phase) const {
    if (phase < 0) return;
    double& posted = index_.phase_posted_s[static_cast<std::size_t>(phase)];
    posted = std::max(posted, sg4::Engine::get_clock());
  }
  const TransferIndex& index_;
  int slot_, worker_;
  MailboxTable& mailboxes_;
  std::size_t slots_; // in flight per connection: kRingSlots, or 1 (each waits for the one before to arrive)
  std::unordered_map<int, std::shared_ptr<Connection>> by_dst_;
};

/// Posts every receive of `worker` up front, each on its transfer's mailbox lane.
void post_receives(const std::vector<Transfer>& transfers, const TransferIndex& index, int worker, int slot,
                   MailboxTable& mailboxes, std::vector<Transfer*>& landed, std::vector<sg4::CommPtr>& receives) {
  const auto& in = index.incoming[static_cast<std::size_t>(worker)];
  landed.assign(in.size(), nullptr);
  receives.resize(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto t = static_cast<std::size_t>(in[i]);
    receives[i] = mailboxes.get(slot, transfers[t].src, worker, index.lane[t])->get_async<Transfer>(&landed[i]);
  }
}

/// Spans and plain transfers: the worker goes through its sends in step order, waiting before each for
/// the receives of earlier phases (a prefix of its arrival order).
void run_in_step_order(const std::vector<Transfer>& transfers, const TransferIndex& index, int worker, int slot,
                       MailboxTable& mailboxes) {
  const auto& in = index.incoming[static_cast<std::size_t>(worker)];
  const auto& out = index.outgoing[static_cast<std::size_t>(worker)];

  // Receives first, so a sender never waits for this worker to get around to it. One mailbox per
  // (source, destination, lane): each receive is then one known transfer, and this worker waits for exactly
  // the ones a send needs, in order (a wait on all pending receives at once costs SimGrid time in their
  // number at every arrival, quadratic in a ring's length).
  //
  // A helper actor on the same host posts the receives and the sends, at the very simulated times this
  // worker decides: SimGrid 3.32 keeps every communication an actor started in that actor's list until
  // the actor waits for it, and removes it by scanning the whole list of whoever waits. Posted by the
  // worker itself, a ring's hundreds of receives and sends would make each of its waits cost their number
  // (quadratic again); posted by a helper that never waits, the worker's own list stays empty. A helper
  // costs an actor (a stack) per worker and exchange, more than short lists do: only long exchanges get
  // one. Either way the same communications start at the same simulated times.
  struct Shared {
    Shared(const TransferIndex& index, int slot, int worker, MailboxTable& mailboxes)
        : connections(index, slot, worker, mailboxes) {}
    Connections connections;
    std::vector<Transfer*> landed;
    std::vector<sg4::CommPtr> receives, sends;
    std::size_t next_out = 0; // outgoing transfers [0, next_out) are posted
    bool stop = false;
    sg4::SemaphorePtr go, posted;
  };
  auto sh = std::make_shared<Shared>(index, slot, worker, mailboxes);
  sh->sends.reserve(out.size());
  // Touch the transfers and mailboxes only while the worker waits on `posted` (or is the caller).
  auto receive_all = [sh, &transfers, &index, &mailboxes, slot, worker] {
    post_receives(transfers, index, worker, slot, mailboxes, sh->landed, sh->receives);
  };
  // A step's transfers onto free connections first, then those whose connection is busy, each waiting for
  // it (the next step's sends need this step's receives, which come no sooner).
  auto post_step = [sh, &transfers, &out] {
    const int step = transfers[static_cast<std::size_t>(out[sh->next_out])].step;
    std::vector<std::size_t> busy;
    for (; sh->next_out < out.size() && transfers[static_cast<std::size_t>(out[sh->next_out])].step == step;
         ++sh->next_out) {
      const auto i = static_cast<std::size_t>(out[sh->next_out]);
      if (sh->connections.busy(transfers, i))
        busy.push_back(i);
      else if (auto c = sh->connections.send(transfers, i))
        sh->sends.push_back(c);
    }
    for (std::size_t i : busy)
      if (auto c = sh->connections.send(transfers, i, true)) sh->sends.push_back(c);
  };
  const bool helper = in.size() + out.size() > kPostedByWorkerMax;
  if (helper) {
    sh->go = sg4::Semaphore::create(0);
    sh->posted = sg4::Semaphore::create(0);
    sg4::Actor::create("post", sg4::this_actor::get_host(), [sh, receive_all, post_step] {
      receive_all();
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
    receive_all();
  }

  const auto& order = index.arrival_order[static_cast<std::size_t>(worker)];
  std::size_t waited = 0; // receives order[0, waited) have arrived
  auto wait_before = [&](std::size_t count) {
    double ready_s = 0; // when the spans waited for have passed their further hops
    for (; waited < count; ++waited) {
      const auto i = static_cast<std::size_t>(order[waited]);
      sh->receives[i]->wait();
      sh->receives[i] = nullptr; // done: let SimGrid free it
      if (const int p = index.barrier_after[static_cast<std::size_t>(worker)][waited]; p >= 0) {
        const auto q = static_cast<std::size_t>(p);
        index.barriers[q]->wait(); // the phase's last span has arrived
        ready_s = std::max(ready_s, index.phase_posted_s[q] + index.chain_s[q]);
      }
    }
    if (ready_s > sg4::Engine::get_clock()) sg4::this_actor::sleep_until(ready_s);
  };
  while (sh->next_out < out.size()) {
    const Transfer& t = transfers[static_cast<std::size_t>(out[sh->next_out])];
    wait_before(index.earlier_phases(worker, t.phase_first()));
    if (helper) {
      sh->go->release(); // the helper posts this step's sends now
      sh->posted->acquire();
    } else {
      post_step();
    }
  }
  wait_before(order.size());
  for (auto& c : sh->sends) c->wait();
  sh->connections.join();
  // A communication holds the actors that posted it: kept in `sh`, which the helper's code holds, they
  // would keep the helper (and its stack) alive until the end of the run.
  sh->sends.clear();
  sh->receives.clear();
  if (helper) {
    sh->stop = true;
    sh->go->release();
  }
}

/// Ring steps: every connection of every ring the worker is in progresses on its own (NCCL's channels and
/// the pieces of a pipelined algorithm do), an actor per (ring phase, destination). A ring's step waits for
/// the receives of earlier phases and for its own ring's earlier steps into this worker that share a channel
/// with it; plain transfers go in step order as above.
void run_streamed(const std::vector<Transfer>& transfers, const TransferIndex& index, int worker, int slot,
                  MailboxTable& mailboxes) {
  const auto& in = index.incoming[static_cast<std::size_t>(worker)];
  const auto& out = index.outgoing[static_cast<std::size_t>(worker)];
  const auto& order = index.arrival_order[static_cast<std::size_t>(worker)];
  struct Shared {
    Shared(const TransferIndex& index, int slot, int worker, MailboxTable& mailboxes)
        : connections(index, slot, worker, mailboxes) {}
    Connections connections;
    std::vector<Transfer*> landed;
    std::vector<sg4::CommPtr> receives;
    std::vector<char> arrived;   // per receive
    std::vector<char> claimed;   // per ring receive: an actor waits for it (need)
    std::size_t arrived_prefix = 0; // order[0, arrived_prefix) have all arrived
    sg4::MutexPtr mutex = sg4::Mutex::create();
    sg4::ConditionVariablePtr changed = sg4::ConditionVariable::create();
    // A ring actor's communications fail if it ends before they arrive: each says when it is done
    // (`finished`) and stays until this worker's connections have delivered everything (`leave`).
    sg4::SemaphorePtr finished = sg4::Semaphore::create(0), leave = sg4::Semaphore::create(0);
  };
  auto sh = std::make_shared<Shared>(index, slot, worker, mailboxes);
  post_receives(transfers, index, worker, slot, mailboxes, sh->landed, sh->receives);
  sh->arrived.assign(in.size(), 0);
  // A receive is waited for by one actor (the ring actor that claims it first, or this one for plain
  // transfers); the others learn of it through `changed`.
  auto receive = [sh, &order](std::size_t i) {
    sh->receives[i]->wait();
    sh->receives[i] = nullptr;
    std::unique_lock lock(*sh->mutex);
    sh->arrived[i] = 1;
    while (sh->arrived_prefix < order.size() &&
           sh->arrived[static_cast<std::size_t>(order[sh->arrived_prefix])])
      ++sh->arrived_prefix;
    sh->changed->notify_all();
  };
  auto wait_prefix = [sh](std::size_t count) {
    std::unique_lock lock(*sh->mutex);
    while (sh->arrived_prefix < count) sh->changed->wait(lock);
  };

  // The rings this worker sends or receives in, each with its receives in step order and its sends in step
  // order per connection: each connection of a ring progresses on an actor of its own and waits only for the
  // receives that carry one of its channels (Transfer::channels), so the railed ring's channels, merged into
  // one transfer per neighbour, do not wait for each other.
  struct Ring {
    std::vector<std::size_t> receives;                     // positions in `in`
    std::map<int, std::vector<std::size_t>> sends_to;      // destination -> indices into transfers
  };
  std::map<std::pair<int, int>, Ring> rings;
  std::vector<std::size_t> plain_sends;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const Transfer& t = transfers[static_cast<std::size_t>(in[i])];
    if (t.in_ring()) rings[{t.ring_first, t.ring_steps}].receives.push_back(i);
  }
  for (int o : out) {
    const Transfer& t = transfers[static_cast<std::size_t>(o)];
    if (t.in_ring())
      rings[{t.ring_first, t.ring_steps}].sends_to[t.dst].push_back(static_cast<std::size_t>(o));
    else
      plain_sends.push_back(static_cast<std::size_t>(o));
  }
  sh->claimed.assign(in.size(), 0);
  // Receive i, or wait for the actor that claimed it first (a communication is waited for once).
  auto need = [sh, receive](std::size_t i) {
    {
      std::unique_lock lock(*sh->mutex);
      if (sh->arrived[i]) return;
      if (sh->claimed[i]) {
        while (!sh->arrived[i]) sh->changed->wait(lock);
        return;
      }
      sh->claimed[i] = 1;
    }
    receive(i);
  };
  std::vector<sg4::ActorPtr> ring_actors;
  for (auto& [phase, ring] : rings) {
    std::vector<std::vector<std::size_t>> connections;
    for (auto& [dst, sends] : ring.sends_to) connections.push_back(sends);
    if (connections.empty()) connections.emplace_back(); // receives only
    for (auto& sends_in_order : connections)
      ring_actors.push_back(sg4::Actor::create("ring", sg4::this_actor::get_host(),
                                               [sh, &transfers, &index, &in, worker, need, wait_prefix,
                                                receives = ring.receives, sends_in_order, first = phase.first] {
        wait_prefix(index.earlier_phases(worker, first));
        auto transfer_at = [&](std::size_t pos) -> const Transfer& { return transfers[static_cast<std::size_t>(in[pos])]; };
        std::size_t scanned = 0;              // receives [0, scanned) are of a smaller step than the last send
        std::vector<std::size_t> passed;      // of those, the ones no send so far carried a channel of
        std::vector<sg4::CommPtr> sends;
        for (std::size_t o : sends_in_order) {
          const Transfer& t = transfers[o];
          std::vector<std::size_t> still;
          for (std::size_t pos : passed)
            if (t.shares_channel(transfer_at(pos))) need(pos); else still.push_back(pos);
          passed.swap(still);
          for (; scanned < receives.size() && transfer_at(receives[scanned]).step < t.step; ++scanned)
            if (t.shares_channel(transfer_at(receives[scanned]))) need(receives[scanned]); else passed.push_back(receives[scanned]);
          if (auto c = sh->connections.send(transfers, o)) sends.push_back(c);
        }
        for (std::size_t pos : receives) need(pos); // the ring is done here once all of it has arrived
        for (auto& c : sends) c->wait();
        sh->finished->release();
        sh->leave->acquire();
      }));
  }

  // Plain transfers, and the plain receives, in arrival order (every waiter needs a prefix of it).
  std::size_t walked = 0;
  auto walk = [&](std::size_t count) {
    for (; walked < count; ++walked) {
      const auto i = static_cast<std::size_t>(order[walked]);
      if (transfers[static_cast<std::size_t>(in[i])].in_ring())
        wait_prefix(walked + 1); // its ring's actor receives it
      else
        receive(i);
    }
  };
  std::vector<sg4::CommPtr> sends;
  for (std::size_t o : plain_sends) {
    walk(index.earlier_phases(worker, transfers[o].phase_first()));
    if (auto c = sh->connections.send(transfers, o)) sends.push_back(c);
  }
  walk(order.size());
  for (auto& c : sends) c->wait();
  for (std::size_t i = 0; i < ring_actors.size(); ++i) sh->finished->acquire();
  sh->connections.join();
  for (std::size_t i = 0; i < ring_actors.size(); ++i) sh->leave->release();
  for (auto& a : ring_actors) a->join();
}

} // namespace

WorkerBytes run_transfers(const std::vector<Transfer>& transfers, const TransferIndex& index, int worker, int slot,
                          MailboxTable& mailboxes) {
  WorkerBytes bytes;
  const auto& in = index.incoming[static_cast<std::size_t>(worker)];
  const auto& out = index.outgoing[static_cast<std::size_t>(worker)];
  if (in.empty() && out.empty()) return bytes;
  // NCCL's latency of the call (nccl): every participant pays it before its data moves.
  if (index.call_latency_s > 0) sg4::this_actor::sleep_for(index.call_latency_s);
  if (index.streamed)
    run_streamed(transfers, index, worker, slot, mailboxes);
  else
    run_in_step_order(transfers, index, worker, slot, mailboxes);
  for (int i : in) bytes.received += transfers[static_cast<std::size_t>(i)].bytes;
  for (int i : out) bytes.sent += transfers[static_cast<std::size_t>(i)].bytes;
  return bytes;
}

} // namespace resist::sim
