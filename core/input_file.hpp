// Reads an input file whole (schedule, platform, GPU table, profile, timeline). Refuses what is not a
// regular file (a FIFO would block forever, a device would never end) and files above
// limits::kInputFileBytes, with an InputError naming the path.
#pragma once
#include <string>
#include <string_view>

namespace resist {

/// `what` says what the file is for ("schedule file", "GPU table").
std::string read_input_file(const std::string& path, std::string_view what);

/// Throws InputError unless `path` names an existing regular file (symlinks followed).
void check_input_file(const std::string& path, std::string_view what);

} // namespace resist
