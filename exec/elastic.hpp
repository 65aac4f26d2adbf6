// Elastic runs (`resist train --elastic`): when a rank dies or hangs, the survivors agree on who is left
// through the store, build a new Gloo group over a per-generation store prefix, re-plan the rounds left for
// themselves (core/elastic.hpp's segment, chained to the schedule that ran) and redo the failed round's
// aggregation without the lost workers: each survivor restores its own parameters as they were after the
// round's local steps; a block that only lost workers held takes its value from the survivor holding the
// freshest copy (the start of the round, unless the lost worker held it alone for several rounds).
// ResIST and local SGD only: their rounds end in one aggregation that can be redone.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/schedule.hpp"
#include "exec/comm.hpp"
#include "exec/net.hpp"

namespace resist::exec {

struct ElasticOptions {
  bool enabled = false;
  int min_workers = 1; // fewer survivors: the run stops as a non-elastic one does
};

/// A lost worker as recorded: a row of `events.csv` (the simulator's events format) and what was dropped.
struct LostWorker {
  double time_s = 0;   // the run's timeline clock when the survivors caught the failure
  int round = 0;       // the run's round index
  int worker = 0;      // the original worker index
  std::string dropped; // what of its work (and of blocks only it held) is gone
};

/// events.csv: `time_s,round,worker,event,factor,until_s`, one `fail` row per lost worker.
std::string events_to_csv(const std::vector<LostWorker>& lost);

/// The survivors' agreement over `store` (the job's root store, which outlives every training rank) after
/// the group of generation `generation` failed in run round `round`: this rank (`rank` of `size`) writes
/// `resist/elastic/g<generation>/alive/<rank>` and waits until all ranks have or 1.5 x `timeout_s` passed; the
/// first to finish waiting decides (the ranks alive then) and writes the decision, the others read it, so
/// every survivor goes on with the same list. Writes `resist/elastic/excluded/<origin>` for each rank left
/// out (the `--nproc` launcher ends those). Returns the members (ranks of the failed generation, ascending).
/// Throws Error when this rank was left out or the survivors were not all in `round`.
std::vector<int> agree_on_survivors(c10d::Store& store, int generation, int rank, int size, int round,
                                    const std::vector<int>& origins, double timeout_s);

class ElasticRun {
public:
  ElasticRun(const ElasticOptions& options, const Schedule& original, const std::string& hash, int blocks);

  /// The schedule the run follows now (the original, or the latest segment), its hash and generation.
  const Schedule& schedule() const { return *schedules_.back(); }
  const std::string& hash() const { return hashes_.back(); }
  int generation() const { return generation_; }
  /// The original worker index of rank `rank` of the current group.
  int origin(int rank) const { return origins_[static_cast<std::size_t>(rank)]; }
  const std::vector<LostWorker>& lost() const { return lost_; }

  /// After run round `round`'s local steps: keeps this rank's parameters (and what it holds fresh) so that
  /// the round's aggregation can be redone.
  void keep_post_steps(PreActNetImpl& net, int round);
  /// After the round's aggregation over `now` / `next` (ranks per block) completed on every rank.
  void committed(int round, int rank, const std::vector<std::vector<int>>& now,
                 const std::vector<std::vector<int>>& next);

  struct Recovery {
    std::unique_ptr<Comm> comm;             // the survivors' group
    std::vector<std::vector<int>> now, next; // the round's aggregation to redo on it (its ranks)
  };
  /// A peer was lost in run round `round` (before the next round's steps): agree, regroup, re-plan the
  /// rounds after it, restore the parameters kept after this round's steps. `stop_hint` ends the message
  /// when fewer than --min-workers are left (Error). `time_s`: the run's clock now.
  Recovery recover(Comm& comm, PreActNetImpl& net, const Model& model, int round, double time_s,
                   double timeout_s, const std::string& stop_hint);

  /// Rank 0 after a recovery: events.csv and each segment's schedule.<generation>.json in `dir`.
  void write_files(const std::string& dir) const;

private:
  ElasticOptions options_;
  std::vector<std::unique_ptr<Schedule>> schedules_; // the original, then one per re-plan
  std::vector<std::string> hashes_;
  std::vector<int> origins_;                         // rank -> original worker
  int generation_ = 0;
  int blocks_ = 0;
  // Per block, the latest run round whose aggregated value this rank holds (-1: the initial weights).
  std::vector<int> fresh_, fresh_kept_;
  std::vector<torch::Tensor> kept_;                  // parameters after this round's local steps
  const Schedule* round_schedule_ = nullptr;         // the schedule the kept round ran by
  std::vector<LostWorker> lost_;
};

} // namespace resist::exec
