// `resist simulate --events FILE` / `--failure-every-s S`: the run replayed with failures, stragglers and
// degraded links (sim/elastic_replay.hpp), per protocol elastic or restarted from checkpoints.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/output.hpp"
#include "core/schedule.hpp"
#include "sim/simulate.hpp"
#include "sim/sweep.hpp"

namespace resist::cli {

struct EventArgs {
  std::string events;               // events CSV (time_s,round,worker,event,factor,until_s)
  std::string events_out;           // where to write the events used (the drawn failures included)
  double failure_every_s = 0;       // > 0: a failure every so many seconds
  double fault_detect_s = 60;       // the trainer's default --timeout-s
  std::optional<double> rebuild_s;  // default: the platform's process-group creation of the survivors
  std::vector<std::string> restart_protocols; // these restart from checkpoints; the others are elastic
  double restart_s = 120;
  int checkpoint_every = 0;

  bool active() const { return !events.empty() || failure_every_s > 0; }
};

void add_event_args(CLI::App& sub, EventArgs& e);
/// The options' own checks (numbers, options that need events). Throws InputError.
void check_event_args(const EventArgs& e);

struct EventReport {
  std::vector<sim::SimResult> results; // per schedule, the whole run with its events
  Table lost{{}};                      // per protocol: baseline, with events, lost, failures
  Table events{{}};                    // every event per protocol: where it took effect and what it cost
  std::vector<std::string> lines;      // what the replay assumed, for people
  nlohmann::json json;
};

/// Checks the options (InputError before any work: the events file, the protocols named, the output path),
/// replays every schedule with its events and writes --events-out.
EventReport run_with_events(const EventArgs& e, const std::vector<Schedule>& schedules, const sim::SimOptions& options);

/// The events of `resist sweep` (workers are checked per point by the sweep). Throws InputError.
void set_sweep_events(const EventArgs& e, sim::SweepGrid& grid);

} // namespace resist::cli
