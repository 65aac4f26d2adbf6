#include "core/schedule_check.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h> // fmt::join (in format.h before fmt 11)

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/model_zoo.hpp"

namespace resist {
namespace {

std::vector<int> expected_partitionable(const Model& model, const RunConfig& c) {
  if (c.protocol == Protocol::resist) return partitionable_blocks(model, c.partition);
  std::vector<int> out;
  for (std::size_t i = 0; i < model.blocks.size(); ++i)
    if (model.blocks[i].stage > 0) out.push_back(static_cast<int>(i));
  return out;
}

std::int64_t expected_total_steps(const RunConfig& c, int steps_per_epoch) {
  if (c.rounds > 0) return std::int64_t{c.rounds} * c.local_steps;
  return static_cast<std::int64_t>(std::ceil(epochs_per_worker(c) * steps_per_epoch - 1e-9));
}

void check_lr(const Round& r) {
  if (r.lr.empty()) throw InputError(fmt::format("round {}: no learning rate", r.round));
  if (r.lr.front().first_step != 0)
    throw InputError(fmt::format("round {}: the learning rate starts at step {}, not 0", r.round, r.lr.front().first_step));
  for (std::size_t i = 0; i < r.lr.size(); ++i) {
    const LrSegment& seg = r.lr[i];
    if (!std::isfinite(seg.lr) || !(seg.lr > 0))
      throw InputError(fmt::format("round {}: learning rate {} must be finite and > 0", r.round, seg.lr));
    if (seg.first_step >= r.steps || (i > 0 && seg.first_step <= r.lr[i - 1].first_step))
      throw InputError(fmt::format("round {}: learning-rate step {} is out of order or beyond the round's {} steps",
                                   r.round, seg.first_step, r.steps));
  }
}

void check_workers(const Schedule& s, const Round& r) {
  const RunConfig& c = s.config;
  const Protocol protocol = r.protocol; // checked against the run's phases before
  if (static_cast<int>(r.workers.size()) != c.workers)
    throw InputError(fmt::format("round {}: {} workers listed, the config has {}", r.round, r.workers.size(), c.workers));
  std::vector<int> held(s.partitionable.size(), 0);
  for (std::size_t w = 0; w < r.workers.size(); ++w) {
    const WorkerRound& wr = r.workers[w];
    if (wr.worker != static_cast<int>(w))
      throw InputError(fmt::format("round {}: entry {} is worker {}, expected {}", r.round, w, wr.worker, w));
    for (std::size_t i = 0; i < wr.blocks.size(); ++i) {
      const int b = wr.blocks[i];
      const auto it = std::lower_bound(s.partitionable.begin(), s.partitionable.end(), b);
      if (it == s.partitionable.end() || *it != b)
        throw InputError(fmt::format("round {}, worker {}: block {} is not a partitionable block of {}", r.round, w,
                                     b, s.model));
      if (i > 0 && b <= wr.blocks[i - 1])
        throw InputError(fmt::format("round {}, worker {}: blocks are not ascending and distinct at {}", r.round, w, b));
      ++held[static_cast<std::size_t>(it - s.partitionable.begin())];
    }
    if (protocol == Protocol::resist) {
      if (wr.blocks.empty() || static_cast<int>(wr.blocks.size()) < c.min_depth)
        throw InputError(fmt::format("round {}, worker {}: holds {} blocks, fewer than the minimum depth {} (and 1)",
                                     r.round, w, wr.blocks.size(), c.min_depth));
    } else if (protocol == Protocol::layer_parallel) {
      if (wr.blocks != layer_parallel_partition(LayerParallelCut{s.module_first_block}, s.partitionable).worker_blocks[w])
        throw InputError(fmt::format("round {}, worker {}: the blocks are not module {} of the cut", r.round, w, w));
    } else if (wr.blocks != s.partitionable) {
      throw InputError(fmt::format("round {}, worker {}: under {} every worker holds every block", r.round, w,
                                   to_string(protocol)));
    }
  }
  for (std::size_t i = 0; i < held.size(); ++i)
    if (held[i] == 0)
      throw InputError(fmt::format("round {}: block {} is held by no worker", r.round, s.partitionable[i]));
}

} // namespace

void check_schedule(const Schedule& s) {
  const RunConfig& c = s.config;
  validate(c);
  const Model model = make_model(c.model, c.model_options);
  if (s.model != model.name)
    throw InputError(fmt::format("model '{}' is not the config's model '{}'", s.model, model.name));
  if (s.params != model.params())
    throw InputError(fmt::format("model params {} differ from {}'s {}", s.params, model.name, model.params()));
  if (s.partitionable != expected_partitionable(model, c))
    throw InputError(fmt::format("partitionable blocks differ from what {} and --partition-stages give", model.name));
  const double scale = c.protocol == Protocol::resist
                           ? resist_eval_scale(static_cast<int>(s.partitionable.size()), c.workers, c.min_depth)
                           : 1.0;
  if (!std::isfinite(s.eval_scale) || std::abs(s.eval_scale - scale) > 1e-9)
    throw InputError(fmt::format("eval_scale {} differs from {} for this config", s.eval_scale, scale));
  const std::vector<int> cut =
      c.protocol == Protocol::layer_parallel ? layer_parallel_cut(model, c.workers).first_block : std::vector<int>{};
  if (s.module_first_block != cut)
    throw InputError(fmt::format("module cut [{}] differs from the balanced cut [{}] of {} into {} modules",
                                 fmt::join(s.module_first_block, ","), fmt::join(cut, ","), model.name, c.workers));
  const std::int64_t train_size = c.train_size > 0 ? c.train_size : dataset_train_size(c.dataset);
  if (s.train_size != train_size)
    throw InputError(fmt::format("train_size {} differs from the config's {}", s.train_size, train_size));
  if (s.steps_per_epoch != (train_size + c.batch - 1) / c.batch)
    throw InputError(fmt::format("steps_per_epoch {} differs from ceil({} / {})", s.steps_per_epoch, train_size, c.batch));
  if (s.total_steps != expected_total_steps(c, s.steps_per_epoch))
    throw InputError(fmt::format("total_steps {} differs from the config's {}", s.total_steps,
                                 expected_total_steps(c, s.steps_per_epoch)));
  const ScheduleSegment& g = s.segment;
  const std::int64_t n_rounds = (s.total_steps + c.local_steps - 1) / c.local_steps - g.first_round;
  if (g.first_round < 0 || n_rounds < 1)
    throw InputError(fmt::format("segment first_round {} leaves no round of the run", g.first_round));
  if (g.is_continuation()) {
    if (g.first_round < 1) throw InputError("segment: a continuation starts after round 0");
    if (static_cast<int>(g.worker_origin.size()) != c.workers)
      throw InputError(fmt::format("segment: {} worker origins for {} workers", g.worker_origin.size(), c.workers));
    std::vector<int> sorted = g.worker_origin;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
      throw InputError("segment: a worker origin is listed twice");
  } else if (g.first_round != 0 || !g.worker_origin.empty()) {
    throw InputError("segment: first_round and worker_origin need a parent_hash");
  }
  if (static_cast<std::int64_t>(s.rounds.size()) != n_rounds)
    throw InputError(fmt::format("{} rounds listed, the config gives {}", s.rounds.size(), n_rounds));
  const int warmup = local_sgd_warmup_rounds(c, s.steps_per_epoch);
  if (warmup >= g.first_round + n_rounds)
    throw InputError(fmt::format("{} local SGD warm-up rounds leave none of the run's {} rounds to ResIST", warmup,
                                 g.first_round + n_rounds));
  std::int64_t step = std::int64_t{g.first_round} * c.local_steps;
  for (std::size_t i = 0; i < s.rounds.size(); ++i) {
    const Round& r = s.rounds[i];
    if (r.round != static_cast<int>(i)) throw InputError(fmt::format("round entry {} is numbered {}", i, r.round));
    if (r.first_step != step)
      throw InputError(fmt::format("round {}: first_step {}, expected {}", r.round, r.first_step, step));
    const std::int64_t want = std::min<std::int64_t>(c.local_steps, s.total_steps - step);
    if (r.steps != want) throw InputError(fmt::format("round {}: steps {}, expected {}", r.round, r.steps, want));
    const Protocol want_protocol = s.run_round(static_cast<int>(i)) < warmup ? Protocol::local_sgd : c.protocol;
    if (r.protocol != want_protocol)
      throw InputError(fmt::format("round {}: protocol {}, but the config gives {} (local SGD warm-up: {} rounds)",
                                   r.round, to_string(r.protocol), to_string(want_protocol), warmup));
    check_lr(r);
    check_workers(s, r);
    step += r.steps;
  }
}

} // namespace resist
