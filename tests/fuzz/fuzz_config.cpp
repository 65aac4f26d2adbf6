// libFuzzer target: the --config reader (TOML or JSON) through CLI11 into a subcommand's options, as
// `resist schedule --config FILE` parses it, numeric checks included.
#include <CLI/CLI.hpp>

#include <sstream>

#include "cli/config_file.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  CLI::App top{"fuzz"};
  resist::RunConfig config;
  std::string protocol;
  CLI::App* sub = top.add_subcommand("schedule", "");
  resist::cli::add_run_options(*sub, config, protocol);
  resist::cli::add_number_checks(top);
  resist::cli::StrictConfig cfg(&top);
  try {
    std::istringstream in(text);
    cfg.from_config(in);
  } catch (const CLI::Error&) {
  } catch (const resist::Error&) {
  }
  return 0;
}
