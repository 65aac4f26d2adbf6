// How parameters (ResIST, local SGD) and gradients (data parallel) are combined across ranks.
//
// ResIST / local SGD, after round r (one rule covers both: local SGD is "everyone holds everything"):
//   1. group the model's blocks by their holder set H in round r (shared blocks: all ranks);
//   2. one flat buffer per holder set; SUM all-reduce in the set's cached subgroup (world group for
//      all ranks; a singleton set needs none); divide by |H|. All holder sets are issued, then waited;
//   3. deliver each block to round r+1's holders N that do not have it yet: one flat buffer per
//      (source, destination) pair, point to point on the world group; the source is a holder in H
//      (spread round-robin over H).
// Data parallel, every step: gradients in DDP's buckets (reverse layer order, 1 MiB first, 25 MiB cap,
// the buckets core's accounting uses), one all-reduce per bucket, enqueue all, wait all, then scale.
//
// Bytes: the payload rule of core/comm.hpp, counted on the buffers actually handed over: a rank in H
// contributes its buffer (sent); a rank in N takes the result (received), from the all-reduce it took
// part in, from its own copy (singleton H), or from a receive. The bytes on the wire depend on Gloo's
// or NCCL's algorithm and are not what is counted here (Comm counts the c10d hand-overs separately).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/model.hpp"
#include "core/schedule.hpp"
#include "exec/comm.hpp"
#include "exec/net.hpp"

namespace resist::exec {

struct SyncStats {
  std::int64_t bytes_sent = 0;     // payload contributed (core's rule)
  std::int64_t bytes_received = 0; // payload taken (core's rule)
  double group_create_s = 0;       // subgroups created during this call (first use only)
};

class Aggregator {
public:
  Aggregator(Comm& comm, PreActNetImpl& net, const Model& model, const Schedule& schedule);

  /// Ranks holding each model block in round r (ascending); shared blocks: every rank. Rounds past the
  /// schedule are derived the same way (the dispatch after the last round).
  std::vector<std::vector<int>> holders(int round) const;

  /// ResIST / local SGD: average round r's blocks over their holders, deliver to round r+1's holders.
  SyncStats sync_round(int round);
  /// The same two steps for explicit holder sets (ranks per block): average over `now[b]`, deliver to the
  /// ranks of `next[b]` not in it. An elastic run's recovery redoes a round this way on the survivors.
  SyncStats sync(const std::vector<std::vector<int>>& now, const std::vector<std::vector<int>>& next,
                 const std::string& what);
  /// Data parallel: average this step's gradients over all ranks.
  SyncStats allreduce_gradients();
  /// Rank 0 receives every block it lacks a fresh copy of after round r's sync (for evaluation;
  /// not part of the protocol's payload).
  void gather_for_eval(int round);
  /// The same after a sync(now, next).
  void gather_for_eval(const std::vector<std::vector<int>>& now, const std::vector<std::vector<int>>& next,
                       const std::string& what);

private:
  torch::Tensor flatten(const std::vector<int>& blocks) const;
  void unflatten(const torch::Tensor& flat, const std::vector<int>& blocks) const;

  Comm& comm_;
  PreActNetImpl& net_;
  const Model& model_;
  const Schedule& schedule_;
  std::vector<std::vector<torch::Tensor>> buckets_; // data parallel: parameters per gradient bucket
};

} // namespace resist::exec
