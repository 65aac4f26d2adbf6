#include "sim/events.hpp"

#include <fmt/format.h>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/number.hpp"
#include "core/rng.hpp"

namespace resist::sim {

const char* to_string(EventKind kind) {
  switch (kind) {
  case EventKind::fail: return "fail";
  case EventKind::slow: return "slow";
  case EventKind::link: return "link";
  }
  return "?";
}

std::vector<Event> parse_events(const std::string& text, const std::string& origin, int workers) {
  const CsvTable t = CsvTable::parse(text, origin);
  for (const char* column : {"time_s", "round", "worker", "event", "factor", "until_s"})
    if (!t.has(column)) throw InputError(fmt::format("{}: no column '{}' (header: {})", origin, column, kEventsHeader));
  std::vector<Event> events;
  for (std::size_t i = 0; i < t.rows(); ++i) {
    const std::string where = fmt::format("{}:{}", origin, t.line(i));
    Event e;
    const std::string& kind = t.text(i, "event");
    if (kind == "fail") e.kind = EventKind::fail;
    else if (kind == "slow") e.kind = EventKind::slow;
    else if (kind == "link") e.kind = EventKind::link;
    else throw InputError(fmt::format("{} event '{}': expected fail, slow or link", where, kind));
    const bool has_time = !t.text(i, "time_s").empty(), has_round = !t.text(i, "round").empty();
    if (!has_time && !has_round) throw InputError(fmt::format("{}: neither time_s nor round says when", where));
    if (has_time) e.time_s = t.number(i, "time_s", 0);
    if (has_round) e.round = static_cast<int>(parse_int(t.text(i, "round"), where + " round", 0, 1 << 30));
    e.worker = static_cast<int>(parse_int(t.text(i, "worker"), where + " worker", 0, 1 << 30));
    if (e.worker >= workers)
      throw InputError(fmt::format("{} worker {}: no such worker (the run has 0..{})", where, e.worker, workers - 1));
    const std::string& factor = t.text(i, "factor");
    if (e.kind != EventKind::fail) {
      if (factor.empty()) throw InputError(fmt::format("{}: a {} event needs a factor", where, kind));
      e.factor = parse_double(factor, where + " factor", 1e-6, 1e6);
    } else if (!factor.empty()) {
      parse_double(factor, where + " factor"); // a real run may record one; it must still be a number
    }
    if (!t.text(i, "until_s").empty()) {
      e.until_s = t.number(i, "until_s", 0);
      if (has_time && !has_round && e.until_s <= e.time_s)
        throw InputError(fmt::format("{} until_s {}: not after time_s {}", where, e.until_s, e.time_s));
    }
    events.push_back(e);
  }
  return events;
}

std::vector<Event> read_events(const std::string& path, int workers) {
  return parse_events(read_input_file(path, "events file"), path, workers);
}

std::string events_csv(const std::vector<Event>& events) {
  std::string out = std::string(kEventsHeader) + "\n";
  for (const Event& e : events)
    out += fmt::format("{},{},{},{},{},{}\n", e.time_s >= 0 ? fmt::format("{}", e.time_s) : "",
                       e.round >= 0 ? fmt::format("{}", e.round) : "", e.worker, to_string(e.kind),
                       e.kind == EventKind::fail ? "" : fmt::format("{}", e.factor),
                       e.until_s >= 0 ? fmt::format("{}", e.until_s) : "");
  return out;
}

Event periodic_failure(int k, double every_s, int workers, std::uint64_t seed) {
  Rng rng(derive_seed(seed, Stream::failures, static_cast<std::uint64_t>((k - 1) / workers)));
  const std::vector<int> order = rng.permutation(workers); // one permutation per `workers` failures
  Event e;
  e.time_s = k * every_s;
  e.worker = order[static_cast<std::size_t>((k - 1) % workers)];
  return e;
}

} // namespace resist::sim
