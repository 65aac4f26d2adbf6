#include "core/input_file.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/limits.hpp"

namespace resist {

void check_input_file(const std::string& path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw InputError(fmt::format("cannot read {} '{}': {}", what, path, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) throw InputError(fmt::format("{} '{}' is not a regular file", what, path));
  if (st.st_size > limits::kInputFileBytes)
    throw InputError(fmt::format("{} '{}' has {} bytes: more than the limit of {}", what, path,
                                 static_cast<long long>(st.st_size), limits::kInputFileBytes));
}

std::string read_input_file(const std::string& path, std::string_view what) {
  check_input_file(path, what);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("cannot read {} '{}'", what, path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw InputError(fmt::format("cannot read {} '{}'", what, path));
  return ss.str();
}

} // namespace resist
