#include "sim/elastic_replay.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <limits>

#include "core/comm.hpp"
#include "core/elastic.hpp"
#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "core/schedule_io.hpp"

namespace resist::sim {
namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

/// A factor over run rounds [from, end) of an original worker (end INT_MAX: to the run's end).
struct Window {
  EventKind kind = EventKind::slow;
  int origin = 0;
  int from = 0;
  int end = INT_MAX;
  double factor = 1;
  double from_s = 0; // wall-clock when its first round starts
};

/// The schedule now running and where its rounds fall in the run's wall-clock.
struct Piece {
  Schedule schedule; // a copy: the chain it comes from changes as workers fail
  SimResult res;
  double start_s = 0;                          // wall-clock of its round 0 (elastic segments)
  const std::vector<std::pair<int, double>>* delays = nullptr; // restart: seconds lost before a run round

  int first() const { return schedule.segment.first_round; }
  int last() const { return first() + static_cast<int>(schedule.rounds.size()) - 1; }
  double delay(int run_round) const {
    double d = 0;
    for (const auto& [r, s] : *delays)
      if (r <= run_round) d += s;
    return d;
  }
  /// Simulated seconds of the rounds before run round R (R in first()..last() + 1).
  double base(int run_round) const {
    const int local = run_round - first();
    return local <= 0 ? 0 : res.round_end_s[static_cast<std::size_t>(local - 1)];
  }
  double start_of(int run_round) const { return start_s + base(run_round) + delay(run_round); }
  double end_of(int run_round) const { return start_s + base(run_round + 1) + delay(run_round); }
  double run_end() const { return end_of(last()); }
  /// The run round in progress at wall-clock t (the first ending after it), or -1 past the end.
  int round_at(double t) const {
    for (int r = first(); r <= last(); ++r)
      if (end_of(r) > t) return r;
    return -1;
  }
};

/// The windows of one schedule of the chain, in its own numbering.
SimOptions piece_options(const SimOptions& base, const Schedule& s, const std::vector<Window>& windows) {
  SimOptions o = base;
  o.timeline = true; // the phases and bytes of the rounds that ran are summed from it
  const int first = s.segment.first_round, n = static_cast<int>(s.rounds.size());
  for (const Window& x : windows)
    for (int w = 0; w < s.config.workers; ++w) {
      if (s.origin_worker(w) != x.origin) continue;
      const int lo = std::max(x.from, first) - first;
      const int hi = static_cast<int>(std::min<long long>(x.end, static_cast<long long>(first) + n) - first);
      if (hi > lo) (x.kind == EventKind::slow ? o.round_speed : o.round_link).push_back({w, lo, hi, x.factor});
    }
  return o;
}

/// Adds the phases and bytes of local rounds [lo, hi) of `res` to `total`.
void add_rounds(SimResult& total, const SimResult& res, const Schedule& s, const Model& model, int lo, int hi) {
  const double n = s.config.workers;
  for (const TimelineEvent& e : res.timeline) {
    if (e.round < lo || e.round >= hi) continue;
    (e.phase == Phase::compute ? total.compute_s : e.phase == Phase::communication ? total.comm_s : total.overhead_s) +=
        e.duration_s() / n;
    total.wire_bytes += e.bytes_sent + e.bytes_received;
  }
  for (int r = lo; r < hi; ++r)
    total.payload_bytes += total_bytes(payload_bytes(round_comm_plan(s, model, r), s.config.workers));
  total.simulated_rounds += res.simulated_rounds;
}

/// The rounds from run round R re-planned for the alive original workers. Segments of the chain that start
/// at R or later never ran a round: the re-plan starts from the one before them.
Schedule replan(std::vector<Schedule>& chain, int run_round, const std::vector<bool>& alive) {
  while (chain.size() > 1 && chain.back().segment.first_round >= run_round) chain.pop_back();
  const Schedule& parent = chain.back();
  std::vector<int> survivors, origins;
  for (int w = 0; w < parent.config.workers; ++w)
    if (alive[static_cast<std::size_t>(parent.origin_worker(w))]) {
      survivors.push_back(w);
      origins.push_back(parent.origin_worker(w));
    }
  if (run_round > parent.segment.first_round)
    return make_segment(parent, schedule_hash(parent), run_round - parent.segment.first_round, survivors);
  // Lost before the run's first round ended: the run as made for the survivors (no round to chain after).
  RunConfig c = parent.config;
  c.workers = static_cast<int>(survivors.size());
  Schedule s = make_schedule(c);
  s.segment.parent_hash = schedule_hash(parent);
  s.segment.worker_origin = origins;
  return s;
}

} // namespace

