// resist partition: the sub-networks of round r (ResIST blocks, or IST neurons for fully connected nets).
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/ist_partition.hpp"
#include "core/limits.hpp"
#include "core/model_zoo.hpp"
#include "core/number.hpp"
#include "core/partition.hpp"

namespace resist::cli {
namespace {

struct PartitionArgs {
  RunConfig config;
  std::string protocol = "resist";
  int round = 0;
  std::string format = "table";
};

std::string join_names(const Model& m, const std::vector<int>& blocks) {
  std::string s;
  for (int b : blocks) s += (s.empty() ? "" : " ") + m.blocks[static_cast<std::size_t>(b)].name;
  return s;
}

void run_ist(const PartitionArgs& a, const Model& m, Format format) {
  const IstPartition p = ist_partition_for_round(m, a.config.workers, a.config.seed, a.round);
  Table t({"worker", "hidden_neurons", "params"});
  nlohmann::json workers = nlohmann::json::array();
  for (int w = 0; w < a.config.workers; ++w) {
    std::string counts;
    nlohmann::json neurons = nlohmann::json::array();
    for (const auto& layer : p.neurons) {
      counts += (counts.empty() ? "" : "+") + std::to_string(layer[static_cast<std::size_t>(w)].size());
      neurons.push_back(layer[static_cast<std::size_t>(w)]);
    }
    t.add_row({std::int64_t{w}, counts, ist_worker_params(m, p, w)});
    workers.push_back({{"worker", w}, {"neurons", neurons}, {"params", ist_worker_params(m, p, w)}});
  }
  if (format == Format::json) {
    std::cout << nlohmann::json{{"model", m.name}, {"protocol", "ist"}, {"round", a.round},
                                {"workers", workers}, {"shared_params", ist_shared_params(m)}}
                     .dump(2)
              << "\n";
    return;
  }
  if (format == Format::table) std::cout << fmt::format("{} round {}: IST neuron partition over {} workers\n\n", m.name, a.round, a.config.workers);
  print_table(t, format);
}

void run(const PartitionArgs& a) {
  const Format format = parse_format(a.format);
  const Protocol protocol = parse_protocol(a.protocol);
  check_number(a.round, "--round", 0, limits::kRounds - 1);
  check_number(a.config.workers, "--workers", 1, limits::kWorkers); // a partition is drawn per worker
  const Model m = make_model(a.config.model, a.config.model_options);
  if (protocol == Protocol::ist) return run_ist(a, m, format);
  if (protocol != Protocol::resist)
    throw InputError(fmt::format("--protocol {}: every worker holds the whole model; partitions exist for resist "
                                 "and ist only",
                                 a.protocol));
  const auto partitionable = partitionable_blocks(m, a.config.partition);
  const ResistPartition p =
      resist_partition_for_round(partitionable, a.config.workers, a.config.min_depth, a.config.seed, a.round);
  if (format == Format::json) {
    nlohmann::json workers = nlohmann::json::array();
    for (int w = 0; w < p.workers(); ++w) {
      nlohmann::json names = nlohmann::json::array();
      for (int b : p.worker_blocks[static_cast<std::size_t>(w)]) names.push_back(m.blocks[static_cast<std::size_t>(b)].name);
      workers.push_back({{"worker", w}, {"blocks", names}, {"block_indices", p.worker_blocks[static_cast<std::size_t>(w)]}});
    }
    nlohmann::json holders = nlohmann::json::object();
    const auto h = p.holders();
    for (std::size_t i = 0; i < partitionable.size(); ++i) holders[m.blocks[static_cast<std::size_t>(partitionable[i])].name] = h[i];
    std::cout << nlohmann::json{{"model", m.name}, {"protocol", "resist"}, {"round", a.round},
                                {"workers", workers}, {"holders", holders}, {"slots", p.slots()},
                                {"overlap", p.has_overlap()}, {"partitionable", partitionable.size()},
                                {"eval_scale", resist_eval_scale(static_cast<int>(partitionable.size()), a.config.workers, a.config.min_depth)}}
                     .dump(2)
              << "\n";
    return;
  }
  Table t({"worker", "depth", "blocks"});
  for (int w = 0; w < p.workers(); ++w)
    t.add_row({std::int64_t{w}, static_cast<std::int64_t>(p.worker_blocks[static_cast<std::size_t>(w)].size()),
               join_names(m, p.worker_blocks[static_cast<std::size_t>(w)])});
  if (format == Format::table)
    std::cout << fmt::format("{} round {}: {} partitionable blocks over {} workers, min depth {}, {} slots{}\n"
                             "shared by all: every other block (stem, first block of each stage, head)\n\n",
                             m.name, a.round, partitionable.size(), a.config.workers, a.config.min_depth, p.slots(),
                             p.has_overlap() ? " (overlap)" : "");
  print_table(t, format);
}

} // namespace

void add_partition_command(CLI::App& app) {
  auto args = std::make_shared<PartitionArgs>();
  CLI::App* sub = app.add_subcommand("partition", "The sub-networks of round r");
  add_run_options(*sub, args->config, args->protocol);
  sub->add_option("--round,-r", args->round, "Round index (0-based)")->capture_default_str();
  add_format_option(*sub, args->format);
  sub->callback([args, sub] {
    check_protocol_options(*sub, {args->protocol});
    run(*args);
  });
}

} // namespace resist::cli
