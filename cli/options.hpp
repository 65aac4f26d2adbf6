// Option binders shared by the subcommands, so every subcommand spells a run the same way.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/output.hpp"
#include "core/run_config.hpp"

namespace resist::cli {

/// --model, --in-channels, --image-size, --classes.
void add_model_options(CLI::App& app, std::string& model, ModelOptions& options);

/// Every RunConfig field except model/protocol/workers/min_depth, which some subcommands take as lists.
/// `protocol` is a string the caller parses (so a bad name names itself).
void add_training_options(CLI::App& app, RunConfig& config);

/// All run options, single-valued (schedule, simulate, train).
void add_run_options(CLI::App& app, RunConfig& config, std::string& protocol);

/// Refuses an option that only some protocols use (--lp-*: layer_parallel; --min-depth: resist) when it
/// was given (flag or config file) and none of the `protocols` (names) uses it: it would be silently ignored.
/// Defaults pass.
void check_protocol_options(const CLI::App& app, const std::vector<std::string>& protocols);

/// --format table|csv|json (default table).
void add_format_option(CLI::App& app, std::string& format);

/// --config FILE on the top-level app: a TOML or JSON file whose keys stand in for the chosen
/// subcommand's flags (CLI11 2.1 reads config files only at the top level; subcommands fall through).
void add_config_option(CLI::App& top);

/// Adds core's number parser as a check to every INT, UINT and FLOAT option of `app` and its
/// subcommands (call after all options exist): non-finite, malformed and wrapping values are refused.
void add_number_checks(CLI::App& app);

/// `--platform-param NAME=VALUE` items as a map (the value through core/number); throws InputError naming
/// an item without '=' or with a bad number. Names are checked by the platform (sim/platform.hpp).
std::map<std::string, double> parse_platform_params(const std::vector<std::string>& items);

/// Prints a table in the chosen format to stdout.
void print_table(const Table& table, Format format);

} // namespace resist::cli
