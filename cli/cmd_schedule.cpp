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
  bool check = false;
};

void run(const ScheduleArgs& a) {
  if (a.check) { // verify an existing file instead of writing one
    const Schedule s = read_schedule(a.out);
    std::cout << fmt::format("{}: ok, {} rounds, {} workers, {}\n", a.out, s.rounds.size(), s.config.workers,
                             schedule_hash(s));
    return;
  }
  RunConfig c = a.config;
  c.protocol = parse_protocol(a.protocol);
  const std::string text = schedule_to_string(make_schedule(c));
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
  sub->callback([a] { run(*a); });
}

} // namespace resist::cli
