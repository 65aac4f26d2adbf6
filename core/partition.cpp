#include "core/partition.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace resist {

std::vector<int> partitionable_blocks(const Model& model, const PartitionPolicy& policy) {
  if (model.is_mlp() || model.num_stages() == 0)
    throw InputError(fmt::format("model {} has no residual stages to partition (ResIST needs a ResNet)", model.name));
  if (policy.stages.empty()) throw InputError("--partition-stages is empty: name at least one stage");
  for (int s : policy.stages)
    if (s < 1 || s > model.num_stages())
      throw InputError(fmt::format("--partition-stages {}: model {} has stages 1..{}", s, model.name,
                                   model.num_stages()));
  std::vector<int> out;
  for (std::size_t i = 0; i < model.blocks.size(); ++i) {
    const Block& b = model.blocks[i];
    if (b.stage > 0 && b.index > 0 && std::count(policy.stages.begin(), policy.stages.end(), b.stage))
      out.push_back(static_cast<int>(i));
  }
  if (out.empty()) throw InputError(fmt::format("model {}: the chosen stages have no partitionable blocks", model.name));
  return out;
}

std::vector<std::vector<int>> ResistPartition::holders() const {
  std::vector<std::vector<int>> h(partitionable.size());
  for (int w = 0; w < workers(); ++w)
    for (int b : worker_blocks[w]) {
      auto it = std::lower_bound(partitionable.begin(), partitionable.end(), b);
      h[static_cast<std::size_t>(it - partitionable.begin())].push_back(w);
    }
  return h;
}

int ResistPartition::slots() const {
  int n = 0;
  for (const auto& b : worker_blocks) n += static_cast<int>(b.size());
  return n;
}

bool ResistPartition::has_overlap() const {
  for (const auto& h : holders())
    if (h.size() > 1) return true;
  return false;
}

bool ResistPartition::holds(int worker, int block) const {
  if (!std::binary_search(partitionable.begin(), partitionable.end(), block)) return true;
  const auto& mine = worker_blocks.at(static_cast<std::size_t>(worker));
  return std::binary_search(mine.begin(), mine.end(), block);
}

void check_resist_shape(int partitionable_count, int workers, int min_depth) {
  const int p = partitionable_count;
  if (workers < 1) throw InputError(fmt::format("--workers {}: need at least 1 worker", workers));
  if (min_depth < 0) throw InputError(fmt::format("--min-depth {}: must be >= 0", min_depth));
  if (min_depth > p)
    throw InputError(fmt::format("--min-depth {} exceeds the {} partitionable blocks", min_depth, p));
  if (min_depth == 0 && workers > p)
    throw InputError(fmt::format("--workers {} exceeds the {} partitionable blocks: with --min-depth 0 some "
                                 "sub-networks would be empty (a minimum depth >= 1 allows overlap)",
                                 workers, p));
}

ResistPartition sample_resist_partition(const std::vector<int>& partitionable, int workers, int min_depth, Rng& rng) {
  const int p = static_cast<int>(partitionable.size());
  check_resist_shape(p, workers, min_depth);
  // 1. enough permutations for max(S * min, P) slots
  std::vector<int> perm;
  for (long total = std::max<long>(long{workers} * min_depth, p); total > 0; total -= p) {
    std::vector<int> fresh = rng.permutation(p);
    perm.insert(perm.end(), fresh.begin(), fresh.end());
  }
  // 2. chunk sizes
  const int per_worker = std::max(p / workers, min_depth);
  std::vector<int> sizes(static_cast<std::size_t>(workers), per_worker);
  for (int i = 0; i < p - per_worker * workers; ++i) sizes[static_cast<std::size_t>(i)] += 1;
  // 3. contiguous chunks, deduplicated; 4. pad to the minimum depth
  ResistPartition out;
  out.partitionable = partitionable;
  out.worker_blocks.resize(static_cast<std::size_t>(workers));
  std::size_t start = 0;
  for (int w = 0; w < workers; ++w) {
    std::vector<char> have(static_cast<std::size_t>(p), 0);
    std::vector<int> mine;
    for (int k = 0; k < sizes[static_cast<std::size_t>(w)]; ++k) {
      const int pos = perm[start + static_cast<std::size_t>(k)];
      if (!have[static_cast<std::size_t>(pos)]) mine.push_back(pos);
      have[static_cast<std::size_t>(pos)] = 1;
    }
    start += static_cast<std::size_t>(sizes[static_cast<std::size_t>(w)]);
    while (static_cast<int>(mine.size()) < min_depth) {
      const int pos = static_cast<int>(rng.uniform_below(static_cast<std::uint64_t>(p)));
      if (!have[static_cast<std::size_t>(pos)]) {
        have[static_cast<std::size_t>(pos)] = 1;
        mine.push_back(pos);
      }
    }
    for (int& pos : mine) pos = partitionable[static_cast<std::size_t>(pos)];
    std::sort(mine.begin(), mine.end());
    out.worker_blocks[static_cast<std::size_t>(w)] = std::move(mine);
  }
  return out;
}

ResistPartition resist_partition_for_round(const std::vector<int>& partitionable, int workers, int min_depth,
                                           std::uint64_t seed, int round) {
  Rng rng(derive_seed(seed, Stream::partition, static_cast<std::uint64_t>(round)));
  return sample_resist_partition(partitionable, workers, min_depth, rng);
}

ResistPartition full_partition(const std::vector<int>& partitionable, int workers) {
  if (workers < 1) throw InputError(fmt::format("--workers {}: need at least 1 worker", workers));
  ResistPartition out;
  out.partitionable = partitionable;
  out.worker_blocks.assign(static_cast<std::size_t>(workers), partitionable);
  return out;
}

double resist_eval_scale(int partitionable_count, int workers, int min_depth) {
  const double inv = 1.0 / workers;
  if (min_depth == 0) return inv;
  return std::max(inv, static_cast<double>(min_depth) / partitionable_count);
}

} // namespace resist
