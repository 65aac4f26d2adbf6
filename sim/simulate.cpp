#include "sim/simulate.hpp"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/error.hpp"
#include "sim/comm_pattern.hpp"
#include "sim/gpu_model.hpp"
#include "sim/platform.hpp"
#include "sim/result_io.hpp"

namespace resist::sim {
namespace {

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t k = ::write(fd, data, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    data += k;
    n -= static_cast<std::size_t>(k);
  }
  return true;
}

std::string read_all(int fd) {
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t k = ::read(fd, buf, sizeof buf);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    out.append(buf, static_cast<std::size_t>(k));
  }
  return out;
}

/// Child side: simulate, then send one status byte ('O' result, 'I' input error, 'E' error) and the body.
[[noreturn]] void run_child(int fd, const Schedule& schedule, const SimOptions& options) {
  char status = 'O';
  std::string body;
  try {
    body = encode_result(simulate_in_process(schedule, options));
  } catch (const InputError& e) {
    status = 'I';
    body = e.what();
  } catch (const std::exception& e) {
    status = 'E';
    body = e.what();
  }
  const bool ok = write_all(fd, &status, 1) && write_all(fd, body.data(), body.size());
  ::close(fd);
  std::fflush(stderr);
  ::_exit(ok ? 0 : 3); // skip atexit handlers: SimGrid's belong to this child only
}

} // namespace

PlatformDesc platform_for(const SimOptions& options) {
  PlatformDesc d = resolve_platform(options.platform);
  if (options.nic_bw_GBps > 0) {
    if (!d.parametric)
      throw InputError(fmt::format("a bandwidth override needs a parametric platform; '{}' is SimGrid XML",
                                   options.platform));
    d.spec.nic_bw_GBps = options.nic_bw_GBps;
  } else if (options.nic_bw_GBps < 0) {
    throw InputError(fmt::format("bandwidth {} GB/s: must be > 0", options.nic_bw_GBps));
  }
  return d;
}

SimResult simulate(const Schedule& schedule, const SimOptions& options) {
  // Options that can be checked without an engine fail here, before any process is started.
  platform_for(options);
  parse_collective(options.collective);
  parse_math(options.math);
  // For debuggers and profilers: RESIST_SIM_IN_PROCESS=1 simulates here (once per process only).
  if (const char* v = std::getenv("RESIST_SIM_IN_PROCESS"); v && std::string(v) == "1")
    return simulate_in_process(schedule, options);
  int fds[2];
  if (::pipe(fds) != 0) throw Error(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(fmt::format("cannot start the simulation process: {}", std::strerror(errno)));
  if (pid == 0) {
    ::close(fds[0]);
    run_child(fds[1], schedule, options);
  }
  ::close(fds[1]);
  const std::string reply = read_all(fds[0]);
  ::close(fds[0]);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (reply.empty()) {
    if (WIFSIGNALED(wstatus))
      throw Error(fmt::format("the simulation of platform '{}' crashed (signal {})", options.platform,
                              WTERMSIG(wstatus)));
    throw Error(fmt::format("the simulation of platform '{}' ended without a result (exit {})", options.platform,
                            WEXITSTATUS(wstatus)));
  }
  const std::string body = reply.substr(1);
  if (reply[0] == 'I') throw InputError(body);
  if (reply[0] == 'E') throw Error(body);
  return decode_result(body);
}

} // namespace resist::sim
