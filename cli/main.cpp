// resist: one binary, one subcommand per task. Library code throws; only this file turns an error
// into an exit code: 2 for bad input, 3 for a check that failed (resist comm --check), 1 for anything else.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"

namespace {

// One line per error, whatever the library put in it: torch's messages carry a backtrace after the first
// line, SimGrid's and the standard library's may carry anything.
std::string first_line(const char* what) {
  std::string s = what ? what : "";
  s = s.substr(0, s.find('\n'));
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 32) c = ' ';
  return s.size() > 600 ? s.substr(0, 600) + "..." : s;
}

/// Prints the one error line: to the launcher's file under `resist train --nproc` (the launcher reports
/// it once for the job), otherwise to stderr.
void report(const std::string& line) {
  if (const char* path = std::getenv("RESIST_ERROR_FILE"); path && *path) {
    std::ofstream out(path, std::ios::trunc);
    out << line.substr(line.find(": ", 8) + 2) << "\n"; // without the "resist: error: " prefix
    if (out) return;
  }
  std::cerr << line << "\n";
}

} // namespace

int main(int argc, char** argv) {
#if defined(RESIST_HAVE_EXEC) && !defined(RESIST_TORCH_BINARY)
  if (resist::cli::for_torch_binary(argc, argv)) {
    try {
      resist::cli::run_in_torch_binary();
    } catch (const std::exception& e) {
      std::cerr << "resist: failed: " << first_line(e.what()) << "\n";
      return 1;
    }
  }
#endif
  CLI::App app{"resist: ResIST (layer-wise independent subnet training of ResNets) toolkit.\n"
               "Models and costs, partitions, communication accounting, schedules"
#ifdef RESIST_HAVE_SIM
               ", SimGrid simulation"
#endif
#ifdef RESIST_HAVE_EXEC
               ", LibTorch training"
#endif
               "."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Help for every subcommand");
  app.set_version_flag("--version", std::string("resist " RESIST_VERSION " (commit " RESIST_GIT_COMMIT "; parts: core")
#ifdef RESIST_HAVE_SIM
                                        + " sim"
#endif
#ifdef RESIST_HAVE_EXEC
                                        + " exec"
#endif
                                        + ")");
  resist::cli::add_config_option(app);
#ifdef RESIST_TORCH_BINARY // resist-torch: only what needs LibTorch (delegate.cpp)
  resist::cli::add_train_commands(app);
  resist::cli::add_profile_command(app);
#else
  resist::cli::add_core_commands(app);
#ifdef RESIST_HAVE_SIM
  resist::cli::add_simulate_commands(app);
  resist::cli::add_bench_commands(app);
  resist::cli::add_platforms_command(app);
#endif
#ifdef RESIST_HAVE_EXEC
  resist::cli::add_torch_stand_ins(app);
#endif
#ifdef RESIST_HAVE_SIM
  resist::cli::add_validate_command(app);
#endif
#endif
  resist::cli::add_number_checks(app);
  // CLI11 says "The following arguments were not expected" for a misspelt subcommand; name it instead.
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
      found = found || sub->check_name(argv[1]);
      known += (known.empty() ? "" : ", ") + sub->get_name();
    }
    if (!found) {
      std::cerr << "resist: error: unknown subcommand '" << first_line(argv[1]) << "' (known: " << known << ")\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e); // prints help (code 0) or the message
    return code == 0 ? 0 : 2;
  } catch (const resist::InputError& e) {
    report("resist: error: " + first_line(e.what()));
    return 2;
  } catch (const resist::CheckFailed& e) {
    report("resist: check failed: " + first_line(e.what()));
    return 3;
  } catch (const std::bad_alloc&) {
    report("resist: failed: out of memory");
    return 1;
  } catch (const std::exception& e) {
    report("resist: failed: " + first_line(e.what()));
    return 1;
  }
  return 0;
}
