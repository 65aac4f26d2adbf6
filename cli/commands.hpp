// Subcommand registration; each cmd_*.cpp defines one.
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace resist::cli {

void add_model_command(CLI::App& app);     // resist model
void add_partition_command(CLI::App& app); // resist partition
void add_comm_command(CLI::App& app);      // resist comm
void add_schedule_command(CLI::App& app);  // resist schedule
void add_paper_command(CLI::App& app);     // resist paper

inline void add_core_commands(CLI::App& app) {
  add_model_command(app);
  add_partition_command(app);
  add_comm_command(app);
  add_schedule_command(app);
  add_paper_command(app);
}

void add_simulate_commands(CLI::App& app); // resist simulate, resist sweep (sim/)
void add_bench_commands(CLI::App& app);    // resist bench allreduce, resist bench train (sim/)
void add_platforms_command(CLI::App& app); // resist platforms (sim/)
void add_train_commands(CLI::App& app);    // resist train (exec/)
void add_profile_command(CLI::App& app);   // resist profile (exec/)
void add_validate_command(CLI::App& app);  // resist validate (sim/; measures with exec/ when built)
/// resist train and resist profile handed to resist-torch, the sibling binary with LibTorch (delegate.cpp).
void add_torch_stand_ins(CLI::App& app);
/// Whether this command line's subcommand is one of those; then run_in_torch_binary() execs it there.
bool for_torch_binary(int argc, char** argv);
[[noreturn]] void run_in_torch_binary();

/// This process's own command line (a local launcher re-executes it for every rank).
std::vector<std::string> own_argv();
/// Re-runs this command as `n` local ranks and waits for them; a failure becomes InputError when every
/// rank that failed did so on bad input (with the first one's own message), else Error. `elastic`: the run
/// finished when any rank did (the survivors of a lost one; exec/elastic.hpp).
void launch_local_ranks(int n, bool elastic = false);

} // namespace resist::cli
