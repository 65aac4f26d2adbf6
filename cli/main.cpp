// resist: one binary, one subcommand per task. Library code throws; only this file turns an error
// into an exit code: 2 for bad input, 1 for anything else.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
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
  resist::cli::add_config_option(app);
  resist::cli::add_core_commands(app);
#ifdef RESIST_HAVE_SIM
  resist::cli::add_simulate_commands(app);
  resist::cli::add_bench_commands(app);
#endif
#ifdef RESIST_HAVE_EXEC
  resist::cli::add_train_commands(app);
  resist::cli::add_profile_command(app);
#endif
#ifdef RESIST_HAVE_SIM
  resist::cli::add_validate_command(app);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e); // prints help (code 0) or the message
    return code == 0 ? 0 : 2;
  } catch (const resist::InputError& e) {
    std::cerr << "resist: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "resist: failed: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
