#include "cli/validate_events.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "core/elastic.hpp"
#include "core/error.hpp"
#include "core/output.hpp"
#include "core/schedule_io.hpp"
#include "core/validation.hpp"
#include "sim/elastic_replay.hpp"

namespace resist::cli {
namespace {

namespace fs = std::filesystem;

/// The trainer caught a loss in round R after the survivors' local steps of R: it kept them, redid R's
/// aggregation without the lost worker and re-planned from R + 1 (exec/elastic.cpp). The simulator re-plans
/// from the round a failure takes effect in, so the replay's failure is at the start of R + 1: round R as
/// planned, then the run's own segment.
std::vector<sim::Event> replay_events(const std::vector<sim::Event>& lost) {
  std::vector<sim::Event> out;
  for (sim::Event e : lost) {
    e.round += 1;
    e.time_s = -1;
    out.push_back(e);
  }
  return out;
}

/// Seconds a survivor spent in round `round`'s communication that was still going at time t, the moment it
/// caught the loss: the collective that failed (the timeout, for a hung peer), the survivors' agreement and
/// their new group are one span of the timeline (a loss_check or sync row), the longest of that round's.
double measured_recovery_s(const std::vector<TimelineEvent>& timeline, int round, double t) {
  double longest = 0;
  for (const TimelineEvent& e : timeline)
    if (e.round == round && e.phase == Phase::communication && e.end_s >= t) longest = std::max(longest, e.duration_s());
  return longest;
}

sim::FailurePolicy policy_for(const ElasticRecord& record, const std::vector<TimelineEvent>& measured,
                              const RecoveryChoice& recovery, std::string& stated) {
  sim::FailurePolicy p;
  p.elastic = true;
  p.seed = record.chain.front().config.seed;
  if (recovery.mode == "model") {
    p.detect_s = recovery.timeout_s;
    p.rebuild_s = -1;
    stated = fmt::format("detection {:.6g} s (the run's --timeout-s) and the rebuild of the platform's group "
                         "creation (--recovery model)", recovery.timeout_s);
    return p;
  }
  // Measured: the mean per loss (losses caught together share one span; the replay charges each).
  double recovery_s = 0;
  for (const sim::Event& e : record.lost) recovery_s += measured_recovery_s(measured, e.round, e.time_s);
  p.detect_s = recovery_s / static_cast<double>(record.lost.size());
  p.rebuild_s = 0;
  stated = fmt::format("{:.3f} s per loss measured in the run's timeline (the longest communication of the round "
                       "it was caught in: the failed collective, agreement, new group), rebuild included (--recovery "
                       "measured)", p.detect_s);
  return p;
}

Table events_table(const sim::EventRun& run) {
  Table t({"worker", "caught_in_round", "replayed_at_round", "at_s", "lost_s", "workers_after", "note"});
  for (const sim::ReplayedEvent& x : run.events)
    t.add_row({std::int64_t{x.event.worker}, std::int64_t{x.event.round - 1}, std::int64_t{x.run_round}, x.at_s,
               x.lost_s, std::int64_t{x.workers_after}, x.note});
  return t;
}

std::string chain_line(const ElasticRecord& record) {
  std::string s;
  for (std::size_t k = 0; k < record.chain.size(); ++k) {
    const Schedule& g = record.chain[k];
    s += fmt::format("{}{} ({} workers from round {}, {})", k ? " -> " : "", record.names[k], g.config.workers,
                     g.segment.first_round, schedule_hash(g));
  }
  return s;
}

} // namespace

ElasticRecord read_elastic_record(const std::string& dir, const Schedule& original, const nlohmann::json& summary) {
  ElasticRecord r;
  const fs::path events = fs::path(dir) / "events.csv";
  if (!fs::exists(events)) return r;
  for (const sim::Event& e : sim::read_events(events.string(), original.config.workers))
    if (e.kind == sim::EventKind::fail && e.round >= 0) r.lost.push_back(e);
  r.chain.push_back(original);
  r.names.push_back("schedule.json");
  for (int k = 1; fs::exists(fs::path(dir) / fmt::format("schedule.{}.json", k)); ++k) {
    r.names.push_back(fmt::format("schedule.{}.json", k));
    r.chain.push_back(read_schedule((fs::path(dir) / r.names.back()).string()));
  }
  check_segment_chain(r.chain, r.names);
  const auto el = summary.find("elastic");
  if (el != summary.end() && el->is_object() && el->contains("last_segment_hash")) {
    const std::string stated = el->at("last_segment_hash").get<std::string>();
    if (stated != schedule_hash(r.chain.back()))
      throw InputError(fmt::format("{}/summary.json: elastic.last_segment_hash {} is not the hash {} of {}", dir,
                                   stated, schedule_hash(r.chain.back()), r.names.back()));
  }
  return r;
}

ElasticPrediction predict_elastic(const ElasticRecord& record, const std::vector<TimelineEvent>& measured,
                                  const sim::SimOptions& options, const RecoveryChoice& recovery,
                                  double predicted_total_s, double measured_total_s) {
  if (recovery.mode != "measured" && recovery.mode != "model")
    throw InputError(fmt::format("--recovery '{}': measured or model", recovery.mode));
  std::string stated;
  const sim::FailurePolicy policy = policy_for(record, measured, recovery, stated);
  const sim::EventRun run = sim::replay_with_events(record.chain, replay_events(record.lost), options, policy);
  ElasticPrediction out;
  out.lost_s = run.lost_s;
  out.predicted_total_s = predicted_total_s + run.lost_s;
  out.measured_total_s = measured_total_s;
  out.workers_end = run.chain.back().config.workers;
  const Table events = events_table(run);
  const double err = error_pct(out.predicted_total_s, out.measured_total_s);
  out.json = {{"events", events.to_json()},
              {"segments", record.names},
              {"workers_at_start", record.chain.front().config.workers},
              {"workers_at_end", out.workers_end},
              {"failures", run.failures},
              {"recovery", recovery.mode},
              {"recovery_s", policy.detect_s + std::max(0.0, policy.rebuild_s)},
              {"lost_s", run.lost_s},
              {"predicted_total_s", out.predicted_total_s},
              {"measured_total_s", measured_total_s},
              {"total_error_pct", err},
              {"assumption", stated}};
  out.text = fmt::format(
      "\nelastic run replayed (sim/elastic_replay, as `resist simulate --events`): a worker caught lost in round R "
      "keeps R's local steps, so it fails at the start of R + 1, then the run's own segments run\n"
      "segments: {}\nrecovery: {}\n{}"
      "whole run with its losses: predicted {:.2f} s ({:.2f} s without them, {:+.2f} s lost on {} of {} workers at "
      "the end), measured {:.2f} s (error {:+.1f}%)\n",
      chain_line(record), stated, events.to_text(), out.predicted_total_s, predicted_total_s, run.lost_s,
      out.workers_end, record.chain.front().config.workers, measured_total_s, err);
  if (!run.finished) out.text += fmt::format("the replay did not finish: {}\n", run.unfinished_why);
  return out;
}

} // namespace resist::cli
