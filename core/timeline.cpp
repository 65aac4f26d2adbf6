#include "core/timeline.hpp"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include <limits>

#include "core/error.hpp"
#include "core/number.hpp"
#include "core/output.hpp"

namespace resist {

const char* to_string(Phase p) {
  switch (p) {
  case Phase::compute: return "compute";
  case Phase::communication: return "communication";
  case Phase::overhead: return "overhead";
  }
  return "?";
}

Phase parse_phase(const std::string& name) {
  for (Phase p : {Phase::compute, Phase::communication, Phase::overhead})
    if (name == to_string(p)) return p;
  throw InputError(fmt::format("unknown phase '{}' (known: compute, communication, overhead)", name));
}

std::vector<RoundSummary> summarize(const std::vector<TimelineEvent>& events) {
  std::map<std::pair<int, int>, RoundSummary> by_key;
  for (const auto& e : events) {
    RoundSummary& s = by_key[{e.round, e.worker}];
    s.round = e.round;
    s.worker = e.worker;
    const double d = e.duration_s();
    (e.phase == Phase::compute ? s.compute_s : e.phase == Phase::communication ? s.communication_s : s.overhead_s) += d;
    s.bytes_sent += e.bytes_sent;
    s.bytes_received += e.bytes_received;
  }
  std::vector<RoundSummary> out;
  for (auto& [k, s] : by_key) out.push_back(s);
  return out;
}

static const char* kHeader = "round,worker,phase,start_s,end_s,bytes_sent,bytes_received,label";

std::string timeline_to_csv(const std::vector<TimelineEvent>& events) {
  std::string out = std::string(kHeader) + "\n";
  for (const auto& e : events)
    out += fmt::format("{},{},{},{:.9f},{:.9f},{},{},{}\n", e.round, e.worker, to_string(e.phase), e.start_s, e.end_s,
                       e.bytes_sent, e.bytes_received, e.label);
  return out;
}

nlohmann::json timeline_to_json(const std::vector<TimelineEvent>& events) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& e : events)
    a.push_back({{"round", e.round}, {"worker", e.worker}, {"phase", to_string(e.phase)}, {"start_s", e.start_s},
                 {"end_s", e.end_s}, {"bytes_sent", e.bytes_sent}, {"bytes_received", e.bytes_received},
                 {"label", e.label}});
  return a;
}

std::vector<TimelineEvent> timeline_from_csv(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kHeader)
    throw InputError(fmt::format("timeline CSV: expected header '{}'", kHeader));
  std::vector<TimelineEvent> out;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) f.push_back(cell);
    if (f.size() == 7) f.emplace_back();
    if (f.size() != 8) throw InputError(fmt::format("timeline CSV line {}: expected 8 fields", line_no));
    const std::string at = fmt::format("timeline CSV line {}", line_no);
    constexpr int kMaxInt = std::numeric_limits<int>::max();
    constexpr std::int64_t kMaxBytes = std::numeric_limits<std::int64_t>::max();
    out.push_back({static_cast<int>(parse_int(f[0], at + " round", -1, kMaxInt)),
                   static_cast<int>(parse_int(f[1], at + " worker", -1, kMaxInt)), parse_phase(f[2]),
                   parse_double(f[3], at + " start_s"), parse_double(f[4], at + " end_s"),
                   parse_int(f[5], at + " bytes_sent", 0, kMaxBytes), parse_int(f[6], at + " bytes_received", 0, kMaxBytes),
                   f[7]});
  }
  return out;
}

void write_timeline(const std::string& path, const std::vector<TimelineEvent>& events) {
  const bool json = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  write_file_atomic(path, json ? timeline_to_json(events).dump(1) + "\n" : timeline_to_csv(events));
}

} // namespace resist
