// The timeline record that the simulator predicts and the trainer measures, in the same columns:
// round, worker, phase, start_s, end_s, bytes_sent, bytes_received, label.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace resist {

enum class Phase { compute, communication, overhead };

const char* to_string(Phase p);
/// Throws InputError naming the value.
Phase parse_phase(const std::string& name);

struct TimelineEvent {
  int round = 0;
  int worker = 0;
  Phase phase = Phase::compute;
  double start_s = 0;  // seconds since the run started
  double end_s = 0;
  std::int64_t bytes_sent = 0;
  std::int64_t bytes_received = 0;
  std::string label;   // "local_steps", "sync", "group_create", "step 12", ...

  double duration_s() const { return end_s - start_s; }
};

/// Per round and worker: seconds in each phase and bytes (the round summary both parts print).
struct RoundSummary {
  int round = 0;
  int worker = 0;
  double compute_s = 0;
  double communication_s = 0;
  double overhead_s = 0;
  std::int64_t bytes_sent = 0;
  std::int64_t bytes_received = 0;
};
std::vector<RoundSummary> summarize(const std::vector<TimelineEvent>& events);

std::string timeline_to_csv(const std::vector<TimelineEvent>& events);
nlohmann::json timeline_to_json(const std::vector<TimelineEvent>& events);
/// Throws InputError on a malformed header or row.
std::vector<TimelineEvent> timeline_from_csv(const std::string& text);

/// Writes CSV or JSON (by the path's extension: .json, else CSV), atomically.
void write_timeline(const std::string& path, const std::vector<TimelineEvent>& events);

} // namespace resist
