// resist comm: bytes per round and per run for a grid of protocols x workers x minimum depths; with
// --check BASELINE, a gate against a document it wrote before (exit 3 when the gate fails).
#include <fmt/format.h>

#include <iostream>
#include <set>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/comm_gate.hpp"
#include "core/comm_volume.hpp"
#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "core/number.hpp"
#include "core/output.hpp"

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
  std::string check;              // baseline file; empty = no gate
  std::string fail_on = "increase";
  double tolerance_pct = 0;
};

const char* kRule =
    "payload rule: every worker sends the parameters it trained and receives those it trains next "
    "(resist: 2 S |shared| + 2 slots |block|; local_sgd: 2 S |model|; data_parallel: 2 S |model| per step; layer_parallel (a reconstruction): per step and "
    "cut, the AuxNet target and the real activation, B x C x H x W each, between neighbours)";

Cell optional_cell(const std::optional<std::int64_t>& v) { return v ? Cell{*v} : Cell{std::string("-")}; }

/// Prints the gate's report in `format`; throws CheckFailed (exit 3) when it failed.
void report_gate(const CommGateResult& r, const CommArgs& a, const std::string& model, Format format) {
  Table t({"protocol", "workers", "min_depth", "quantity", "baseline", "now", "delta", "delta_pct", "change", "gate"});
  for (const CommGateLine& l : r.lines) {
    Cell delta = std::string("-"), pct = std::string("-");
    if (l.baseline && l.now) {
      delta = *l.now - *l.baseline;
      if (*l.baseline != 0)
        pct = 100.0 * static_cast<double>(*l.now - *l.baseline) / static_cast<double>(*l.baseline);
    }
    t.add_row({l.protocol, l.workers, l.min_depth, l.quantity, optional_cell(l.baseline), optional_cell(l.now), delta,
               pct, l.change, std::string(l.fails ? "FAIL" : "ok")});
  }
  const std::string verdict =
      r.passed() ? fmt::format("gate passed: {} rows, none {} beyond {}% (--fail-on {})", r.rows,
                               a.fail_on == "increase" ? "increased" : "changed", a.tolerance_pct, a.fail_on)
                 : fmt::format("{} of {} rows failed --fail-on {} (tolerance {}%); first: {}", r.rows_failed, r.rows,
                               a.fail_on, a.tolerance_pct, r.first_failure);
  if (format == Format::json) {
    const nlohmann::json report{{"model", model},
                                {"baseline", a.check},
                                {"fail_on", a.fail_on},
                                {"tolerance_pct", a.tolerance_pct},
                                {"passed", r.passed()},
                                {"rows", r.rows},
                                {"rows_failed", r.rows_failed},
                                {"lines", t.to_json()}};
    std::cout << report.dump(2) << "\n";
  } else {
    if (format == Format::table)
      std::cout << fmt::format("{}: communication against baseline '{}' (bytes; delta_pct of the baseline)\n\n",
                               model, a.check);
    print_table(t, format);
    if (format == Format::table && r.passed()) std::cout << "\n" << verdict << "\n";
  }
  if (!r.passed()) throw CheckFailed(verdict);
}

