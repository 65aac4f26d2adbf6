#include "exec/run_file_write.hpp"

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <regex>

#include "core/output.hpp"

namespace resist::exec {

namespace {

constexpr int kDeferred[] = {SIGTERM, SIGINT, SIGHUP};
constexpr std::size_t kCount = sizeof kDeferred / sizeof kDeferred[0];
std::atomic<int> g_pending{0}; // the first deferred signal, 0 if none

extern "C" void remember_signal(int sig) {
  int none = 0;
  g_pending.compare_exchange_strong(none, sig);
}

/// A handler, not a blocked mask: a process-directed signal goes to any thread that does not block it, and
/// LibTorch's and Gloo's threads do not block it. Writes happen on one thread at a time (the trainer's).
class DeferTermination {
public:
  DeferTermination() {
    struct sigaction sa {};
    sa.sa_handler = remember_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; // writes continue instead of failing with EINTR
    for (std::size_t i = 0; i < kCount; ++i) ::sigaction(kDeferred[i], &sa, &old_[i]);
  }
  ~DeferTermination() {
    for (std::size_t i = 0; i < kCount; ++i) ::sigaction(kDeferred[i], &old_[i], nullptr);
    if (const int sig = g_pending.exchange(0)) ::raise(sig); // now with the disposition it had before
  }
  DeferTermination(const DeferTermination&) = delete;
  DeferTermination& operator=(const DeferTermination&) = delete;

private:
  struct sigaction old_[kCount] {};
};

} // namespace

void write_run_file(const std::string& path, const std::string& bytes) {
  const DeferTermination defer;
  write_file_atomic(path, bytes);
}

int remove_temporaries_matching(const std::string& dir, const std::string& names) {
  namespace fs = std::filesystem;
  const std::regex pattern("(" + names + R"()\.tmp\..+)");
  int removed = 0;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return 0;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!std::regex_match(entry.path().filename().string(), pattern)) continue;
    if (!entry.is_regular_file(ec)) continue; // a folder of that name is not one of ours
    if (fs::remove(entry.path(), ec)) ++removed;
  }
  return removed;
}

} // namespace resist::exec
