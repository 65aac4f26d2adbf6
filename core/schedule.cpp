#include "core/schedule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/model_zoo.hpp"
#include "core/rng.hpp"

namespace resist {

double Round::lr_at(int k) const {
  double v = lr.empty() ? 0 : lr.front().lr;
  for (const auto& seg : lr)
    if (seg.first_step <= k) v = seg.lr;
  return v;
}

double lr_for_step(const RunConfig& config, std::int64_t step, int steps_per_epoch, double epochs,
                   std::int64_t total_steps) {
  // Linear warm-up: step k of W gets lr (k + 1) / W (Goyal et al.'s ramp), then the shape takes over.
  const auto warmup = static_cast<std::int64_t>(std::llround(config.lr_warmup_epochs * steps_per_epoch));
  if (step < warmup) return config.lr * static_cast<double>(step + 1) / static_cast<double>(warmup);
  if (config.lr_shape == LrShape::cosine) {
    const double span = static_cast<double>(std::max<std::int64_t>(1, total_steps - warmup));
    const double progress = std::min(1.0, static_cast<double>(step - warmup) / span);
    return config.lr_min + 0.5 * (config.lr - config.lr_min) * (1 + std::cos(M_PI * progress));
  }
  double lr = config.lr;
  if (!config.lr_decay_epochs.empty()) { // decays after chosen epochs: at the boundary step E * steps_per_epoch
    for (double e : config.lr_decay_epochs)
      if (static_cast<double>(step) >= std::ceil(e * steps_per_epoch - 1e-9)) lr *= config.lr_decay_factor;
    return lr;
  }
  for (double f : config.lr_decay_at) {
    const double boundary_epochs = std::floor(epochs * f);
    const std::int64_t boundary = boundary_epochs >= 1
                                      ? static_cast<std::int64_t>(boundary_epochs) * steps_per_epoch
                                      : static_cast<std::int64_t>(std::floor(static_cast<double>(total_steps) * f));
    if (step >= boundary) lr *= config.lr_decay_factor;
  }
  return lr;
}

namespace {

std::vector<int> residual_blocks(const Model& model) {
  std::vector<int> out;
  for (std::size_t i = 0; i < model.blocks.size(); ++i)
    if (model.blocks[i].stage > 0) out.push_back(static_cast<int>(i));
  return out;
}

ResistPartition partition_for(const RunConfig& c, const std::vector<int>& partitionable, int round,
                              int warmup_rounds) {
  if (c.protocol == Protocol::resist && round >= warmup_rounds)
    return resist_partition_for_round(partitionable, c.workers, c.min_depth, c.seed, round);
  if (c.protocol == Protocol::layer_parallel) {
    const Model model = make_model(c.model, c.model_options);
    return layer_parallel_partition(layer_parallel_cut(model, c.workers), partitionable);
  }
  return full_partition(partitionable, c.workers);
}

} // namespace

int local_sgd_warmup_rounds(const RunConfig& c, int steps_per_epoch) {
  if (c.local_sgd_warmup_rounds > 0) return c.local_sgd_warmup_rounds;
  if (!(c.local_sgd_warmup_epochs > 0)) return 0;
  const auto steps = static_cast<std::int64_t>(std::ceil(c.local_sgd_warmup_epochs * steps_per_epoch - 1e-9));
  return static_cast<int>((steps + c.local_steps - 1) / c.local_steps);
}

Protocol round_protocol(const Schedule& schedule, int round) {
  if (round >= 0 && round < static_cast<int>(schedule.rounds.size()))
    return schedule.rounds[static_cast<std::size_t>(round)].protocol;
  return schedule.run_round(round) < local_sgd_warmup_rounds(schedule.config, schedule.steps_per_epoch)
             ? Protocol::local_sgd
             : schedule.config.protocol;
}

double round_eval_scale(const Schedule& schedule, int round) {
  return round_protocol(schedule, round) == Protocol::local_sgd ? 1.0 : schedule.eval_scale;
}

Schedule make_schedule(const RunConfig& config) {
  validate(config);
  const Model model = make_model(config.model, config.model_options);
  Schedule s;
  s.config = config;
  s.model = model.name;
  s.params = model.params();
  if (config.protocol == Protocol::resist) {
    s.partitionable = partitionable_blocks(model, config.partition);
    s.eval_scale = resist_eval_scale(static_cast<int>(s.partitionable.size()), config.workers, config.min_depth);
  } else {
    s.partitionable = residual_blocks(model);
  }
  s.train_size = config.train_size > 0 ? config.train_size : dataset_train_size(config.dataset);
  s.steps_per_epoch = static_cast<int>((s.train_size + config.batch - 1) / config.batch);
  double epochs = epochs_per_worker(config);
  if (config.rounds > 0) {
    s.total_steps = std::int64_t{config.rounds} * config.local_steps;
    epochs = static_cast<double>(s.total_steps) / s.steps_per_epoch;
  } else {
    s.total_steps = static_cast<std::int64_t>(std::ceil(epochs * s.steps_per_epoch - 1e-9));
  }
  if (s.total_steps < 1) throw InputError("the run has no steps: raise --epochs or --rounds");
  const std::int64_t n_rounds = (s.total_steps + config.local_steps - 1) / config.local_steps;
  if (n_rounds > limits::kRounds)
    throw InputError(fmt::format("the run has {} rounds: more than the limit of {} (lower --epochs or raise --local-steps)",
                                 n_rounds, limits::kRounds));
  if (n_rounds * config.workers > limits::kScheduleCells)
    throw InputError(fmt::format("the run has {} rounds x {} workers: more than the limit of {} schedule entries",
                                 n_rounds, config.workers, limits::kScheduleCells));

  const int warmup = local_sgd_warmup_rounds(config, s.steps_per_epoch);
  if (warmup >= n_rounds)
    throw InputError(fmt::format("--local-sgd-warmup-{} {}: {} warm-up rounds leave none of the run's {} rounds to ResIST",
                                 config.local_sgd_warmup_rounds > 0 ? "rounds" : "epochs",
                                 config.local_sgd_warmup_rounds > 0 ? fmt::format("{}", config.local_sgd_warmup_rounds)
                                                                    : fmt::format("{:g}", config.local_sgd_warmup_epochs),
                                 warmup, n_rounds));

  if (config.protocol == Protocol::layer_parallel) s.module_first_block = layer_parallel_cut(model, config.workers).first_block;
  std::vector<std::uint64_t> data_seeds;
  for (int w = 0; w < config.workers; ++w) // layer_parallel: every module sees the same batch, sample by sample
    data_seeds.push_back(derive_seed(config.seed, Stream::data,
                                     config.protocol == Protocol::layer_parallel ? 0 : static_cast<std::uint64_t>(w)));

  const bool lp = config.protocol == Protocol::layer_parallel;
  for (int r = 0; r < n_rounds; ++r) {
    Round round;
    round.round = r;
    round.first_step = std::int64_t{r} * config.local_steps;
    round.steps = static_cast<int>(std::min<std::int64_t>(config.local_steps, s.total_steps - round.first_step));
    round.protocol = r < warmup ? Protocol::local_sgd : config.protocol;
    for (int k = 0; k < round.steps; ++k) {
      const double lr = lr_for_step(config, round.first_step + k, s.steps_per_epoch, epochs, s.total_steps);
      if (round.lr.empty() || round.lr.back().lr != lr) round.lr.push_back({k, lr});
    }
    const ResistPartition part = lp ? layer_parallel_partition(LayerParallelCut{s.module_first_block}, s.partitionable)
                                    : partition_for(config, s.partitionable, r, warmup);
    for (int w = 0; w < config.workers; ++w)
      round.workers.push_back({w, part.worker_blocks[static_cast<std::size_t>(w)], data_seeds[static_cast<std::size_t>(w)]});
    s.rounds.push_back(std::move(round));
  }
  return s;
}

ResistPartition round_partition(const Schedule& schedule, int round) {
  if (round < 0 || round >= static_cast<int>(schedule.rounds.size())) // drawn as the run draws it (segments too)
    return partition_for(schedule.config, schedule.partitionable, schedule.run_round(round),
                         local_sgd_warmup_rounds(schedule.config, schedule.steps_per_epoch));
  ResistPartition p;
  p.partitionable = schedule.partitionable;
  for (const auto& w : schedule.rounds[static_cast<std::size_t>(round)].workers) p.worker_blocks.push_back(w.blocks);
  return p;
}

CommPlan round_comm_plan(const Schedule& schedule, const Model& model, int round) {
  const RunConfig& c = schedule.config;
  const int steps = round < static_cast<int>(schedule.rounds.size())
                        ? schedule.rounds[static_cast<std::size_t>(round)].steps
                        : c.local_steps;
  // A warm-up round averages the full model; the last one's receivers are the first ResIST round's holders.
  if (round_protocol(schedule, round) == Protocol::local_sgd && c.protocol == Protocol::resist &&
      round_protocol(schedule, round + 1) == Protocol::local_sgd)
    return local_sgd_plan(model, c.workers);
  switch (c.protocol) {
  case Protocol::resist: return resist_plan(model, round_partition(schedule, round), round_partition(schedule, round + 1));
  case Protocol::local_sgd: return local_sgd_plan(model, c.workers);
  case Protocol::data_parallel: return data_parallel_plan(model, c.workers, steps);
  case Protocol::ist:
    return ist_plan(model, ist_partition_for_round(model, c.workers, c.seed, schedule.run_round(round)),
                    ist_partition_for_round(model, c.workers, c.seed, schedule.run_round(round) + 1));
  case Protocol::layer_parallel: { // bytes follow the images: an epoch's last batch may be short
    const LayerParallelCut cut{schedule.module_first_block};
    const std::int64_t first = round < static_cast<int>(schedule.rounds.size())
                                   ? schedule.rounds[static_cast<std::size_t>(round)].first_step
                                   : std::int64_t{round} * c.local_steps;
    const std::int64_t last_batch = schedule.train_size - std::int64_t{schedule.steps_per_epoch - 1} * c.batch;
    int short_steps = 0;
    for (std::int64_t k = first; k < first + steps && last_batch < c.batch; ++k)
      if (k % schedule.steps_per_epoch == schedule.steps_per_epoch - 1) ++short_steps;
    CommPlan plan = layer_parallel_plan(model, cut, c.batch, steps - short_steps);
    if (short_steps > 0)
      for (Exchange& e : layer_parallel_plan(model, cut, static_cast<int>(last_batch), short_steps).exchanges)
        plan.exchanges.push_back(std::move(e));
    return plan;
  }
  }
  throw Error("round_comm_plan: unknown protocol");
}

} // namespace resist
