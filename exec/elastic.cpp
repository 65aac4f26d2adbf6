#include "exec/elastic.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h> // fmt::join (in format.h before fmt 11)

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/elastic.hpp"
#include "core/error.hpp"
#include "core/output.hpp"
#include "core/schedule_io.hpp"

namespace resist::exec {

namespace {

std::vector<std::uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::string text(const std::vector<std::uint8_t>& v) { return {v.begin(), v.end()}; }

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

/// Original workers holding each block in local round `k` of `s` (every worker for unpartitioned blocks).
std::vector<std::vector<int>> holder_origins(const Schedule& s, int k, int blocks) {
  const ResistPartition part = round_partition(s, k);
  std::vector<std::vector<int>> out(static_cast<std::size_t>(blocks));
  for (int b = 0; b < blocks; ++b) {
    const bool partitioned = contains(s.partitionable, b);
    for (int w = 0; w < s.config.workers; ++w)
      if (!partitioned || contains(part.worker_blocks[static_cast<std::size_t>(w)], b))
        out[static_cast<std::size_t>(b)].push_back(s.origin_worker(w));
  }
  return out;
}

} // namespace

std::string events_to_csv(const std::vector<LostWorker>& lost) {
  std::string out = "time_s,round,worker,event,factor,until_s\n";
  for (const auto& e : lost) out += fmt::format("{:.6f},{},{},fail,,\n", e.time_s, e.round, e.worker);
  return out;
}

std::vector<int> agree_on_survivors(c10d::Store& store, int generation, int rank, int size, int round,
                                    const std::vector<int>& origins, double timeout_s) {
  const std::string at = fmt::format("resist/elastic/g{}/", generation);
  auto alive_key = [&](int r) { return fmt::format("{}alive/{}", at, r); };
  try {
    store.set(alive_key(rank), bytes(std::to_string(round)));
    std::vector<std::string> all;
    for (int r = 0; r < size; ++r) all.push_back(alive_key(r));
    // A survivor stuck in a collective with a peer that went to this agreement learns of the failure only
    // when that collective times out, up to --timeout-s after this rank did: wait half as long again.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long>(timeout_s * 1500));
    while (!store.check(all) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (store.add(at + "decider", 1) == 1) { // first to finish waiting: its view is the decision
      std::vector<int> members;
      for (int r = 0; r < size; ++r)
        if (store.check({alive_key(r)})) members.push_back(r);
      std::string list;
      for (int m : members) list += (list.empty() ? "" : ",") + std::to_string(m);
      for (int r = 0; r < size; ++r)
        if (!contains(members, r)) store.set(fmt::format("resist/elastic/excluded/{}", origins[static_cast<std::size_t>(r)]), bytes("1"));
      store.set(at + "decision", bytes(list));
    }
    const std::vector<int> members = split_ints(text(store.get(at + "decision")));
    if (!contains(members, rank))
      throw Error(fmt::format("rank {} (worker {}): the survivors went on without it (it reached the agreement of "
                              "round {} after --timeout-s {})", rank, origins[static_cast<std::size_t>(rank)], round,
                              timeout_s));
    for (int m : members) {
      const std::string theirs = text(store.get(alive_key(m)));
      if (theirs != std::to_string(round))
        throw Error(fmt::format("rank {}: the survivors lost a peer in different rounds ({} here, {} on rank {}): the "
                                "run cannot agree and stops", rank, round, theirs, m));
    }
    return members;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    const std::string why = e.what();
    throw Error(fmt::format("rank {}: the survivors' agreement after round {} failed in the store: {}", rank, round,
                            why.substr(0, why.find('\n'))));
  }
}

ElasticRun::ElasticRun(const ElasticOptions& options, const Schedule& original, const std::string& hash, int blocks)
    : options_(options), blocks_(blocks) {
  schedules_.push_back(std::make_unique<Schedule>(original));
  hashes_.push_back(hash);
  for (int w = 0; w < original.config.workers; ++w) origins_.push_back(original.origin_worker(w));
  fresh_.assign(static_cast<std::size_t>(blocks), -1);
}

void ElasticRun::keep_post_steps(PreActNetImpl& net, int /*round*/) {
  torch::NoGradGuard no_grad;
  if (kept_.empty())
    for (const auto& p : net.parameters()) kept_.push_back(p.detach().clone());
  else {
    std::size_t i = 0;
    for (const auto& p : net.parameters()) kept_[i++].copy_(p.detach());
  }
  fresh_kept_ = fresh_;
  round_schedule_ = &schedule();
}

void ElasticRun::committed(int round, int rank, const std::vector<std::vector<int>>& now,
                           const std::vector<std::vector<int>>& next) {
  for (std::size_t b = 0; b < fresh_.size(); ++b)
    if (contains(now[b], rank) || contains(next[b], rank)) fresh_[b] = round;
}

ElasticRun::Recovery ElasticRun::recover(Comm& comm, PreActNetImpl& net, const Model& model, int round, double time_s,
                                         double timeout_s, const std::string& stop_hint) {
  if (!round_schedule_) throw Error("elastic: a peer was lost before the first round's steps");
  const std::vector<int> members =
      agree_on_survivors(comm.root_store(), generation_, comm.rank(), comm.size(), round, origins_, timeout_s);
  std::vector<int> gone, survivors;
  for (int r = 0; r < comm.size(); ++r) {
    if (contains(members, r)) survivors.push_back(origins_[static_cast<std::size_t>(r)]);
    else gone.push_back(origins_[static_cast<std::size_t>(r)]);
  }
  if (static_cast<int>(members.size()) < options_.min_workers)
    throw Error(fmt::format("round {}: lost worker(s) {}; {} of {} workers left, below --min-workers {}: the run "
                            "stops. {}", round, fmt::join(gone, ","), members.size(), comm.size(),
                            options_.min_workers, stop_hint));
  const int rank = static_cast<int>(std::find(members.begin(), members.end(), comm.rank()) - members.begin());
  ++generation_;
  Recovery out;
  out.comm = comm.regroup(fmt::format("resist/elastic/g{}", generation_), rank, static_cast<int>(members.size()));

  // Re-plan the rounds after this one for the survivors, from the schedule this round ran by (a segment an
  // earlier recovery in this same round made never ran: it goes).
  while (schedules_.back().get() != round_schedule_) {
    schedules_.pop_back();
    hashes_.pop_back();
  }
  const Schedule& base = *round_schedule_;
  const int k_next = round + 1 - base.segment.first_round;
  if (k_next < static_cast<int>(base.rounds.size())) {
    std::vector<int> workers; // survivors as workers of `base`
    for (int w = 0; w < base.config.workers; ++w)
      if (contains(survivors, base.origin_worker(w))) workers.push_back(w);
    try {
      schedules_.push_back(std::make_unique<Schedule>(make_segment(base, hashes_.back(), k_next, workers)));
    } catch (const InputError& e) {
      throw Error(fmt::format("round {}: lost worker(s) {}; the {} survivors cannot go on: {}. {}", round,
                              fmt::join(gone, ","), workers.size(), e.what(), stop_hint));
    }
    hashes_.push_back(schedule_hash(*schedules_.back()));
  }
  origins_ = survivors;

  { // Back to this round's post-steps parameters: the aggregation is redone without the lost workers.
    torch::NoGradGuard no_grad;
    std::size_t i = 0;
    for (const auto& p : net.parameters()) p.detach().copy_(kept_[i++]);
    fresh_ = fresh_kept_;
  }
  const auto fresh_all = out.comm->all_gather_strings("fresh", [&] {
    std::string s;
    for (int f : fresh_) s += (s.empty() ? "" : ",") + std::to_string(f);
    return s;
  }());
  std::vector<std::vector<int>> fresh_of; // [rank][block]
  for (const auto& s : fresh_all) fresh_of.push_back(split_ints(s));

  auto rank_of = [&](int origin) {
    return static_cast<int>(std::find(origins_.begin(), origins_.end(), origin) - origins_.begin());
  };
  const auto held = holder_origins(*round_schedule_, round - round_schedule_->segment.first_round, blocks_);
  out.now.resize(static_cast<std::size_t>(blocks_));
  std::vector<std::string> orphans;
  for (int b = 0; b < blocks_; ++b) {
    auto& set = out.now[static_cast<std::size_t>(b)];
    for (int o : held[static_cast<std::size_t>(b)])
      if (contains(origins_, o)) set.push_back(rank_of(o));
    std::sort(set.begin(), set.end());
    if (!set.empty()) continue;
    int src = 0; // only lost workers trained it: the survivor with the freshest copy gives it
    for (int r = 1; r < static_cast<int>(fresh_of.size()); ++r)
      if (fresh_of[static_cast<std::size_t>(r)][static_cast<std::size_t>(b)] >
          fresh_of[static_cast<std::size_t>(src)][static_cast<std::size_t>(b)])
        src = r;
    set.push_back(src);
    const int f = fresh_of[static_cast<std::size_t>(src)][static_cast<std::size_t>(b)];
    const std::string& name = model.blocks[static_cast<std::size_t>(b)].name;
    orphans.push_back(f == round - 1 ? name : fmt::format("{} (as after round {}: rounds {}..{} of its training lost)",
                                                           name, f, f + 1, round - 1));
  }
  if (schedules_.back().get() != round_schedule_) {
    out.next = holder_origins(schedule(), 0, blocks_);
    for (auto& set : out.next)
      for (int& o : set) o = rank_of(o);
  } else {
    out.next = out.now; // the run's last round: nothing to deliver
  }
  const std::string dropped =
      fmt::format("its local steps of round {}{}", round,
                  orphans.empty() ? std::string()
                                  : fmt::format("; blocks only lost workers held keep their value from the start of "
                                                "the round: {}", fmt::join(orphans, " ")));
  for (int w : gone) lost_.push_back({time_s, round, w, dropped});
  return out;
}

void ElasticRun::write_files(const std::string& dir) const {
  write_file_atomic(dir + "/events.csv", events_to_csv(lost_));
  for (std::size_t g = 1; g < schedules_.size(); ++g)
    write_file_atomic(fmt::format("{}/schedule.{}.json", dir, g), schedule_to_string(*schedules_[g]));
}

} // namespace resist::exec
