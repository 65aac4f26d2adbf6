// resist schedule: the run's rounds as a hashed JSON document, to stdout or --out FILE.
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/output.hpp"
#include "core/schedule_io.hpp"

namespace resist::cli {
namespace {

struct ScheduleArgs {
  RunConfig config;
  std::string protocol = "resist";
  std::string out;
  std::string format = "json";
  bool check = false;
};

/// One row per round and worker: what a person or a spreadsheet wants from a schedule.
Table rounds_table(const Schedule& s) {
  Table t({"round", "first_step", "steps", "lr", "worker", "depth", "blocks", "data_seed"});
  for (const Round& r : s.rounds)
    for (const WorkerRound& w : r.workers) {
      std::string blocks, lr;
      for (int b : w.blocks) blocks += (blocks.empty() ? "" : " ") + std::to_string(b);
      for (const LrSegment& seg : r.lr) lr += fmt::format("{}{:g}@{}", lr.empty() ? "" : " ", seg.lr, seg.first_step);
      t.add_row({std::int64_t{r.round}, r.first_step, std::int64_t{r.steps}, lr, std::int64_t{w.worker},
                 static_cast<std::int64_t>(w.blocks.size()), blocks, fmt::format("{:016x}", w.data_seed)});
    }
  return t;
}

void run(const ScheduleArgs& a) {
  if (a.check) { // verify an existing file instead of writing one
    const Schedule s = read_schedule(a.out);
    std::cout << fmt::format("{}: ok, {} rounds, {} workers, {}\n", a.out, s.rounds.size(), s.config.workers,
                             schedule_hash(s));
    return;
  }
  const Format format = parse_format(a.format);
  if (!a.out.empty() && a.out != "-") check_output_path(a.out);
  RunConfig c = a.config;
  c.protocol = parse_protocol(a.protocol);
  const Schedule s = make_schedule(c);
  std::string text;
  switch (format) {
  case Format::json: text = schedule_to_string(s); break;
  case Format::csv: text = rounds_table(s).to_csv(); break;
  case Format::table:
    text = fmt::format("{} {} rounds, {} workers, {} steps ({} per epoch), {}\n\n", to_string(c.protocol),
                       s.rounds.size(), c.workers, s.total_steps, s.steps_per_epoch, schedule_hash(s)) +
           rounds_table(s).to_text();
    break;
  }
  if (a.out.empty() || a.out == "-")
    std::cout << text;
  else
    write_file_atomic(a.out, text);
}

} // namespace

void add_schedule_command(CLI::App& app) {
  auto a = std::make_shared<ScheduleArgs>();
  CLI::App* sub = app.add_subcommand("schedule", "Write the schedule (every round's sub-networks, steps, lr, seeds)");
  add_run_options(*sub, a->config, a->protocol);
  sub->add_option("--out,-o", a->out, "Output file (default: standard output)");
  sub->add_flag("--check", a->check, "Read --out and verify its hash instead of writing");
  sub->add_option("--format", a->format, "json (the schedule document), table or csv (one row per round and worker)")
      ->capture_default_str();
  sub->callback([a, sub] {
    if (!a->check) check_protocol_options(*sub, {a->protocol});
    run(*a);
  });
}

} // namespace resist::cli
