#include "sim/trace.hpp"

#include <nlohmann/json.hpp>

#include "core/output.hpp"

namespace resist::sim {

nlohmann::json chrome_trace(const std::vector<SimResult>& results) {
  nlohmann::json events = nlohmann::json::array();
  for (std::size_t p = 0; p < results.size(); ++p) {
    const SimResult& r = results[p];
    const int pid = static_cast<int>(p) + 1;
    events.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", pid},
                      {"args", {{"name", r.protocol + " (" + r.collective + ", " + r.platform + ")"}}}});
    for (std::size_t w = 0; w < r.worker_names.size(); ++w)
      events.push_back({{"ph", "M"}, {"name", "thread_name"}, {"pid", pid}, {"tid", static_cast<int>(w)},
                        {"args", {{"name", "worker " + std::to_string(w) + ": " + r.worker_names[w]}}}});
    for (const TimelineEvent& e : r.timeline)
      events.push_back({{"ph", "X"},
                        {"name", e.label},
                        {"cat", to_string(e.phase)},
                        {"pid", pid},
                        {"tid", e.worker},
                        {"ts", e.start_s * 1e6}, // microseconds
                        {"dur", e.duration_s() * 1e6},
                        {"args",
                         {{"round", e.round}, {"bytes_sent", e.bytes_sent}, {"bytes_received", e.bytes_received}}}});
  }
  return {{"traceEvents", events}, {"displayTimeUnit", "ms"}};
}

void write_chrome_trace(const std::string& path, const std::vector<SimResult>& results) {
  write_file_atomic(path, chrome_trace(results).dump() + "\n");
}

} // namespace resist::sim
