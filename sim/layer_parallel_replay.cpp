#include "sim/layer_parallel_replay.hpp"

#include <fmt/format.h>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Barrier.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Mailbox.hpp>

#include <algorithm>

namespace sg4 = simgrid::s4u;

namespace resist::sim {
namespace {

struct Shared {
  const LpRoundInput& in;
  const std::vector<WorkerHost>& hosts;
  const PlatformParams& params;
  double t0;
  sg4::BarrierPtr barrier;
  std::vector<std::vector<TimelineEvent>> events; // per worker
  std::vector<WorkerBytes> bytes;
  std::vector<double> end_s;
};

// One mailbox per direction and cut; messages of successive steps queue in order, as c10d's tags do.
sg4::Mailbox* target_box(int cut) { return sg4::Mailbox::by_name(fmt::format("lp.target.{}", cut)); }
sg4::Mailbox* activation_box(int cut) { return sg4::Mailbox::by_name(fmt::format("lp.activation.{}", cut)); }

void run_module(Shared& s, int k) {
  const int K = static_cast<int>(s.in.step.size());
  const LpStepCosts& c = s.in.step[static_cast<std::size_t>(k)];
  const WorkerHost& host = s.hosts[static_cast<std::size_t>(k)];
  auto now = [&] { return sg4::Engine::get_clock() - s.t0; };
  double compute = 0, wait = 0;
  WorkerBytes& b = s.bytes[static_cast<std::size_t>(k)];
  static int token = 0; // payloads are never read: the bytes are what is simulated
  auto run = [&](double seconds) {
    if (seconds <= 0) return;
    const double t = now();
    run_worker_compute(host, s.in.threads, seconds);
    compute += now() - t;
  };
  auto receive = [&](sg4::Mailbox* box, std::int64_t bytes) {
    const double t = now();
    box->get<int>();
    wait += now() - t;
    b.received += bytes;
  };
  run(s.in.fixed_s[static_cast<std::size_t>(k)]);
  for (int step = 0; step < s.in.steps; ++step) {
    std::vector<sg4::CommPtr> sends;
    const std::int64_t images = s.in.images[static_cast<std::size_t>(step)];
    auto cut_bytes = [&](int cut) { return s.in.cut_bytes[static_cast<std::size_t>(cut)] * images; };
    run(c.data_s);
    if (k > 0) {
      run(c.aux_gen_s);
      const std::int64_t bytes = cut_bytes(k);
      sends.push_back(target_box(k)->put_async(&token, static_cast<std::uint64_t>(bytes)));
      b.sent += bytes;
    }
    if (k < K - 1) receive(target_box(k + 1), cut_bytes(k + 1));
    run(c.module_s);
    if (k < K - 1) {
      const std::int64_t bytes = cut_bytes(k + 1);
      sends.push_back(activation_box(k + 1)->put_async(&token, static_cast<std::uint64_t>(bytes)));
      b.sent += bytes;
    }
    if (k > 0) {
      receive(activation_box(k), cut_bytes(k));
      run(c.refit_s);
    }
    const double t = now();
    for (auto& comm : sends) comm->wait();
    wait += now() - t;
  }
  const double end_steps = now();
  // Packed like the data-parallel record: the compute seconds, then the time spent waiting on neighbours.
  s.events[static_cast<std::size_t>(k)].push_back({s.in.round, k, Phase::compute, 0, compute, 0, 0, "local_steps"});
  s.events[static_cast<std::size_t>(k)].push_back(
      {s.in.round, k, Phase::communication, compute, std::max(compute, end_steps), b.sent, b.received, "neighbours"});
  if (s.barrier) { // the trainer's loss check: everyone waits for the slowest module
    s.barrier->wait();
    if (s.params.collective_latency_s > 0) sg4::this_actor::sleep_for(s.params.collective_latency_s);
    s.events[static_cast<std::size_t>(k)].push_back(
        {s.in.round, k, Phase::communication, end_steps, now(), 0, 0, "loss_check"});
  }
  s.end_s[static_cast<std::size_t>(k)] = now();
}

template <typename T> void put(std::string& key, const T& v) { key.append(reinterpret_cast<const char*>(&v), sizeof(T)); }

} // namespace

RoundOutcome replay_layer_parallel_round(const LpRoundInput& in, const std::vector<WorkerHost>& hosts,
                                         const PlatformParams& params) {
  const auto n = in.step.size();
  Shared s{in, hosts, params, sg4::Engine::get_clock(),
           in.barrier_at_end ? sg4::Barrier::create(static_cast<unsigned>(n)) : nullptr,
           std::vector<std::vector<TimelineEvent>>(n), std::vector<WorkerBytes>(n), std::vector<double>(n, 0.0)};
  std::vector<sg4::ActorPtr> actors;
  for (std::size_t k = 0; k < n; ++k)
    actors.push_back(sg4::Actor::create("module", hosts[k].host, [&s, k] { run_module(s, static_cast<int>(k)); }));
  for (auto& a : actors) a->join();
  RoundOutcome out;
  out.duration_s = *std::max_element(s.end_s.begin(), s.end_s.end());
  for (auto& ev : s.events) out.events.insert(out.events.end(), ev.begin(), ev.end());
  out.bytes = std::move(s.bytes);
  return out;
}

std::string layer_parallel_round_key(const LpRoundInput& in) {
  std::string key;
  put(key, in.steps);
  put(key, in.threads);
  put(key, in.barrier_at_end);
  for (const auto& c : in.step) {
    put(key, c.data_s);
    put(key, c.aux_gen_s);
    put(key, c.module_s);
    put(key, c.refit_s);
  }
  for (double f : in.fixed_s) put(key, f);
  for (auto b : in.cut_bytes) put(key, b);
  for (int i : in.images) put(key, i);
  return key;
}

} // namespace resist::sim
