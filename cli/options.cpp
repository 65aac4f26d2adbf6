#include "cli/options.hpp"

#include "cli/config_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/number.hpp"

namespace resist::cli {

void add_model_options(CLI::App& app, std::string& model, ModelOptions& options) {
  app.add_option("--model", model, "Network (resist model --list shows all)")->capture_default_str();
  app.add_option("--in-channels", options.in_channels, "Input channels (0 = the model's default)")
      ->capture_default_str();
  app.add_option("--image-size", options.image_size, "Input height = width in pixels (0 = the model's default)")
      ->capture_default_str();
  app.add_option("--classes", options.classes, "Output classes (0 = the model's default)")->capture_default_str();
}

void add_training_options(CLI::App& app, RunConfig& c) {
  app.add_option("--partition-stages", c.partition.stages,
                 "1-based stages whose blocks after the first are partitioned")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--local-steps,-l", c.local_steps, "Local SGD steps between synchronizations")->capture_default_str();
  app.add_option("--batch", c.batch, "Images per worker per step")->capture_default_str();
  app.add_option("--lr", c.lr, "Learning rate")->capture_default_str();
  app.add_option("--lr-decay-at", c.lr_decay_at, "Fractions of the epochs after which the lr decays")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--lr-decay-factor", c.lr_decay_factor, "Multiplier at each decay point")->capture_default_str();
  app.add_option("--lr-decay-epochs", c.lr_decay_epochs,
                 "Epochs (per worker) after which the lr decays, e.g. 30,60,80 (replaces --lr-decay-at)")
      ->delimiter(',');
  app.add_option("--lr-schedule", c.lr_shape, "step (decays by --lr-decay-at/--lr-decay-epochs) or cosine (to --lr-min)")
      ->transform(CLI::Validator(
          [](std::string& name) -> std::string { // core's names and message; CLI11 then reads the enum's number
            try {
              name = std::to_string(static_cast<int>(parse_lr_shape(name)));
            } catch (const InputError& e) {
              return e.what();
            }
            return "";
          },
          ""))
      ->default_str("step");
  app.add_option("--lr-min", c.lr_min, "cosine: the learning rate at the end of the run")->capture_default_str();
  app.add_option("--lr-warmup-epochs", c.lr_warmup_epochs,
                 "Linear warm-up over these epochs (per worker) from lr/steps to lr, before the schedule")
      ->capture_default_str();
  app.add_option("--momentum", c.momentum, "SGD momentum (reset every round, as the reference; ist: plain SGD, as IST's reference)")
      ->capture_default_str();
  app.add_option("--weight-decay", c.weight_decay, "SGD weight decay (ist: none, as IST's reference)")->capture_default_str();
  app.add_option("--seed", c.seed, "Seed of every random choice (partitions, data order, init)")
      ->capture_default_str();
  auto* rounds = app.add_option("--rounds", c.rounds, "Run length in rounds (instead of --epochs)");
  auto* epochs = app.add_option("--epochs", c.epochs, "Epochs per worker (each worker sees the whole train set)")
                     ->capture_default_str()
                     ->excludes(rounds);
  app.add_option("--global-epochs", c.global_epochs,
                 "Run length in epochs of all workers' images together (epochs per worker = this / workers), so "
                 "protocols and worker counts compare at equal data")
      ->excludes(rounds)
      ->excludes(epochs);
  auto* warm_rounds = app.add_option("--local-sgd-warmup-rounds", c.local_sgd_warmup_rounds,
                                     "resist: the first K rounds are local SGD rounds (every worker trains and "
                                     "averages the full model), then ResIST, as the paper ran ImageNet");
  app.add_option("--local-sgd-warmup-epochs", c.local_sgd_warmup_epochs,
                 "resist: a local SGD warm-up over the rounds covering these epochs (per worker), then ResIST")
      ->excludes(warm_rounds);
  app.add_option("--train-size", c.train_size, "Images per epoch (0 = the data set's)")->capture_default_str();
  app.add_option("--dataset", c.dataset, "cifar10, cifar100, svhn, fashion_mnist, synthetic or imagefolder (JPEG/PNG in DIR/train/CLASS/: train and profile scan --data-dir, other commands need --train-size)")->capture_default_str();
  // layer_parallel is a reconstruction from the AuxNet paper's abstract (core/layer_parallel.hpp).
  app.add_option("--lp-method", c.layer_parallel.method,
                 "layer_parallel (a reconstruction): local losses by penalty or al (augmented Lagrangian)")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, LpMethod>{{"penalty", LpMethod::penalty}, {"al", LpMethod::augmented_lagrangian}}))
      ->default_str("penalty");
  app.add_option("--lp-beta", c.layer_parallel.beta, "layer_parallel (a reconstruction): penalty weight beta")
      ->capture_default_str();
  app.add_option("--lp-aux-width", c.layer_parallel.aux_width,
                 "layer_parallel (a reconstruction): channels of the AuxNet's hidden layer")
      ->capture_default_str();
}

