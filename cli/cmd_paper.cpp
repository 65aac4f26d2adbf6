// resist paper: the paper's tables recomputed from first principles, next to the published values.
#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/model_zoo.hpp"
#include "core/paper_tables.hpp"
#include "core/schedule.hpp"
#ifdef RESIST_HAVE_SIM
#include "sim/paper.hpp"
#endif

namespace resist::cli {
namespace {

struct PaperArgs {
  std::string format = "table";
};

Table comm_table() {
  const Model model = make_model("preact_resnet101_cifar", {0, 0, 100});
  Table t({"protocol", "workers", "min_depth", "slots", "ours_gb", "paper_gb", "delta_gb"});
  for (const auto& row : paper::kTable1) {
    for (Protocol p : {Protocol::local_sgd, Protocol::resist}) {
      RunConfig c;
      c.model = model.name;
      c.model_options.classes = 100;
      c.dataset = "cifar100";
      c.protocol = p;
      c.workers = row.workers;
      c.min_depth = p == Protocol::resist ? row.min_depth : 0;
      c.rounds = 2;
      const Schedule s = make_schedule(c);
      const double ours = total_bytes(payload_bytes(round_comm_plan(s, model, 0), row.workers)) / 1e9;
      const double published = p == Protocol::resist ? row.resist_gb : row.local_sgd_gb;
      t.add_row({std::string(to_string(p)), std::int64_t{row.workers}, std::int64_t{c.min_depth},
                 std::int64_t{round_partition(s, 0).slots()}, std::round(ours * 1e4) / 1e4, published,
                 std::round((ours - published) * 1e4) / 1e4});
    }
  }
  return t;
}

void run(const PaperArgs& a) {
  const Format format = parse_format(a.format);
  const Table comm = comm_table();
#ifdef RESIST_HAVE_SIM
  const Table wallclock = sim::paper_wallclock_table();
#endif
  if (format == Format::json) {
    nlohmann::json j{{"table1_comm_gb_per_round", comm.to_json()}};
#ifdef RESIST_HAVE_SIM
    j["table3_wallclock_s"] = wallclock.to_json();
#endif
    std::cout << j.dump(2) << "\n";
    return;
  }
  if (format == Format::table)
    std::cout << "Table 1 of the ResIST paper: GB communicated per round, preact_resnet101_cifar, 100 classes\n"
                 "(recomputed by `resist comm`; published values from the ResIST README / arXiv 2107.00961)\n\n";
  print_table(comm, format);
#ifdef RESIST_HAVE_SIM
  if (format == Format::table)
    std::cout << "\nTable 3 of the ResIST paper: wall-clock seconds for 40 epochs per worker, simulated on SimGrid\n"
                 "(`resist simulate --paper-table`; calibration and breakdown in experiments/sim_paper_wallclock)\n\n";
  print_table(wallclock, format);
#endif
}

} // namespace

void add_paper_command(CLI::App& app) {
  auto a = std::make_shared<PaperArgs>();
  CLI::App* sub = app.add_subcommand("paper", "The paper's tables recomputed, next to the published values");
  add_format_option(*sub, a->format);
  sub->callback([a] { run(*a); });
}

} // namespace resist::cli