void run(const CommArgs& a) {
  const Format format = parse_format(a.format);
  const Algorithm algorithm = parse_algorithm(a.algorithm);
  // The gate's input first: a bad baseline or --fail-on is refused before any work.
  nlohmann::json baseline;
  FailOn fail_on = FailOn::increase;
  if (!a.check.empty()) {
    fail_on = parse_fail_on(a.fail_on);
    check_number(a.tolerance_pct, "--tolerance", 0, 1000);
    baseline = read_comm_baseline(a.check);
  }
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
  // A local SGD warm-up (resist rows): its rounds and bytes in two more columns, only then (baselines stay).
  const bool warmup = a.config.local_sgd_warmup_rounds > 0 || a.config.local_sgd_warmup_epochs > 0;
  std::vector<std::string> columns{"model", "classes", "protocol", "workers", "min_depth", "slots", "bytes_per_round",
                                   "gb_per_round", "wire_bytes_per_round", "rounds", "bytes_per_run"};
  if (warmup) columns.insert(columns.end(), {"warmup_rounds", "warmup_bytes"});
  Table t(columns);
  std::set<std::pair<int, int>> done_without_depth; // (protocol, workers): min depth only matters to resist
  for (Protocol p : protocols)
    for (auto [s, d] : shapes) {
      if (p != Protocol::resist && !done_without_depth.insert({static_cast<int>(p), s}).second) continue;
      RunConfig c = a.config;
      c.protocol = p;
      c.workers = s;
      c.min_depth = p == Protocol::resist ? d : 0;
      if (p != Protocol::resist) { // the warm-up precedes ResIST only
        c.local_sgd_warmup_rounds = 0;
        c.local_sgd_warmup_epochs = 0;
      }
      const CommVolume v = comm_volume(c, algorithm, a.gpus_per_node);
      std::vector<Cell> row{model.name, std::int64_t{model.classes}, std::string(to_string(p)), std::int64_t{s},
                            std::int64_t{c.min_depth}, std::int64_t{v.slots}, v.bytes_per_round, v.bytes_per_round / 1e9,
                            v.wire_bytes_per_round, std::int64_t{v.rounds}, v.bytes_per_run};
      if (warmup) row.insert(row.end(), {std::int64_t{v.warmup_rounds}, v.warmup_bytes});
      t.add_row(row);
    }
  const nlohmann::json doc{{"model", model.name},
                           {"params", model.params()},
                           {"algorithm", to_string(algorithm)},
                           {"local_steps", a.config.local_steps},
                           {"settings", comm_settings(a.config, model, algorithm, a.gpus_per_node)},
                           {"rule", kRule},
                           {"rows", t.to_json()}};
  if (!a.check.empty())
    return report_gate(check_comm_gate(baseline, doc, a.check, fail_on, a.tolerance_pct), a, model.name, format);
  if (format == Format::json) {
    std::cout << doc.dump(2) << "\n";
    return;
  }
  if (format == Format::table)
    std::cout << fmt::format("{}: {} params ({:.1f} MB fp32), l = {}, GB = 1e9 bytes, wire = {} algorithm\n{}\n{}\n",
                             model.name, model.params(), model.param_bytes() / 1e6, a.config.local_steps,
                             to_string(algorithm), kRule,
                             warmup ? "resist rows: a local SGD warm-up of warmup_rounds rounds moves warmup_bytes (in "
                                      "bytes_per_run); the per-round columns are the first ResIST round's\n"
                                    : "");
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
  auto* check = sub->add_option(
      "--check", a->check,
      "Gate: compare with BASELINE, a file written by resist comm ... --format json with the same settings; "
      "prints baseline, now and delta per row; exit 0 passed, 3 the gate failed, 2 bad input (baseline "
      "unreadable or malformed, for another model or settings, or with no row in common)")
      ->type_name("BASELINE");
  sub->add_option("--fail-on", a->fail_on,
                  "With --check: increase (a byte count grew) or change (grew or shrank); a row in only one of the "
                  "two fails either way")
      ->type_name("increase|change")
      ->capture_default_str()
      ->needs(check);
  sub->add_option("--tolerance", a->tolerance_pct, "With --check: changes up to PCT % of the baseline pass")
      ->capture_default_str()
      ->needs(check);
  sub->footer("Exit codes: 0 success (with --check: the gate passed), 1 a failure that is not the input's fault, "
              "2 bad input, 3 the --check gate failed.");
  sub->callback([a, sub, check] {
    if (check->count() > 0 && a->check.empty()) throw InputError("--check: the baseline path is empty");
    check_protocol_options(*sub, a->protocols);
    run(*a);
  });
}

} // namespace resist::cli
