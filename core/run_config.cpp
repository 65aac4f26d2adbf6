#include "core/run_config.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/model_zoo.hpp"

namespace resist {

std::int64_t dataset_train_size(const std::string& dataset) {
  if (dataset == "cifar10" || dataset == "cifar100") return 50000;
  if (dataset == "svhn") return 73257;
  if (dataset == "fashion_mnist") return 60000;
  if (dataset == "synthetic") return 4096;
  throw InputError(fmt::format("unknown data set '{}' (known: cifar10, cifar100, svhn, fashion_mnist, synthetic)",
                               dataset));
}

void validate(const RunConfig& c) {
  const Model model = make_model(c.model, c.model_options); // throws for an unknown model
  if (c.workers < 1) throw InputError(fmt::format("--workers {}: need at least 1 worker", c.workers));
  if (c.local_steps < 1) throw InputError(fmt::format("--local-steps {}: must be >= 1", c.local_steps));
  if (c.batch < 1) throw InputError(fmt::format("--batch {}: must be >= 1", c.batch));
  if (!(c.lr > 0)) throw InputError(fmt::format("--lr {}: must be > 0", c.lr));
  for (double f : c.lr_decay_at)
    if (!(f > 0 && f < 1)) throw InputError(fmt::format("--lr-decay-at {}: fractions must be in (0, 1)", f));
  if (!(c.lr_decay_factor > 0 && c.lr_decay_factor <= 1))
    throw InputError(fmt::format("--lr-decay-factor {}: must be in (0, 1]", c.lr_decay_factor));
  if (c.momentum < 0 || c.momentum >= 1) throw InputError(fmt::format("--momentum {}: must be in [0, 1)", c.momentum));
  if (c.weight_decay < 0) throw InputError(fmt::format("--weight-decay {}: must be >= 0", c.weight_decay));
  if (c.rounds < 0) throw InputError(fmt::format("--rounds {}: must be >= 0", c.rounds));
  if (c.rounds == 0 && !(c.epochs > 0))
    throw InputError(fmt::format("--epochs {}: must be > 0 (or give --rounds)", c.epochs));
  if (c.train_size < 0) throw InputError(fmt::format("--train-size {}: must be > 0", c.train_size));
  dataset_train_size(c.dataset);
  switch (c.protocol) {
  case Protocol::resist:
    check_resist_shape(static_cast<int>(partitionable_blocks(model, c.partition).size()), c.workers, c.min_depth);
    break;
  case Protocol::ist: check_ist_shape(model, c.workers); break;
  case Protocol::local_sgd:
  case Protocol::data_parallel: break;
  }
}

nlohmann::json to_json(const RunConfig& c) {
  return {
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
}

RunConfig run_config_from_json(const nlohmann::json& j) {
  try {
    RunConfig c;
    c.model = j.at("model").get<std::string>();
    c.model_options.in_channels = j.at("in_channels").get<int>();
    c.model_options.image_size = j.at("image_size").get<int>();
    c.model_options.classes = j.at("classes").get<int>();
    c.protocol = parse_protocol(j.at("protocol").get<std::string>());
    c.workers = j.at("workers").get<int>();
    c.min_depth = j.at("min_depth").get<int>();
    c.partition.stages = j.at("partition_stages").get<std::vector<int>>();
    c.local_steps = j.at("local_steps").get<int>();
    c.batch = j.at("batch").get<int>();
    c.lr = j.at("lr").get<double>();
    c.lr_decay_at = j.at("lr_decay_at").get<std::vector<double>>();
    c.lr_decay_factor = j.at("lr_decay_factor").get<double>();
    c.momentum = j.at("momentum").get<double>();
    c.weight_decay = j.at("weight_decay").get<double>();
    c.seed = j.at("seed").get<std::uint64_t>();
    c.rounds = j.at("rounds").get<int>();
    c.epochs = j.at("epochs").get<double>();
    c.train_size = j.at("train_size").get<std::int64_t>();
    c.dataset = j.at("dataset").get<std::string>();
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("run config: {}", e.what()));
  }
}

} // namespace resist
