#include "core/run_config.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/json_number.hpp"
#include "core/number.hpp"
#include "core/model_zoo.hpp"

namespace resist {

namespace {
void check_dataset_name(const std::string& dataset) {
  for (const char* known : {"cifar10", "cifar100", "svhn", "fashion_mnist", "synthetic", "imagefolder"})
    if (dataset == known) return;
  throw InputError(fmt::format(
      "unknown data set '{}' (known: cifar10, cifar100, svhn, fashion_mnist, synthetic, imagefolder)", dataset));
}
} // namespace

std::int64_t dataset_train_size(const std::string& dataset) {
  check_dataset_name(dataset);
  if (dataset == "cifar10" || dataset == "cifar100") return 50000;
  if (dataset == "svhn") return 73257;
  if (dataset == "fashion_mnist") return 60000;
  if (dataset == "synthetic") return 4096;
  // imagefolder: its size is the folder's, which core cannot see; resist train scans it and sets train_size.
  throw InputError("--dataset imagefolder: the training set's size comes from scanning its folder (resist train "
                   "and profile do it from --data-dir); elsewhere give it with --train-size N");
}

const char* to_string(LrShape shape) { return shape == LrShape::cosine ? "cosine" : "step"; }

LrShape parse_lr_shape(const std::string& name) {
  if (name == "step") return LrShape::step;
  if (name == "cosine") return LrShape::cosine;
  throw InputError(fmt::format("learning-rate schedule '{}' is not step or cosine", name));
}

double epochs_per_worker(const RunConfig& c) {
  return c.global_epochs > 0 ? c.global_epochs / c.workers : c.epochs;
}

std::string epochs_convention(const RunConfig& c, double epochs_per_worker) {
  return fmt::format("{:g} epochs per worker (= {:g} global epochs: the images of all {} workers counted)",
                     epochs_per_worker, epochs_per_worker * c.workers, c.workers);
}

void validate(const RunConfig& c) {
  // Ranges first: the model is built from these numbers, so they must be sane before make_model.
  check_number(c.model_options.in_channels, "--in-channels", 0, limits::kInChannels);
  check_number(c.model_options.image_size, "--image-size", 0, limits::kImageSize);
  check_number(c.model_options.classes, "--classes", 0, limits::kClasses);
  const Model model = make_model(c.model, c.model_options); // throws for an unknown model
  check_number(c.workers, "--workers", 1, limits::kWorkers);
  check_number(c.local_steps, "--local-steps", 1, limits::kLocalSteps);
  check_number(c.batch, "--batch", 1, limits::kBatch);
  check_number(c.lr, "--lr", 0, std::numeric_limits<double>::max());
  if (!(c.lr > 0)) throw InputError(fmt::format("--lr {}: must be > 0", c.lr));
  for (double f : c.lr_decay_at)
    if (!(f > 0 && f < 1)) throw InputError(fmt::format("--lr-decay-at {}: fractions must be in (0, 1)", f));
  for (std::size_t i = 0; i < c.lr_decay_epochs.size(); ++i) {
    check_number(c.lr_decay_epochs[i], "--lr-decay-epochs", 0, limits::kEpochs);
    if (!(c.lr_decay_epochs[i] > 0) || (i > 0 && !(c.lr_decay_epochs[i] > c.lr_decay_epochs[i - 1])))
      throw InputError(fmt::format("--lr-decay-epochs {}: epochs must be > 0 and ascending", c.lr_decay_epochs[i]));
  }
  if (c.lr_shape == LrShape::cosine && !c.lr_decay_epochs.empty())
    throw InputError("--lr-decay-epochs: step decays do not apply under --lr-schedule cosine");
  check_number(c.lr_min, "--lr-min", 0, std::numeric_limits<double>::max());
  if (!(c.lr_min < c.lr)) throw InputError(fmt::format("--lr-min {}: must be below --lr {}", c.lr_min, c.lr));
  check_number(c.lr_warmup_epochs, "--lr-warmup-epochs", 0, limits::kEpochs);
  if (!(c.lr_decay_factor > 0 && c.lr_decay_factor <= 1))
    throw InputError(fmt::format("--lr-decay-factor {}: must be in (0, 1]", c.lr_decay_factor));
  if (!(c.momentum >= 0 && c.momentum < 1)) throw InputError(fmt::format("--momentum {}: must be in [0, 1)", c.momentum));
  check_number(c.weight_decay, "--weight-decay", 0, 1);
  check_number(c.rounds, "--rounds", 0, limits::kRounds);
  check_number(c.global_epochs, "--global-epochs", 0, limits::kEpochs * limits::kWorkers);
  if (c.rounds > 0 && c.global_epochs > 0) throw InputError("--global-epochs and --rounds: give one run length");
  if (c.rounds == 0 && c.global_epochs == 0) {
    check_number(c.epochs, "--epochs", 0, limits::kEpochs);
    if (!(c.epochs > 0)) throw InputError(fmt::format("--epochs {}: must be > 0 (or give --rounds)", c.epochs));
  }
  check_number(c.local_sgd_warmup_rounds, "--local-sgd-warmup-rounds", 0, limits::kRounds);
  check_number(c.local_sgd_warmup_epochs, "--local-sgd-warmup-epochs", 0, limits::kEpochs);
  if (c.local_sgd_warmup_rounds > 0 && c.local_sgd_warmup_epochs > 0)
    throw InputError("--local-sgd-warmup-rounds and --local-sgd-warmup-epochs: give one warm-up length");
  if ((c.local_sgd_warmup_rounds > 0 || c.local_sgd_warmup_epochs > 0) && c.protocol != Protocol::resist)
    throw InputError(fmt::format("--local-sgd-warmup-{} {}: a local SGD warm-up precedes ResIST only, not protocol {}",
                                 c.local_sgd_warmup_rounds > 0 ? "rounds" : "epochs",
                                 c.local_sgd_warmup_rounds > 0 ? fmt::format("{}", c.local_sgd_warmup_rounds)
                                                               : fmt::format("{:g}", c.local_sgd_warmup_epochs),
                                 to_string(c.protocol)));
  check_number(static_cast<double>(c.train_size), "--train-size", 0, static_cast<double>(limits::kTrainSize));
  if (c.train_size == 0) dataset_train_size(c.dataset); // imagefolder needs its size here
  else check_dataset_name(c.dataset);
  switch (c.protocol) {
  case Protocol::resist:
    check_resist_shape(static_cast<int>(partitionable_blocks(model, c.partition).size()), c.workers, c.min_depth);
    break;
  case Protocol::ist: check_ist_shape(model, c.workers); break;
  case Protocol::layer_parallel:
    check_layer_parallel_shape(model, c.workers);
    check_number(c.layer_parallel.beta, "--lp-beta", 0, 1e9);
    if (!(c.layer_parallel.beta > 0)) throw InputError(fmt::format("--lp-beta {}: must be > 0", c.layer_parallel.beta));
    check_number(c.layer_parallel.aux_width, "--lp-aux-width", 1, limits::kInChannels);
    break;
  case Protocol::local_sgd:
  case Protocol::data_parallel: break;
  }
}

nlohmann::json to_json(const RunConfig& c) {
  nlohmann::json j = {
      {"model", c.model},
      {"in_channels", c.model_options.in_channels},
      {"image_size", c.model_options.image_size},
      {"classes", c.model_options.classes},
      {"protocol", to_string(c.protocol)},
      {"workers", c.workers},
      {"min_depth", c.min_depth},
      {"partition_stages", c.partition.stages},
      {"local_steps", c.local_steps},
      {"batch", c.batch},
      {"lr", c.lr},
      {"lr_decay_at", c.lr_decay_at},
      {"lr_decay_factor", c.lr_decay_factor},
      {"momentum", c.momentum},
      {"weight_decay", c.weight_decay},
      {"seed", c.seed},
      {"rounds", c.rounds},
      {"epochs", c.epochs},
      {"train_size", c.train_size},
      {"dataset", c.dataset},
  };
  // Only when set, so documents (and schedule hashes) of runs without them stay as they were.
  if (c.lr_shape != LrShape::step) j["lr_schedule"] = to_string(c.lr_shape);
  if (!c.lr_decay_epochs.empty()) j["lr_decay_epochs"] = c.lr_decay_epochs;
  if (c.lr_min != 0) j["lr_min"] = c.lr_min;
  if (c.lr_warmup_epochs != 0) j["lr_warmup_epochs"] = c.lr_warmup_epochs;
  if (c.global_epochs != 0) j["global_epochs"] = c.global_epochs;
  if (c.local_sgd_warmup_rounds != 0) j["local_sgd_warmup_rounds"] = c.local_sgd_warmup_rounds;
  if (c.local_sgd_warmup_epochs != 0) j["local_sgd_warmup_epochs"] = c.local_sgd_warmup_epochs;
  // Only under its protocol, so the other protocols' documents (and schedule hashes) stay as they were.
  if (c.protocol == Protocol::layer_parallel)
    j["layer_parallel"] = {{"method", to_string(c.layer_parallel.method)},
                           {"beta", c.layer_parallel.beta},
                           {"aux_width", c.layer_parallel.aux_width}};
  return j;
}

RunConfig run_config_from_json(const nlohmann::json& j) {
  try {
    constexpr int kMaxInt = std::numeric_limits<int>::max();
    RunConfig c;
    c.model = j.at("model").get<std::string>();
    c.model_options.in_channels = json_int32(j, "in_channels", 0, limits::kInChannels);
    c.model_options.image_size = json_int32(j, "image_size", 0, limits::kImageSize);
    c.model_options.classes = json_int32(j, "classes", 0, limits::kClasses);
    c.protocol = parse_protocol(j.at("protocol").get<std::string>());
    c.workers = json_int32(j, "workers", 1, limits::kWorkers);
    c.min_depth = json_int32(j, "min_depth", 0, kMaxInt);
    c.partition.stages.clear();
    for (const auto& v : j.at("partition_stages")) {
      const nlohmann::json wrap = {{"partition_stages", v}};
      c.partition.stages.push_back(json_int32(wrap, "partition_stages", 1, 64));
    }
    c.local_steps = json_int32(j, "local_steps", 1, limits::kLocalSteps);
    c.batch = json_int32(j, "batch", 1, limits::kBatch);
    c.lr = json_double(j.at("lr"), "lr");
    c.lr_decay_at.clear();
    for (const auto& v : j.at("lr_decay_at")) c.lr_decay_at.push_back(json_double(v, "lr_decay_at"));
    c.lr_decay_factor = json_double(j.at("lr_decay_factor"), "lr_decay_factor");
    if (j.contains("lr_schedule")) c.lr_shape = parse_lr_shape(j.at("lr_schedule").get<std::string>());
    if (j.contains("lr_decay_epochs"))
      for (const auto& v : j.at("lr_decay_epochs")) c.lr_decay_epochs.push_back(json_double(v, "lr_decay_epochs"));
    if (j.contains("lr_min")) c.lr_min = json_double(j.at("lr_min"), "lr_min");
    if (j.contains("global_epochs")) c.global_epochs = json_double(j.at("global_epochs"), "global_epochs");
    if (j.contains("lr_warmup_epochs")) c.lr_warmup_epochs = json_double(j.at("lr_warmup_epochs"), "lr_warmup_epochs");
    if (j.contains("local_sgd_warmup_rounds"))
      c.local_sgd_warmup_rounds = json_int32(j, "local_sgd_warmup_rounds", 0, limits::kRounds);
    if (j.contains("local_sgd_warmup_epochs"))
      c.local_sgd_warmup_epochs = json_double(j.at("local_sgd_warmup_epochs"), "local_sgd_warmup_epochs");
    c.momentum = json_double(j.at("momentum"), "momentum");
    c.weight_decay = json_double(j.at("weight_decay"), "weight_decay");
    c.seed = json_uint64(j, "seed");
    c.rounds = json_int32(j, "rounds", 0, limits::kRounds);
    c.epochs = json_double(j.at("epochs"), "epochs");
    c.train_size = json_int(j, "train_size", 0, limits::kTrainSize);
    c.dataset = j.at("dataset").get<std::string>();
    if (c.protocol == Protocol::layer_parallel) {
      const auto& lp = j.at("layer_parallel");
      c.layer_parallel.method = parse_lp_method(lp.at("method").get<std::string>());
      c.layer_parallel.beta = json_double(lp.at("beta"), "layer_parallel.beta");
      c.layer_parallel.aux_width = json_int32(lp, "aux_width", 1, limits::kInChannels);
    } else if (j.contains("layer_parallel")) {
      throw InputError(fmt::format("layer_parallel options under protocol {}", to_string(c.protocol)));
    }
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("run config: {}", e.what()));
  } catch (const InputError& e) {
    throw InputError(fmt::format("run config: {}", e.what()));
  }
}

} // namespace resist
