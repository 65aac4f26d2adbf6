#include "core/elastic.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h> // fmt::join (in format.h before fmt 11)

#include "core/error.hpp"
#include "core/schedule_io.hpp"

namespace resist {

Schedule make_segment(const Schedule& parent, const std::string& parent_hash, int from_round,
                      const std::vector<int>& survivors) {
  const RunConfig& pc = parent.config;
  if (pc.protocol == Protocol::layer_parallel)
    throw InputError("layer_parallel cannot continue on fewer workers: each holds a fixed module of the cut");
  if (from_round < 1 || from_round >= static_cast<int>(parent.rounds.size()))
    throw InputError(fmt::format("cannot re-plan from round {}: the schedule has rounds 0..{} and a segment starts "
                                 "after its first round", from_round, parent.rounds.size() - 1));
  if (survivors.empty()) throw InputError("cannot re-plan for no surviving worker");
  for (std::size_t i = 0; i < survivors.size(); ++i) {
    if (survivors[i] < 0 || survivors[i] >= pc.workers)
      throw InputError(fmt::format("survivor {} is not a worker of the schedule's {}", survivors[i], pc.workers));
    if (i > 0 && survivors[i] <= survivors[i - 1])
      throw InputError(fmt::format("survivors must be ascending and distinct: {} after {}", survivors[i],
                                   survivors[i - 1]));
  }
  if (parent_hash.empty()) throw InputError("a segment needs its parent's hash");

  RunConfig config = pc;
  if (config.global_epochs > 0) { // the run's length stays what it was: fix it in epochs per worker
    config.epochs = epochs_per_worker(pc);
    config.global_epochs = 0;
  }
  config.workers = static_cast<int>(survivors.size());
  // The whole run made for the survivors' count: the same steps and learning rates, and the partitions such a
  // run draws at each run round (ResIST and IST draw from the seed and the round index).
  Schedule whole = make_schedule(config);
  const int first_run_round = parent.run_round(from_round);
  if (first_run_round >= static_cast<int>(whole.rounds.size()))
    throw Error(fmt::format("re-planned run has {} rounds, fewer than round {}", whole.rounds.size(), first_run_round));

  Schedule seg = std::move(whole);
  seg.rounds.erase(seg.rounds.begin(), seg.rounds.begin() + first_run_round);
  const std::vector<WorkerRound>& before = parent.rounds[static_cast<std::size_t>(from_round)].workers;
  for (std::size_t r = 0; r < seg.rounds.size(); ++r) {
    Round& round = seg.rounds[r];
    round.round = static_cast<int>(r);
    for (std::size_t k = 0; k < survivors.size(); ++k) // each survivor goes on with its own data order
      round.workers[k].data_seed = before[static_cast<std::size_t>(survivors[k])].data_seed;
  }
  seg.segment.first_round = first_run_round;
  seg.segment.parent_hash = parent_hash;
  for (int w : survivors) seg.segment.worker_origin.push_back(parent.origin_worker(w));
  return seg;
}

void check_segment_chain(const std::vector<Schedule>& chain, const std::vector<std::string>& names) {
  if (names.size() != chain.size()) throw Error("check_segment_chain: one name per schedule");
  for (std::size_t k = 1; k < chain.size(); ++k) {
    const Schedule& parent = chain[k - 1];
    const Schedule& seg = chain[k];
    const std::string parent_hash = schedule_hash(parent);
    if (seg.segment.parent_hash != parent_hash)
      throw InputError(fmt::format("{}: its parent hash {} is not the hash {} of {} (a broken segment chain)", names[k],
                                   seg.segment.parent_hash.empty() ? "(none)" : seg.segment.parent_hash, parent_hash,
                                   names[k - 1]));
    std::vector<int> survivors; // as workers of the parent
    for (int w = 0; w < parent.config.workers; ++w)
      for (int o : seg.segment.worker_origin)
        if (o == parent.origin_worker(w)) survivors.push_back(w);
    Schedule replan;
    try {
      replan = make_segment(parent, parent_hash, seg.segment.first_round - parent.segment.first_round, survivors);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: not a re-plan of {} ({})", names[k], names[k - 1], e.what()));
    }
    if (schedule_hash(replan) != schedule_hash(seg))
      throw InputError(fmt::format("{}: its hash {} is not the hash {} of {}'s re-plan from round {} for workers {}",
                                   names[k], schedule_hash(seg), schedule_hash(replan), names[k - 1],
                                   seg.segment.first_round, fmt::join(seg.segment.worker_origin, ",")));
  }
}

} // namespace resist
