// resist comm: bytes per round and per run for a grid of protocols x workers x minimum depths.
#include <fmt/format.h>

#include <iostream>
#include <set>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/comm_volume.hpp"
#include "core/error.hpp"
#include "core/model_zoo.hpp"

namespace resist::cli {
namespace {

struct CommArgs {
  RunConfig config;
  std::vector<std::string> protocols{"resist", "local_sgd"};
  std::vector<int> workers{2, 4, 8};
  std::vector<int> min_depths{0};
  bool zip = false;
  std::string algorithm = "ring";
  int gpus_per_node = 0;
  std::string format = "table";
};

const char* kRule =
    "payload rule: every worker sends the parameters it trained and receives those it trains next "
    "(resist: 2 S |shared| + 2 slots |block|; local_sgd: 2 S |model|; data_parallel: 2 S |model| per step; layer_parallel (a reconstruction): per step and "
    "cut, the AuxNet target and the real activation, B x C x H x W each, between neighbours)";

void run(const CommArgs& a) {
  const Format format = parse_format(a.format);
  const Algorithm algorithm = parse_algorithm(a.algorithm);
  if (a.zip && a.workers.size() != a.min_depths.size())
    throw InputError(fmt::format("--zip pairs --workers and --min-depth: got {} and {} values", a.workers.size(),
                                 a.min_depths.size()));
  std::vector<std::pair<int, int>> shapes;
  for (std::size_t i = 0; i < a.workers.size(); ++i)
    for (std::size_t j = 0; j < a.min_depths.size(); ++j)
      if (!a.zip || i == j) shapes.emplace_back(a.workers[i], a.min_depths[j]);
  std::vector<Protocol> protocols;
  for (const auto& p : a.protocols) protocols.push_back(parse_protocol(p));

  const Model model = make_model(a.config.model, a.config.model_options);
  Table t({"model", "classes", "protocol", "workers", "min_depth", "slots", "bytes_per_round", "gb_per_round",
           "wire_bytes_per_round", "rounds", "bytes_per_run"});
  std::set<std::pair<int, int>> done_without_depth; // (protocol, workers): min depth only matters to resist
  for (Protocol p : protocols)
    for (auto [s, d] : shapes) {
      if (p != Protocol::resist && !done_without_depth.insert({static_cast<int>(p), s}).second) continue;
      RunConfig c = a.config;
      c.protocol = p;
      c.workers = s;
      c.min_depth = p == Protocol::resist ? d : 0;
      const CommVolume v = comm_volume(c, algorithm, a.gpus_per_node);
      t.add_row({model.name, std::int64_t{model.classes}, std::string(to_string(p)), std::int64_t{s},
                 std::int64_t{c.min_depth}, std::int64_t{v.slots}, v.bytes_per_round, v.bytes_per_round / 1e9,
                 v.wire_bytes_per_round, std::int64_t{v.rounds}, v.bytes_per_run});
    }
  if (format == Format::json) {
    std::cout << nlohmann::json{{"model", model.name}, {"params", model.params()}, {"algorithm", to_string(algorithm)},
                                {"local_steps", a.config.local_steps}, {"rule", kRule}, {"rows", t.to_json()}}
                     .dump(2)
              << "\n";
    return;
  }
  if (format == Format::table)
    std::cout << fmt::format("{}: {} params ({:.1f} MB fp32), l = {}, GB = 1e9 bytes, wire = {} algorithm\n{}\n\n",
                             model.name, model.params(), model.param_bytes() / 1e6, a.config.local_steps,
                             to_string(algorithm), kRule);
  print_table(t, format);
}

} // namespace

void add_comm_command(CLI::App& app) {
  auto a = std::make_shared<CommArgs>();
  CLI::App* sub = app.add_subcommand("comm", "Bytes communicated per round and per run, per protocol");
  add_model_options(*sub, a->config.model, a->config.model_options);
  sub->add_option("--protocol,--protocols", a->protocols, "Comma-separated protocols")->delimiter(',')->capture_default_str();
  sub->add_option("--workers,-S", a->workers, "Comma-separated worker counts")->delimiter(',')->capture_default_str();
  sub->add_option("--min-depth", a->min_depths, "Comma-separated ResIST minimum depths")->delimiter(',')->capture_default_str();
  sub->add_flag("--zip", a->zip, "Pair --workers and --min-depth element by element instead of a grid");
  sub->add_option("--algorithm", a->algorithm,
                  "Wire collective: ring, star (reduce-then-broadcast), hierarchical, leader, nvls, tree or nvlstree")
      ->capture_default_str();
  sub->add_option("--gpus-per-node", a->gpus_per_node, "Workers per node (hierarchical, leader, tree, nvlstree)");
  add_training_options(*sub, a->config);
  add_format_option(*sub, a->format);
  sub->callback([a, sub] {
    check_protocol_options(*sub, a->protocols);
    run(*a);
  });
}

} // namespace resist::cli
