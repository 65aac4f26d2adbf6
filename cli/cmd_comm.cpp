// resist comm: bytes per round and per run for a grid of protocols x workers x minimum depths.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/collective.hpp"
#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "core/schedule.hpp"

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
    "(resist: 2 S |shared| + 2 slots |block|; local_sgd: 2 S |model|; data_parallel: 2 S |model| per step)";

void run(const CommArgs& a) {
  const Format format = parse_format(a.format);
  const Algorithm algorithm = parse_algorithm(a.algorithm);
  if (a.zip && a.workers.size() != a.min_depths.size())
    throw InputError(fmt::format("--zip pairs --workers and --min-depth: got {} and {} values", a.workers.size(),
                                 a.min_depths.size()));
  if (a.gpus_per_node < 0) throw InputError(fmt::format("--gpus-per-node {}: must be >= 0", a.gpus_per_node));
  std::vector<std::pair<int, int>> shapes;
  for (std::size_t i = 0; i < a.workers.size(); ++i)
    for (std::size_t j = 0; j < a.min_depths.size(); ++j)
      if (!a.zip || i == j) shapes.emplace_back(a.workers[i], a.min_depths[j]);
  std::vector<Protocol> protocols;
  for (const auto& p : a.protocols) protocols.push_back(parse_protocol(p));

  const Model model = make_model(a.config.model, a.config.model_options);
  Table t({"protocol", "workers", "min_depth", "slots", "bytes_per_round", "gb_per_round", "wire_bytes_per_round",
           "rounds", "bytes_per_run"});
  for (Protocol p : protocols)
    for (auto [s, d] : shapes) {
      RunConfig c = a.config;
      c.protocol = p;
      c.workers = s;
      c.min_depth = p == Protocol::resist ? d : 0;
      const Schedule sched = make_schedule(c); // validates
      std::vector<int> node_of;
      if (a.gpus_per_node > 0)
        for (int w = 0; w < s; ++w) node_of.push_back(w / a.gpus_per_node);
      const CommPlan plan = round_comm_plan(sched, model, 0);
      const std::int64_t per_round = total_bytes(payload_bytes(plan, s));
      const std::int64_t wire = total_bytes(wire_bytes(plan, s, algorithm, node_of));
      std::int64_t per_run = 0;
      for (const Round& r : sched.rounds) per_run += total_bytes(payload_bytes(round_comm_plan(sched, model, r.round), s));
      t.add_row({std::string(to_string(p)), std::int64_t{s}, std::int64_t{d}, std::int64_t{round_partition(sched, 0).slots()},
                 per_round, per_round / 1e9, wire, static_cast<std::int64_t>(sched.rounds.size()), per_run});
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
  sub->add_option("--algorithm", a->algorithm, "Wire collective: ring, star (reduce-then-broadcast) or hierarchical")
      ->capture_default_str();
  sub->add_option("--gpus-per-node", a->gpus_per_node, "Workers per node for the hierarchical algorithm");
  add_training_options(*sub, a->config);
  add_format_option(*sub, a->format);
  sub->callback([a] { run(*a); });
}

} // namespace resist::cli
