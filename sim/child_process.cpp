#include "sim/child_process.hpp"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"

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

} // namespace

std::string run_in_child(const std::function<std::string()>& body, const std::string& what) {
  int fds[2];
  if (::pipe(fds) != 0) throw Error(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(fmt::format("cannot start the simulation process: {}", std::strerror(errno)));
  if (pid == 0) {
    ::close(fds[0]);
    char status = 'O'; // 'O' result, 'I' input error, 'E' other error
    std::string reply;
    try {
      reply = body();
    } catch (const InputError& e) {
      status = 'I';
      reply = e.what();
    } catch (const std::exception& e) {
      status = 'E';
      reply = e.what();
    }
    const bool ok = write_all(fds[1], &status, 1) && write_all(fds[1], reply.data(), reply.size());
    ::close(fds[1]);
    std::fflush(stderr);
    ::_exit(ok ? 0 : 3); // skip atexit handlers: SimGrid's belong to this child only
  }
  ::close(fds[1]);
  const std::string reply = read_all(fds[0]);
  ::close(fds[0]);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (reply.empty())
    throw Error(fmt::format("the simulation of {} ended without a result ({} {})", what,
                            WIFSIGNALED(wstatus) ? "signal" : "exit",
                            WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus)));
  const std::string body_text = reply.substr(1);
  if (reply[0] == 'I') throw InputError(body_text);
  if (reply[0] == 'E') throw Error(body_text);
  return body_text;
}

} // namespace resist::sim
