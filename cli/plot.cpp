#include "cli/plot.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace resist::cli {

bool run_plot(const std::string& script, const std::vector<std::string>& args) {
  namespace fs = std::filesystem;
  const char* dir = std::getenv("RESIST_PLOTS_DIR");
  const std::string path = (fs::path(dir && *dir ? dir : RESIST_SOURCE_DIR "/plots") / script).string();
  // Debian's python3 (with python3-matplotlib), not whatever `python3` a PATH finds first.
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  if (!fs::exists(path)) return false;
  std::vector<std::string> argv{python, path};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    ::dup2(STDERR_FILENO, STDOUT_FILENO); // the script's messages never mix into a command's table
    std::vector<char*> c;
    for (auto& s : argv) c.push_back(s.data());
    c.push_back(nullptr);
    ::execvp(c[0], c.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

} // namespace resist::cli