void add_run_options(CLI::App& app, RunConfig& c, std::string& protocol) {
  add_model_options(app, c.model, c.model_options);
  app.add_option("--protocol", protocol, "resist, local_sgd, data_parallel, ist or layer_parallel (a reconstruction of AuxNet layer-parallel training)")->capture_default_str();
  app.add_option("--workers,-S", c.workers, "Workers S (one sub-network each)")->capture_default_str();
  app.add_option("--min-depth", c.min_depth, "ResIST minimum partitioned blocks per sub-network")
      ->capture_default_str();
  add_training_options(app, c);
}

void check_protocol_options(const CLI::App& app, const std::vector<std::string>& protocols) {
  std::vector<Protocol> chosen;
  for (const auto& name : protocols) chosen.push_back(parse_protocol(name));
  const std::pair<const char*, Protocol> only[] = {{"--lp-method", Protocol::layer_parallel},
                                                   {"--lp-beta", Protocol::layer_parallel},
                                                   {"--lp-aux-width", Protocol::layer_parallel},
                                                   {"--min-depth", Protocol::resist},
                                                   {"--local-sgd-warmup-rounds", Protocol::resist},
                                                   {"--local-sgd-warmup-epochs", Protocol::resist}};
  for (const auto& [name, protocol] : only) {
    const CLI::Option* opt = app.get_option_no_throw(name);
    if (!opt || opt->count() == 0 || std::find(chosen.begin(), chosen.end(), protocol) != chosen.end()) continue;
    std::string given;
    for (Protocol p : chosen) given += (given.empty() ? "" : ",") + std::string(to_string(p));
    throw InputError(fmt::format("{} applies to --protocol {} only, not {}", name, to_string(protocol), given));
  }
}

void add_format_option(CLI::App& app, std::string& format) {
  app.add_option("--format", format, "Output: table (people), csv or json (scripts)")->capture_default_str();
}

void add_config_option(CLI::App& top) {
  top.set_config("--config", "", "TOML or JSON file whose keys (long option names) stand in for flags")
      ->check(CLI::Validator(
          [](std::string& path) -> std::string {
            try {
              check_input_file(path, "config file"); // a FIFO would block CLI11's reader forever
            } catch (const InputError& e) {
              return e.what();
            }
            return "";
          },
          ""));
  top.config_formatter(std::make_shared<StrictConfig>(&top));
  top.allow_config_extras(CLI::config_extras_mode::error);
  top.fallthrough();
}

namespace {

// CLI11 converts numbers with strtod/strtoll: "inf" and "nan" pass, "-1" wraps an unsigned seed to
// 2^64 - 1. Every numeric option's text goes through core's number parser first instead.
CLI::Validator number_check(const std::string& type) {
  return CLI::Validator(
      [type](std::string& text) -> std::string {
        try {
          if (type == "UINT") parse_uint64(text, "value");
          else if (type == "INT") parse_int(text, "value");
          else parse_double(text, "value");
        } catch (const InputError& e) {
          return e.what();
        }
        return "";
      },
      "");
}

} // namespace

void add_number_checks(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    const std::string type = opt->get_type_name();
    if (opt->get_type_size() != 0 && (type == "INT" || type == "UINT" || type == "FLOAT"))
      opt->check(number_check(type));
  }
  for (CLI::App* sub : app.get_subcommands({})) add_number_checks(*sub);
}

void print_table(const Table& table, Format format) {
  switch (format) {
  case Format::table: std::cout << table.to_text(); break;
  case Format::csv: std::cout << table.to_csv(); break;
  case Format::json: std::cout << table.to_json().dump(2) << "\n"; break;
  }
}

std::vector<std::string> own_argv() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> argv;
  std::string cur;
  for (char ch : all) {
    if (ch == '\0') {
      argv.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  return argv;
}

std::map<std::string, double> parse_platform_params(const std::vector<std::string>& items) {
  std::map<std::string, double> out;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InputError(fmt::format("--platform-param '{}': expected NAME=VALUE, e.g. ddp_step_cv=0.02", item));
    out[item.substr(0, eq)] = parse_double(item.substr(eq + 1), fmt::format("--platform-param {}", item.substr(0, eq)));
  }
  return out;
}

} // namespace resist::cli
