// A run with events (sim/events.hpp) replayed: stragglers and degraded links for the rounds they cover, and
// failures as the run's protocol handles them: elastic (the rounds left re-planned for the survivors by
// core's make_segment, as the trainer re-plans) or restarted from the last checkpoint on as many workers
// (a replacement node: DDP with restarts, the baseline users compare with).
#pragma once
#include <string>
#include <vector>

#include "core/schedule.hpp"
#include "sim/events.hpp"
#include "sim/simulate.hpp"

namespace resist::sim {

struct FailurePolicy {
  bool elastic = true;        // go on with the survivors; false: restart from the last checkpoint
  double detect_s = 60;       // from a failure to the others noticing it: the trainer's --timeout-s default
  double rebuild_s = -1;      // elastic: re-forming the process group; < 0: the platform's cost of creating a
                              // group of the survivors (SimResult::group_rebuild_s)
  double restart_s = 120;     // restart: a new job's start (scheduler, processes, rendezvous, data) before it
                              // resumes; an assumption, not a measurement
  int checkpoint_every = 0;   // restart: a checkpoint every K rounds, after rounds K-1, 2K-1, ... (0 = never)
  double failure_every_s = 0; // > 0: besides the events, a failure every so many seconds (periodic_failure)
  std::uint64_t seed = 0;     // of periodic_failure's workers
  int max_failures = 1000;    // a run still going after so many failures is reported unfinished
};

struct ReplayedEvent {
  Event event;          // as given (or drawn by failure_every_s)
  int run_round = -1;   // the run round it took effect in (-1: not replayed, see note)
  double at_s = 0;      // run wall-clock seconds at which it took effect
  double lost_s = 0;    // fail: partial round + detection + rebuild, or + restart + rounds re-run
  int workers_after = 0;
  std::string note;     // why it was not replayed, or what it did
};

struct EventRun {
  SimResult result;      // the whole run with its events: total_s, phases and bytes over the rounds that ran
  double baseline_s = 0; // the same schedule without events
  double lost_s = 0;     // total_s - baseline_s
  int failures = 0;      // failures replayed
  bool finished = true;  // false: no worker left, the survivors cannot run the protocol, or max_failures
  std::string unfinished_why;
  std::vector<ReplayedEvent> events; // in the order they took effect, then those not replayed
  std::vector<Schedule> chain;       // the schedules that ran: the original, then each re-planned segment
  int simulations = 0;
};

/// Replays `chain` (chain[0]: the run's original schedule; later elements, when given, are a real run's
/// segments, e.g. `resist validate` on an elastic run: each re-plan must equal the given segment's hash, else
/// InputError) with `events` under `policy`. Time-based events act on the round in progress at their time
/// (the whole round); a straggler's or link's until_s ends its factor after the round in progress then.
/// Each piece is a simulate() call (its own child process). Throws InputError for events that do not fit the
/// run (a slow event's until_s before its round starts, a worker out of range).
EventRun replay_with_events(const std::vector<Schedule>& chain, const std::vector<Event>& events,
                            const SimOptions& options, const FailurePolicy& policy);

} // namespace resist::sim
