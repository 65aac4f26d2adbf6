// ResIST's layer-wise partition: which residual blocks each worker's sub-network holds in a round.
// Faithful to sample_block_indices_with_overlap() of the reference code (dunchen/ResIST_release):
//   1. concatenate fresh random permutations of the P partitionable blocks until there are
//      max(S * min_depth, P) slots;
//   2. every worker gets max(floor(P / S), min_depth) blocks, leftovers one each to the first workers;
//   3. worker i takes the next contiguous chunk, duplicates removed (a chunk can span two permutations);
//   4. a worker with fewer than min_depth blocks gets uniformly random extra blocks it lacks (overlap).
#pragma once
#include <cstdint>
#include <vector>

#include "core/model.hpp"

namespace resist {

class Rng;

/// Which residual blocks are partitionable: every block after the first of the listed 1-based stages.
/// Stem, head, and the first (strided / projection) block of every stage are always shared.
struct PartitionPolicy {
  std::vector<int> stages{3}; // the reference partitions stage 3 only
};

/// Model block indices (ascending) that the policy partitions. Throws InputError for a stage the
/// model lacks or a model without residual stages.
std::vector<int> partitionable_blocks(const Model& model, const PartitionPolicy& policy);

struct ResistPartition {
  std::vector<int> partitionable;              // model block indices, ascending (P of them)
  std::vector<std::vector<int>> worker_blocks; // per worker: model block indices held, ascending

  int workers() const { return static_cast<int>(worker_blocks.size()); }
  /// For each partitionable block (same order as `partitionable`): the workers holding it, ascending.
  std::vector<std::vector<int>> holders() const;
  /// Sum over workers of blocks held (22 / 24 / 32 for the paper's S = 2 / 4 / 8 runs).
  int slots() const;
  /// True when some block is held by more than one worker.
  bool has_overlap() const;
  /// Whether `worker` holds model block `block` (shared blocks: always true).
  bool holds(int worker, int block) const;
};

/// Throws InputError when S workers with this minimum depth cannot be formed from P blocks.
void check_resist_shape(int partitionable_count, int workers, int min_depth);

/// One round's partition drawn from `rng` (the reference algorithm above).
ResistPartition sample_resist_partition(const std::vector<int>& partitionable, int workers, int min_depth, Rng& rng);

/// The partition of round `round` of a run: its own generator, derived from (seed, round), so any
/// round can be computed alone and every rank and the simulator derive the same one.
ResistPartition resist_partition_for_round(const std::vector<int>& partitionable, int workers, int min_depth,
                                           std::uint64_t seed, int round);

/// Every worker holds every block (local SGD, data parallel).
ResistPartition full_partition(const std::vector<int>& partitionable, int workers);

/// Residual-branch scale at evaluation for partitioned blocks: the probability that a block is present
/// in a sub-network, 1/S with min depth 0, else max(1/S, min_depth / P) (reference prepare_eval()).
double resist_eval_scale(int partitionable_count, int workers, int min_depth);

} // namespace resist
