// `resist validate` on an elastic run: the run's losses (events.csv) and its chained segments
// (schedule.N.json) replayed by the simulator's elastic replay (sim/elastic_replay.hpp, the code path of
// `resist simulate --events`), and the whole run measured against predicted with the losses.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/schedule.hpp"
#include "core/timeline.hpp"
#include "sim/events.hpp"
#include "sim/simulate.hpp"

namespace resist::cli {

/// An elastic run's own records: absent (no events.csv) for a run that lost no worker.
struct ElasticRecord {
  std::vector<Schedule> chain;    // schedule.json, schedule.1.json, ...
  std::vector<std::string> names; // their file names
  std::vector<sim::Event> lost;   // events.csv's failures, as the trainer wrote them (the round it caught each)
  bool present() const { return !lost.empty(); }
};

/// Reads DIR/events.csv and the segments DIR/schedule.1.json, ... after `original` (schedule.json), and checks
/// the chain (core/elastic.hpp check_segment_chain) and summary.json's elastic.last_segment_hash. Throws
/// InputError naming the file and both hashes of a broken link.
ElasticRecord read_elastic_record(const std::string& dir, const Schedule& original, const nlohmann::json& summary);

/// How the replay prices a loss: measured (its span in the run's timeline) or model (detection the
/// run's --timeout-s, the rebuild the platform's group creation, as `resist simulate --events` by default).
struct RecoveryChoice {
  std::string mode = "measured";
  double timeout_s = 60; // the run's --timeout-s (config.json train.timeout_s)
};

struct ElasticPrediction {
  double predicted_total_s = 0, measured_total_s = 0, lost_s = 0;
  int workers_end = 0;
  nlohmann::json json;
  std::string text; // for people: the losses as replayed, the assumptions and the whole run
};

/// Replays the run's chain with its losses. `predicted_total_s` and `measured_total_s` are the whole run's
/// (startup, rounds, evaluation) without the losses predicted and as measured; the replay adds its lost time.
ElasticPrediction predict_elastic(const ElasticRecord& record, const std::vector<TimelineEvent>& measured,
                                  const sim::SimOptions& options, const RecoveryChoice& recovery,
                                  double predicted_total_s, double measured_total_s);

} // namespace resist::cli
