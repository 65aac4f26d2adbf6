#include "exec/spawn.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "core/error.hpp"

namespace resist::exec {

int find_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error(fmt::format("cannot open a socket to find a free port: {}", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw Error(fmt::format("cannot bind a socket on 127.0.0.1 to find a free port: {}", why));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

namespace {

std::string error_file(const std::string& dir, int rank) { return fmt::format("{}/rank{}.err", dir, rank); }
std::string store_file(const std::string& dir) { return dir + "/store"; }

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

pid_t start_rank(const std::vector<std::string>& argv, int rank, int nproc, const std::string& dir) {
  // MASTER_ADDR=127.0.0.1 keeps Gloo's sockets on loopback; the store is a file, so there is no port.
  std::vector<std::string> env_kv = {
      fmt::format("RANK={}", rank),         fmt::format("WORLD_SIZE={}", nproc),
      fmt::format("LOCAL_RANK={}", rank),   fmt::format("LOCAL_WORLD_SIZE={}", nproc),
      "MASTER_ADDR=127.0.0.1",              "RESIST_STORE_FILE=" + store_file(dir),
      "RESIST_LOCAL_LAUNCHER=1",            "RESIST_ERROR_FILE=" + error_file(dir, rank),
  };
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(fmt::format("cannot start rank {}: fork failed: {}", rank, std::strerror(errno)));
  if (pid > 0) return pid;
  // Child: only async-signal-safe work from here on until exec. If the launcher dies (killed, Ctrl-C),
  // the ranks go with it instead of training on as orphans.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(128 + SIGTERM); // the launcher died before prctl took effect
  ::close_range(3, ~0U, 0); // nothing the launcher holds open
  for (auto& kv : env_kv) ::putenv(kv.data());
  std::vector<char*> args;
  std::string self = "/proc/self/exe";
  args.push_back(const_cast<char*>(argv.empty() ? self.c_str() : argv[0].c_str()));
  for (std::size_t i = 1; i < argv.size(); ++i) args.push_back(const_cast<char*>(argv[i].c_str()));
  args.push_back(nullptr);
  ::execv(self.c_str(), args.data());
  ::_exit(127); // exec failed: the parent reports status 127
}

// A signal to the launcher (kill, Ctrl-C, a closed terminal) stops the ranks and removes the private folder
// (the store's file with it) before the launcher ends by that signal, instead of leaving the folder behind.
std::atomic<int> g_launcher_signal{0};
extern "C" void remember_launcher_signal(int sig) { g_launcher_signal = sig; }
constexpr int kCaught[] = {SIGTERM, SIGINT, SIGHUP};
constexpr std::size_t kCaughtCount = sizeof kCaught / sizeof kCaught[0];

class CatchTermination {
public:
  CatchTermination() {
    g_launcher_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = remember_launcher_signal;
    sigemptyset(&sa.sa_mask);
    for (std::size_t i = 0; i < kCaughtCount; ++i) ::sigaction(kCaught[i], &sa, &old_[i]);
  }
  /// Restores the dispositions, then raises a caught signal again: the launcher ends as it would have.
  ~CatchTermination() {
    for (std::size_t i = 0; i < kCaughtCount; ++i) ::sigaction(kCaught[i], &old_[i], nullptr);
    if (const int sig = g_launcher_signal.exchange(0)) ::raise(sig);
  }
  CatchTermination(const CatchTermination&) = delete;
  CatchTermination& operator=(const CatchTermination&) = delete;

private:
  struct sigaction old_[kCaughtCount] {};
};

RankExit decode(int rank, pid_t pid, int status) {
  RankExit e;
  e.rank = rank;
  e.pid = static_cast<int>(pid);
  if (WIFEXITED(status)) {
    e.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    e.signal = WTERMSIG(status);
    e.exit_code = 128 + e.signal;
  }
  return e;
}

} // namespace

std::vector<RankExit> spawn_local_ranks(const std::vector<std::string>& argv, int nproc, double grace_s,
                                        bool elastic) {
  if (nproc < 1) throw InputError(fmt::format("--nproc {}: need at least 1 process", nproc));
  // The ranks' store is a file in this private folder (mkdtemp: mode 0700), not a TCPStore: LibTorch 1.13's
  // TCPStore server listens on every interface whatever host it is given, unauthenticated, for the whole run.
  // Gloo's own sockets stay on loopback (MASTER_ADDR=127.0.0.1), so nothing of the run is reachable from
  // another machine (tests/exec/train_cli.sh loopback_only).
  char dir_template[] = "/tmp/resist-launch-XXXXXX";
  if (!::mkdtemp(dir_template)) throw Error(fmt::format("cannot create a temporary folder: {}", std::strerror(errno)));
  const std::string err_dir = dir_template;
  const CatchTermination catch_termination; // before the first fork: no moment without the clean-up
  auto cleanup = [&] {
    for (int r = 0; r < nproc; ++r) ::unlink(error_file(err_dir, r).c_str());
    ::unlink(store_file(err_dir).c_str());
    ::rmdir(err_dir.c_str());
  };
  std::vector<pid_t> pids;
  for (int r = 0; r < nproc; ++r) {
    try {
      pids.push_back(start_rank(argv, r, nproc, err_dir));
    } catch (...) {
      for (pid_t p : pids) ::kill(p, SIGKILL);
      for (pid_t p : pids) ::waitpid(p, nullptr, 0);
      cleanup();
      throw;
    }
  }
  std::vector<RankExit> exits(static_cast<std::size_t>(nproc));
  std::vector<bool> done(static_cast<std::size_t>(nproc), false);
  int running = nproc;
  bool stopping = false;
  auto stop_deadline = std::chrono::steady_clock::now();
  // Elastic: the launcher reads the survivors' decisions from the ranks' store file.
  c10::intrusive_ptr<c10d::Store> store;
  if (elastic) store = c10::make_intrusive<c10d::FileStore>(store_file(err_dir), -1);
  std::vector<bool> paused(static_cast<std::size_t>(nproc), false), ended(static_cast<std::size_t>(nproc), false);
  // Elastic: the ranks the survivors left out end (a stopped one would never exit), and so do stopped ranks
  // once nobody else runs. Asked every 0.1 s.
  auto end_left_out = [&] {
    int live = 0;
    for (int r = 0; r < nproc; ++r) live += !done[static_cast<std::size_t>(r)] && !paused[static_cast<std::size_t>(r)];
    for (int r = 0; r < nproc; ++r) {
      const auto i = static_cast<std::size_t>(r);
      if (done[i] || ended[i]) continue;
      bool left_out = live == 0 && paused[i];
      try {
        left_out = left_out || (store && store->check({fmt::format("resist/elastic/excluded/{}", r)}));
      } catch (const std::exception&) {
      }
      if (!left_out) continue;
      ::kill(pids[i], SIGKILL);
      ended[i] = true;
    }
  };
  auto last_look = std::chrono::steady_clock::now();
  auto stop_all = [&] {
    stopping = true;
    stop_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long>(grace_s * 1000));
    for (int o = 0; o < nproc; ++o)
      if (!done[static_cast<std::size_t>(o)]) ::kill(pids[static_cast<std::size_t>(o)], SIGTERM);
  };
  while (running > 0) {
    if (!stopping && g_launcher_signal != 0) stop_all();
    int status = 0;
    const int flags = elastic ? WNOHANG | WUNTRACED | WCONTINUED : WNOHANG; // polled: see the signal check above
    const pid_t pid = ::waitpid(-1, &status, flags);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break; // no children left
    }
    if (pid == 0) { // nobody exited yet; when stopping, escalate after the grace period
      if (stopping && std::chrono::steady_clock::now() > stop_deadline)
        for (int r = 0; r < nproc; ++r)
          if (!done[static_cast<std::size_t>(r)]) ::kill(pids[static_cast<std::size_t>(r)], SIGKILL);
      if (elastic && std::chrono::steady_clock::now() - last_look > std::chrono::milliseconds(100)) {
        end_left_out();
        last_look = std::chrono::steady_clock::now();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    for (int r = 0; r < nproc; ++r) {
      if (pids[static_cast<std::size_t>(r)] != pid) continue;
      if (WIFSTOPPED(status) || WIFCONTINUED(status)) {
        paused[static_cast<std::size_t>(r)] = WIFSTOPPED(status);
        break;
      }
      exits[static_cast<std::size_t>(r)] = decode(r, pid, status);
      exits[static_cast<std::size_t>(r)].stopped_by_launcher = stopping || ended[static_cast<std::size_t>(r)];
      done[static_cast<std::size_t>(r)] = true;
      --running;
      if (!elastic && !stopping && exits[static_cast<std::size_t>(r)].exit_code != 0) stop_all();
    }
  }
  for (auto& e : exits) e.message = read_first_line(error_file(err_dir, e.rank));
  store.reset(); // before its file goes
  cleanup();
  return exits;
}

std::string describe_failures(const std::vector<RankExit>& exits) {
  std::string out;
  for (const auto& e : exits) {
    if (e.exit_code == 0) continue;
    if (!out.empty()) out += "; ";
    const std::string how = e.signal ? fmt::format("was killed by signal {} ({})", e.signal, strsignal(e.signal))
                                     : fmt::format("exited with status {}", e.exit_code);
    out += fmt::format("rank {} (pid {}) {}{}", e.rank, e.pid, how,
                       e.stopped_by_launcher ? " after being stopped by the launcher" : "");
  }
  return out;
}

} // namespace resist::exec
