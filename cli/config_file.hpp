// Strict config files for CLI11: TOML (toml++) or JSON (a document starting with '{'), flat keys
// named like the long options without the dashes ("min-depth" or "min_depth"). A syntax error is a
// CLI::ConfigError naming the line, so a malformed file never runs silently with defaults.
#pragma once
#include <CLI/CLI.hpp>

namespace resist::cli {

class StrictConfig : public CLI::ConfigTOML {
public:
  /// `top` is the top-level app: keys are attached to the subcommand it parsed.
  explicit StrictConfig(const CLI::App* top) : top_(top) {}
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;

private:
  std::vector<CLI::ConfigItem> parse(const std::string& text) const;
  const CLI::App* top_;
};

} // namespace resist::cli
