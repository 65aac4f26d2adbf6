// Events of a run: a worker that fails, a straggler, a degraded link, at a round or a time. The CSV form
// (time_s,round,worker,event,factor,until_s) is the one the elastic trainer writes as events.csv in a run
// directory; sim/elastic_replay.hpp replays them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace resist::sim {

enum class EventKind { fail, slow, link };
const char* to_string(EventKind kind);

struct Event {
  double time_s = -1; // when (run wall-clock seconds); < 0: not given, the round says when
  int round = -1;     // the run's round index; < 0: not given. A real run records both: the round wins
  int worker = 0;     // the original worker index (segment 0's numbering)
  EventKind kind = EventKind::fail;
  double factor = 1;  // slow: compute speed factor (0.5 = half speed); link: bandwidth factor; fail: unused
  double until_s = -1; // slow, link: the factor holds until this time; < 0: to the end of the run
};

/// The header of an events file.
inline constexpr const char* kEventsHeader = "time_s,round,worker,event,factor,until_s";

/// Parses an events CSV (`origin` names it in errors). Throws InputError naming the file, line and value for
/// an unknown event, a worker outside 0..workers-1, an until_s not after time_s, a factor missing or not
/// > 0, a row with neither time_s nor round, a malformed number.
std::vector<Event> parse_events(const std::string& text, const std::string& origin, int workers);
/// The same from a file (a regular file; InputError when missing).
std::vector<Event> read_events(const std::string& path, int workers);
/// The CSV text of `events` (empty fields for what is not given).
std::string events_csv(const std::vector<Event>& events);

/// Failure k (1, 2, ...) of `--failure-every-s`: evenly spaced at k x every_s; the worker it strikes is
/// drawn from the seed (core/rng.hpp, stream failures): a permutation of the workers, taken in turn, so an
/// elastic run loses distinct workers and a restarted one gets them back in the same order.
Event periodic_failure(int k, double every_s, int workers, std::uint64_t seed);

} // namespace resist::sim
