#include "sim/round_replay.hpp"

#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Barrier.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Semaphore.hpp>

#include <algorithm>
#include <numeric>

namespace sg4 = simgrid::s4u;

namespace resist::sim {

double OverlapStep::compute_s() const {
  return forward_s + std::accumulate(backward_before_bucket_s.begin(), backward_before_bucket_s.end(), 0.0) +
         backward_tail_s + update_s;
}

namespace {

struct Shared {
  const RoundInput& in;
  const std::vector<WorkerHost>& hosts;
  const PlatformParams& params;
  MailboxTable& mailboxes;
  double t0;
  std::vector<std::vector<TimelineEvent>> events; // per worker
  std::vector<WorkerBytes> bytes;
  std::vector<double> end_s;
  sg4::BarrierPtr barrier; // before the first exchange (RoundInput::barrier_before_sync)
  // Overlap, per worker: when the compute side started waiting for the last bucket (-1 while it computes),
  // and the compute seconds owed for the time NCCL's kernels ran beside it (paid at the next segment).
  std::vector<double> compute_wait_since_s;
  std::vector<double> compute_debt_s;
  sg4::BarrierPtr steps_barrier; // overlap with fixed costs: the steps start together
  double steps_start_s = 0;
};

/// `seconds` of compute of worker w: on its own device, or on the cores it time-shares with others.
void run_compute(const Shared& s, int w, double seconds) {
  run_worker_compute(s.hosts[static_cast<std::size_t>(w)], s.in.threads, seconds);
}

double now(const Shared& s) { return sg4::Engine::get_clock() - s.t0; }

void add_event(Shared& s, int w, Phase phase, double start, double end, const WorkerBytes& b, std::string label) {
  s.events[static_cast<std::size_t>(w)].push_back(
      {s.in.round, w, phase, start, end, b.sent, b.received, std::move(label)});
}

/// Local steps, then every exchange this worker takes part in, in plan order.
void run_worker(Shared& s, int w) {
  const double c = s.in.compute_s[static_cast<std::size_t>(w)];
  if (c > 0) {
    run_compute(s, w, c);
    add_event(s, w, Phase::compute, 0, now(s), {}, "local_steps");
  }
  if (s.barrier) { // the trainer's loss check: a tiny all-reduce, so everyone waits for the slowest
    const double start = now(s);
    s.barrier->wait();
    if (s.params.collective_latency_s > 0) sg4::this_actor::sleep_for(s.params.collective_latency_s);
    add_event(s, w, Phase::communication, start, now(s), {}, "loss_check");
  }
  for (std::size_t j = 0; j < s.in.ops.size(); ++j) {
    const SyncOp& op = s.in.ops[j];
    if (!std::binary_search(op.participants.begin(), op.participants.end(), w)) continue;
    const double overhead = op_overhead_s(op, w, s.params);
    if (overhead > 0) {
      const double start = now(s);
      sg4::this_actor::sleep_for(overhead);
      add_event(s, w, Phase::overhead, start, now(s), {}, op.exchange.label + (op.groups.empty() ? " calls" : " groups+calls"));
    }
    const double start = now(s);
    const WorkerBytes b = run_transfers(op.transfers, s.in.index[j], w, static_cast<int>(j), s.mailboxes);
    if (b.sent + b.received > 0) add_event(s, w, Phase::communication, start, now(s), b, op.exchange.label);
    s.bytes[static_cast<std::size_t>(w)].sent += b.sent;
    s.bytes[static_cast<std::size_t>(w)].received += b.received;
  }
  s.end_s[static_cast<std::size_t>(w)] = now(s);
}

/// Data parallel: the compute side of one worker; buckets go to the communication actor as they are ready.
void run_overlap_compute(Shared& s, int w, sg4::SemaphorePtr ready, sg4::SemaphorePtr done) {
  const OverlapStep& st = s.in.step[static_cast<std::size_t>(w)];
  const auto wi = static_cast<std::size_t>(w);
  double compute = 0;
  // Each segment first pays what the bucket all-reduces that ran beside the compute so far cost it
  // (run_overlap_comm: comm_compute_slowdown x the overlapped seconds).
  auto segment = [&](double seconds) {
    const double d = std::max(0.0, seconds) + s.compute_debt_s[wi];
    s.compute_debt_s[wi] = 0;
    if (d <= 0) return;
    const double start = now(s);
    run_compute(s, w, d); // longer than d when the worker time-shares its cores
    compute += now(s) - start;
  };
  const double fixed = w < static_cast<int>(s.in.fixed_s.size()) ? s.in.fixed_s[static_cast<std::size_t>(w)] : 0;
  if (fixed > 0) {
    run_compute(s, w, fixed);
    add_event(s, w, Phase::compute, 0, now(s), {}, "round_start");
  }
  if (s.steps_barrier) { // so the steps, all alike, can be scaled from one simulated step (replay.cpp)
    s.steps_barrier->wait();
    s.steps_start_s = now(s);
  }
  const double steps_start = now(s);
  for (int k = 0; k < s.in.overlap_steps; ++k) {
    segment(st.forward_s);
    for (double b : st.backward_before_bucket_s) {
      segment(b);
      ready->release();
    }
    segment(st.backward_tail_s);
    s.compute_wait_since_s[wi] = now(s);
    done->acquire(); // the optimizer step needs every averaged gradient
    s.compute_wait_since_s[wi] = -1;
    segment(st.update_s);
  }
  const double end = now(s);
  add_event(s, w, Phase::compute, steps_start, steps_start + compute, {}, "local_steps");
  const WorkerBytes& b = s.bytes[static_cast<std::size_t>(w)];
  if (end > steps_start + compute || b.sent + b.received > 0)
    add_event(s, w, Phase::communication, steps_start + compute, std::max(end, steps_start + compute), b,
              "exposed all-reduce");
  s.end_s[static_cast<std::size_t>(w)] = end;
}

/// Data parallel: the communication stream of one worker, one bucket all-reduce after another.
void run_overlap_comm(Shared& s, int w, sg4::SemaphorePtr ready, sg4::SemaphorePtr done) {
  const auto wi = static_cast<std::size_t>(w);
  for (int k = 0; k < s.in.overlap_steps; ++k) {
    for (std::size_t j = 0; j < s.in.ops.size(); ++j) {
      ready->acquire();
      const OverlapStep& st = s.in.step[static_cast<std::size_t>(w)];
      const double copy_s = j < st.bucket_copy_s.size() ? st.bucket_copy_s[j] : 0;
      if (st.copy_in_on_comm && copy_s > 0)
        sg4::this_actor::sleep_for(copy_s); // the trainer flattens the gradients inside its all-reduce call
      const double overhead = op_overhead_s(s.in.ops[j], w, s.params);
      if (overhead > 0) sg4::this_actor::sleep_for(overhead);
      // Slots alternate between steps so a worker a step ahead never meets last step's receives.
      const int slot = static_cast<int>(j) * 2 + k % 2;
      const double comm_start = now(s);
      const WorkerBytes b = run_transfers(s.in.ops[j].transfers, s.in.index[j], w, slot, s.mailboxes);
      // NCCL's kernels take SMs and memory bandwidth from the compute that runs beside them: the compute
      // side owes comm_compute_slowdown x the seconds this all-reduce overlapped it (not the time it
      // spent waiting for the last bucket).
      const double waiting_since = s.compute_wait_since_s[wi];
      const double overlap_end = waiting_since >= 0 ? std::min(now(s), waiting_since) : now(s);
      s.compute_debt_s[wi] += s.params.comm_compute_slowdown * std::max(0.0, overlap_end - comm_start);
      if (copy_s > 0) sg4::this_actor::sleep_for(copy_s); // averaged bucket back to .grad
      s.bytes[wi].sent += b.sent;
      s.bytes[wi].received += b.received;
    }
    done->release();
  }
}

} // namespace

void run_worker_compute(const WorkerHost& host, int threads, double seconds) {
  sg4::Host* cpu = host.compute_host;
  if (!cpu) {
    sg4::this_actor::sleep_for(seconds);
    return;
  }
  // `seconds` were measured with `threads` threads and the cores to themselves: each thread runs
  // `seconds` of one core (SimGrid's amount is per thread), sharing the host with whatever else runs.
  const int n = std::max(1, std::min(threads, cpu->get_core_count()));
  sg4::this_actor::thread_execute(cpu, seconds * cpu->get_speed(), n);
}

RoundOutcome replay_round(const RoundInput& in, const std::vector<WorkerHost>& hosts, const PlatformParams& params,
                          MailboxTable& mailboxes) {
  const auto n = static_cast<std::size_t>(in.workers);
  Shared s{in, hosts, params, mailboxes, sg4::Engine::get_clock(), std::vector<std::vector<TimelineEvent>>(n),
           std::vector<WorkerBytes>(n), std::vector<double>(n, 0.0),
           in.barrier_before_sync && !in.overlap ? sg4::Barrier::create(static_cast<unsigned>(in.workers)) : nullptr,
           std::vector<double>(n, -1.0), std::vector<double>(n, 0.0), nullptr};
  if (in.overlap && std::any_of(in.fixed_s.begin(), in.fixed_s.end(), [](double f) { return f > 0; }))
    s.steps_barrier = sg4::Barrier::create(static_cast<unsigned>(in.workers));
  std::vector<sg4::ActorPtr> actors;
  for (int w = 0; w < in.workers; ++w) {
    sg4::Host* host = hosts[static_cast<std::size_t>(w)].host;
    if (in.overlap) {
      auto ready = sg4::Semaphore::create(0);
      auto done = sg4::Semaphore::create(0);
      actors.push_back(sg4::Actor::create("compute", host, [&s, w, ready, done] { run_overlap_compute(s, w, ready, done); }));
      actors.push_back(sg4::Actor::create("nccl", host, [&s, w, ready, done] { run_overlap_comm(s, w, ready, done); }));
    } else {
      actors.push_back(sg4::Actor::create("worker", host, [&s, w] { run_worker(s, w); }));
    }
  }
  for (auto& a : actors) a->join();
  RoundOutcome out;
  out.duration_s = *std::max_element(s.end_s.begin(), s.end_s.end());
  for (auto& ev : s.events) out.events.insert(out.events.end(), ev.begin(), ev.end());
  out.bytes = std::move(s.bytes);
  out.steps_start_s = s.steps_start_s;
  return out;
}

} // namespace resist::sim
