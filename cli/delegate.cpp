// `resist train` and `resist profile` run in resist-torch, the sibling binary that links LibTorch: its
// ~300 shared libraries cost every command 0.7-0.9 s of loading, which the model, schedule and
// simulation commands do not need. main() hands such a command line over before parsing it (their
// --help included), so resist-torch parses, runs and exits with its own code; the stand-ins only list the
// two commands in `resist --help`.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "core/error.hpp"

namespace resist::cli {
namespace {

} // namespace

[[noreturn]] void run_in_torch_binary() {
  std::error_code ec;
  std::filesystem::path path = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) path = "resist";
  const std::string torch = path.replace_filename("resist-torch").string();
  std::vector<std::string> args = own_argv();
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(torch.c_str(), argv.data());
  throw Error(fmt::format("cannot start {} (it runs train and profile): {}", torch, std::strerror(errno)));
}

namespace {

void add_stand_in(CLI::App& app, const std::string& name, const std::string& description) {
  CLI::App* sub = app.add_subcommand(name, description);
  sub->prefix_command();
  sub->set_help_flag();
  sub->allow_extras();
  sub->callback([] { run_in_torch_binary(); });
}

} // namespace

bool for_torch_binary(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config") { // the one top-level option with a value
      ++i;
      continue;
    }
    if (!a.empty() && a[0] == '-') continue;
    return a == "train" || a == "profile"; // the subcommand
  }
  return false;
}

void add_torch_stand_ins(CLI::App& app) {
  add_stand_in(app, "train", "Train with ResIST, local SGD or data parallel (LibTorch + c10d)");
  add_stand_in(app, "profile",
               "Measure this machine for the simulator: per-layer times and the trainer's other costs, or "
               "(--comm) its c10d collectives and a platform file");
}

} // namespace resist::cli
