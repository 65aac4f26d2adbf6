#include "cli/simulate_events.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/number.hpp"
#include "core/limits.hpp"
#include "sim/elastic_replay.hpp"
#include "sim/events.hpp"

namespace resist::cli {
namespace {

std::string restart_protocol(const std::string& name) {
  try {
    return to_string(parse_protocol(name));
  } catch (const InputError& e) {
    throw InputError(fmt::format("--restart-from-checkpoint: {}", e.what()));
  }
}

} // namespace

void add_event_args(CLI::App& sub, EventArgs& e) {
  sub.add_option("--events", e.events,
                 "Replay events: a CSV with header time_s,round,worker,event,factor,until_s (a run directory's "
                 "events.csv): fail (worker fails at the round, or at the time: the round in progress then), slow "
                 "(compute at speed factor x from the round or time until until_s or the end), link (the worker's "
                 "own links at bandwidth factor x, likewise). Workers by their original index");
  sub.add_option("--failure-every-s", e.failure_every_s,
                 "A worker fails every S simulated seconds (evenly spaced: S, 2S, ...; which worker is drawn from "
                 "--seed, a permutation of the workers taken in turn), besides any --events");
  sub.add_option("--events-out", e.events_out, "Write the events used (drawn failures included) as an events CSV");
  sub.add_option("--fault-detect-s", e.fault_detect_s,
                 "Seconds from a failure until the others notice it (the trainer's --timeout-s, default 60)")
      ->capture_default_str();
  sub.add_option("--rebuild-s", e.rebuild_s,
                 "Elastic: seconds to re-form the process group of the survivors (default: the platform's cost of "
                 "creating a group of that size: group_create_s, group_init_s, ...)");
  sub.add_option("--restart-from-checkpoint", e.restart_protocols,
                 "Protocols that restart from their last checkpoint on a failure (same workers: a replacement node), "
                 "e.g. data_parallel: DDP with restarts. The others go on elastically on the survivors")
      ->delimiter(',');
  sub.add_option("--restart-s", e.restart_s,
                 "Restart: seconds a new job takes to start before it resumes (scheduler, processes, rendezvous, "
                 "data; an assumption, set your own)")
      ->capture_default_str();
  sub.add_option("--checkpoint-every", e.checkpoint_every,
                 "Restart: a checkpoint every K rounds, as resist train --checkpoint-every (0 = never: a restart "
                 "begins again at round 0)")
      ->capture_default_str();
}

void check_event_args(const EventArgs& e) {
  if (e.failure_every_s != 0) check_number(e.failure_every_s, "--failure-every-s", 1e-3, 1e12);
  check_number(e.fault_detect_s, "--fault-detect-s", 0, 1e9);
  check_number(e.restart_s, "--restart-s", 0, 1e9);
  if (e.rebuild_s) check_number(*e.rebuild_s, "--rebuild-s", 0, 1e9);
  if (e.checkpoint_every < 0 || e.checkpoint_every > limits::kRounds)
    throw InputError(fmt::format("--checkpoint-every {}: must be in 0..{}", e.checkpoint_every, limits::kRounds));
  if (!e.active() && (!e.restart_protocols.empty() || !e.events_out.empty()))
    throw InputError("--restart-from-checkpoint and --events-out need --events or --failure-every-s");
}

void set_sweep_events(const EventArgs& e, sim::SweepGrid& grid) {
  check_event_args(e);
  if (!e.events_out.empty()) throw InputError("--events-out: simulate only (a sweep replays the events it is given)");
  if (!e.active()) return;
  for (const auto& name : e.restart_protocols) {
    const std::string p = restart_protocol(name);
    if (std::none_of(grid.protocols.begin(), grid.protocols.end(),
                     [&p](const std::string& q) { return to_string(parse_protocol(q)) == p; }))
      throw InputError(fmt::format("--restart-from-checkpoint {}: not a swept protocol", name));
    grid.restart_protocols.push_back(p);
  }
  if (!e.events.empty()) grid.events = sim::read_events(e.events, limits::kWorkers);
  grid.failure.detect_s = e.fault_detect_s;
  grid.failure.rebuild_s = e.rebuild_s ? *e.rebuild_s : -1;
  grid.failure.restart_s = e.restart_s;
  grid.failure.checkpoint_every = e.checkpoint_every;
  grid.failure.failure_every_s = e.failure_every_s;
}

EventReport run_with_events(const EventArgs& e, const std::vector<Schedule>& schedules, const sim::SimOptions& options) {
  const RunConfig& c = schedules.front().config;
  check_event_args(e);
  for (const auto& name : e.restart_protocols) {
    const std::string p = restart_protocol(name);
    if (std::none_of(schedules.begin(), schedules.end(), [&p](const Schedule& s) { return to_string(s.config.protocol) == p; }))
      throw InputError(fmt::format("--restart-from-checkpoint {}: not a simulated protocol", name));
  }
  const std::vector<sim::Event> given = e.events.empty() ? std::vector<sim::Event>{} : sim::read_events(e.events, c.workers);
  if (!e.events_out.empty()) check_output_path(e.events_out);

  EventReport rep;
  rep.lost = Table({"protocol", "on_failure", "baseline_s", "total_s", "lost_s", "lost_pct", "failures",
                    "workers_at_end", "finished", "simulations"});
  rep.events = Table({"protocol", "event", "worker", "time_s", "round", "factor", "until_s", "at_s", "run_round",
                      "lost_s", "note"});
  std::vector<sim::Event> used = given;
  double latest_s = 0;
  for (const Schedule& s : schedules) {
    const std::string protocol = to_string(s.config.protocol);
    sim::FailurePolicy policy;
    policy.elastic = std::find(e.restart_protocols.begin(), e.restart_protocols.end(), protocol) == e.restart_protocols.end();
    policy.detect_s = e.fault_detect_s;
    policy.rebuild_s = e.rebuild_s ? *e.rebuild_s : -1;
    policy.restart_s = e.restart_s;
    policy.checkpoint_every = e.checkpoint_every;
    policy.failure_every_s = e.failure_every_s;
    policy.seed = s.config.seed;
    sim::EventRun run = sim::replay_with_events({s}, given, options, policy);
    const int workers_end = run.chain.back().config.workers;
    rep.lost.add_row({protocol, std::string(policy.elastic ? "elastic" : "restart"), run.baseline_s,
                      run.finished ? Cell{run.result.total_s} : Cell{std::string("unfinished")}, run.lost_s,
                      run.baseline_s > 0 ? 100 * run.lost_s / run.baseline_s : 0.0, std::int64_t{run.failures},
                      std::int64_t{workers_end}, std::string(run.finished ? "yes" : run.unfinished_why),
                      std::int64_t{run.simulations}});
    for (const sim::ReplayedEvent& x : run.events) {
      const sim::Event& v = x.event;
      auto opt = [](double d) { return d >= 0 ? Cell{d} : Cell{std::string("-")}; };
      rep.events.add_row({protocol, std::string(sim::to_string(v.kind)), std::int64_t{v.worker}, opt(v.time_s),
                          v.round >= 0 ? Cell{std::int64_t{v.round}} : Cell{std::string("-")},
                          v.kind == sim::EventKind::fail ? Cell{std::string("-")} : Cell{v.factor}, opt(v.until_s),
                          x.run_round >= 0 ? Cell{x.at_s} : Cell{std::string("-")},
                          x.run_round >= 0 ? Cell{std::int64_t{x.run_round}} : Cell{std::string("-")}, x.lost_s,
                          x.note});
      latest_s = std::max(latest_s, x.at_s);
    }
    rep.results.push_back(std::move(run.result));
  }
  // The drawn failures up to the last one any protocol met: the file replays them as given.
  if (e.failure_every_s > 0)
    for (int k = 1; k * e.failure_every_s <= latest_s; ++k)
      used.push_back(sim::periodic_failure(k, e.failure_every_s, c.workers, c.seed));
  if (!e.events_out.empty()) write_file_atomic(e.events_out, sim::events_csv(used));
  rep.lines.push_back(fmt::format(
      "Failures: detection {:.6g} s (--fault-detect-s); elastic: rebuild {} then the rounds left re-planned for the "
      "survivors (core make_segment); restart: {:.6g} s start (--restart-s) and the rounds since the last checkpoint "
      "(every {} rounds{}) re-run. Time events act on the whole round in progress.",
      e.fault_detect_s, e.rebuild_s ? fmt::format("{:.6g} s (--rebuild-s)", *e.rebuild_s) : "as the platform creates a group",
      e.restart_s, e.checkpoint_every, e.checkpoint_every == 0 ? ": never, from round 0" : ""));
  if (e.failure_every_s > 0)
    rep.lines.push_back(fmt::format("A failure every {:.6g} s, evenly spaced; workers drawn from seed {}{}", e.failure_every_s,
                                    c.seed, e.events_out.empty() ? "" : " (written to " + e.events_out + ")"));
  rep.json = {{"lost", rep.lost.to_json()}, {"events", rep.events.to_json()}, {"assumptions", rep.lines}};
  return rep;
}

} // namespace resist::cli