EventRun replay_with_events(const std::vector<Schedule>& given, const std::vector<Event>& events,
                            const SimOptions& options, const FailurePolicy& policy) {
  if (given.empty()) throw Error("replay_with_events: no schedule");
  const Schedule& original = given.front();
  const int workers = original.config.workers;
  for (const Event& e : events)
    if (e.worker < 0 || e.worker >= workers)
      throw InputError(fmt::format("event worker {}: no such worker (the run has 0..{})", e.worker, workers - 1));
  if (!(policy.detect_s >= 0) || !(policy.restart_s >= 0) || policy.checkpoint_every < 0 ||
      !(policy.failure_every_s >= 0))
    throw InputError("failure policy: detection, restart, checkpoint interval and failure interval must be >= 0");
  const Model model = make_model(original.config.model, original.config.model_options);

  EventRun run;
  SimOptions plain = options;
  plain.timeline = false;
  const SimResult baseline = simulate(original, plain);
  run.baseline_s = baseline.total_s;
  ++run.simulations;

  run.chain.push_back(original);
  std::vector<Window> windows;
  std::vector<bool> alive(static_cast<std::size_t>(workers), true);
  std::vector<std::pair<int, double>> delays;
  // Per event: 0 to do, 1 started (a factor whose until_s is to come), 2 done.
  std::vector<int> state(events.size(), 0);
  std::vector<int> window_of(events.size(), -1);
  for (std::size_t i = 0; i < events.size(); ++i) { // a factor from a round is known before any simulation
    const Event& e = events[i];
    if (e.kind == EventKind::fail || e.round < 0) continue;
    window_of[i] = static_cast<int>(windows.size());
    windows.push_back({e.kind, e.worker, e.round, INT_MAX, e.factor, 0});
    state[i] = e.until_s >= 0 ? 1 : 2;
    run.events.push_back({e, e.round, 0, 0, 0, "from its round"});
  }
  SimResult total;
  double wall_s = 0; // host seconds of every simulation
  auto simulate_piece = [&](const Schedule& s, double start_s) {
    Piece p{s, simulate(s, piece_options(options, s, windows)), start_s, &delays};
    ++run.simulations;
    wall_s += p.res.wall_s;
    return p;
  };
  Piece piece = simulate_piece(run.chain.back(), 0);
  for (Window& w : windows) w.from_s = w.from <= piece.last() ? piece.start_of(w.from) : kNever;
  for (ReplayedEvent& x : run.events) { // the factors from a round: when that round starts
    if (x.run_round <= piece.last()) {
      x.at_s = piece.start_of(x.run_round);
    } else {
      x.run_round = -1;
      x.note = "after the run's end";
    }
  }
  int next_periodic = 1;
  for (;;) {
    // The next thing to happen: an event's start or end, or the next periodic failure.
    double t_best = kNever;
    int best = -1; // event index; events.size(): the periodic failure
    for (std::size_t i = 0; i < events.size(); ++i) {
      const Event& e = events[i];
      double t = kNever;
      if (state[i] == 0) {
        if (e.round >= 0) t = e.round > piece.last() ? kNever : piece.start_of(std::max(e.round, piece.first()));
        else t = e.time_s;
      } else if (state[i] == 1) {
        t = e.until_s;
      }
      if (t < t_best) {
        t_best = t;
        best = static_cast<int>(i);
      }
    }
    if (policy.failure_every_s > 0 && next_periodic * policy.failure_every_s < t_best) {
      t_best = next_periodic * policy.failure_every_s;
      best = static_cast<int>(events.size());
    }
    if (best < 0 || t_best >= piece.run_end()) break;
    const bool periodic = best == static_cast<int>(events.size());
    const Event e = periodic ? periodic_failure(next_periodic, policy.failure_every_s, workers, policy.seed)
                             : events[static_cast<std::size_t>(best)];
    const int R = e.kind == EventKind::fail && e.round >= 0 ? std::max(e.round, piece.first()) : piece.round_at(t_best);
    if (e.kind != EventKind::fail) {
      const auto i = static_cast<std::size_t>(best);
      if (state[i] == 0) { // the factor starts with the round in progress
        window_of[i] = static_cast<int>(windows.size());
        windows.push_back({e.kind, e.worker, R, INT_MAX, e.factor, piece.start_of(R)});
        state[i] = e.until_s >= 0 ? 1 : 2;
        run.events.push_back({e, R, t_best, 0, 0, ""});
      } else { // it ends after the round in progress
        Window& w = windows[static_cast<std::size_t>(window_of[i])];
        if (R < w.from || e.until_s <= w.from_s)
          throw InputError(fmt::format("{} event of worker {}: until_s {} is not after its start (round {}{})",
                                       to_string(e.kind), e.worker, e.until_s, w.from,
                                       w.from_s < kNever ? fmt::format(" starts at {:.6g} s", w.from_s)
                                                         : std::string(", after the run's end")));
        w.end = R + 1;
        state[i] = 2;
      }
      piece = simulate_piece(run.chain.back(), piece.start_s);
      continue;
    }
    if (periodic) ++next_periodic;
    else state[static_cast<std::size_t>(best)] = 2;
    ReplayedEvent done{e, R, t_best, 0, 0, ""};
    if (policy.elastic && !alive[static_cast<std::size_t>(e.worker)]) {
      done.note = "worker already gone";
      done.run_round = -1;
      run.events.push_back(done);
      continue;
    }
    if (++run.failures > policy.max_failures) {
      run.finished = false;
      run.unfinished_why = fmt::format("still running after {} failures", policy.max_failures);
      break;
    }
    const double partial_s = std::max(0.0, t_best - piece.start_of(R)); // the failed round's work so far
    if (policy.elastic) {
      alive[static_cast<std::size_t>(e.worker)] = false;
      add_rounds(total, piece.res, piece.schedule, model, 0, R - piece.first());
      const int left = static_cast<int>(std::count(alive.begin(), alive.end(), true));
      done.workers_after = left;
      try {
        if (left == 0) throw InputError("no worker left");
        Schedule seg = replan(run.chain, R, alive);
        // A real run's chain: its segment here must be the very re-plan.
        for (const Schedule& g : given)
          if (g.segment.first_round == seg.segment.first_round && g.segment.worker_origin == seg.segment.worker_origin &&
              schedule_hash(g) != schedule_hash(seg))
            throw Error(fmt::format("the run's segment from round {} differs from the re-plan for its survivors",
                                    seg.segment.first_round));
        run.chain.push_back(std::move(seg));
      } catch (const InputError& err) {
        run.finished = false;
        run.unfinished_why = fmt::format("failure of worker {} at round {}: {}", e.worker, R, err.what());
        done.note = "the run cannot go on";
        run.events.push_back(done);
        total.total_s = t_best;
        break;
      }
      Piece next = simulate_piece(run.chain.back(), 0);
      const double rebuild_s = policy.rebuild_s >= 0 ? policy.rebuild_s : next.res.group_rebuild_s;
      done.lost_s = partial_s + policy.detect_s + rebuild_s;
      next.start_s = t_best + policy.detect_s + rebuild_s;
      done.note = fmt::format("{} workers go on from round {} (detection {:.6g} s, rebuild {:.6g} s)", left, R,
                              policy.detect_s, rebuild_s);
      piece = std::move(next);
    } else {
      const int K = policy.checkpoint_every;
      const int from = K > 0 ? R / K * K : 0; // the last checkpoint before round R
      const double rerun_s = piece.base(R) - piece.base(from);
      done.lost_s = partial_s + policy.detect_s + policy.restart_s + rerun_s;
      delays.emplace_back(R, done.lost_s);
      add_rounds(total, piece.res, piece.schedule, model, from, R); // those rounds run twice
      done.workers_after = workers;
      done.note = fmt::format("restart from round {} (detection {:.6g} s, restart {:.6g} s, {} rounds re-run: {:.6g} s)",
                              from, policy.detect_s, policy.restart_s, R - from, rerun_s);
    }
    run.events.push_back(done);
  }
  if (run.finished) {
    add_rounds(total, piece.res, piece.schedule, model, 0, static_cast<int>(piece.schedule.rounds.size()));
    total.total_s = piece.run_end();
  }
  for (std::size_t i = 0; i < events.size(); ++i)
    if (state[i] == 0) {
      ReplayedEvent r{events[i], -1, 0, 0, 0, run.finished ? "after the run's end" : "not reached"};
      run.events.push_back(r);
    }
  const SimResult& last = piece.res;
  total.protocol = last.protocol;
  total.collective = last.collective;
  total.platform = last.platform;
  total.workers = workers;
  total.rounds = static_cast<int>(original.rounds.size());
  total.worker_names = last.worker_names;
  total.wall_s = wall_s + baseline.wall_s;
  total.idle_s = std::max(0.0, total.total_s - total.compute_s - total.comm_s - total.overhead_s);
  run.lost_s = total.total_s - run.baseline_s;
  run.result = std::move(total);
  return run;
}

} // namespace resist::sim
