// Figures from the commands: runs a script of plots/ with Debian's python3 (python3-matplotlib), its output
// (messages) on stderr so a command's stdout stays its table.
#pragma once
#include <string>
#include <vector>

namespace resist::cli {

/// Runs plots/`script` with `args`. The folder is $RESIST_PLOTS_DIR when set, else the source tree's plots/
/// (compiled in). Returns false when the script, python3 or matplotlib is missing or it fails; the caller
/// says so in one line.
bool run_plot(const std::string& script, const std::vector<std::string>& args);

} // namespace resist::cli
