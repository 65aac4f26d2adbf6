#include "sim/child_process.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <vector>

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

namespace {

struct Child {
  pid_t pid = -1;
  int fd = -1;
  std::string reply;
};

Child start_child(const std::function<std::string()>& body) {
  int fds[2];
  if (::pipe(fds) != 0) throw Error(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw Error(fmt::format("cannot start the simulation process: {}", std::strerror(errno)));
  }
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
  return {pid, fds[0], {}};
}

/// Reaps an ended child (its pipe at end of file) and decodes its reply.
std::string finish_child(Child& c, const std::string& what) {
  ::close(c.fd);
  int wstatus = 0;
  while (::waitpid(c.pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (c.reply.empty())
    throw Error(fmt::format("the simulation of {} ended without a result ({} {})", what,
                            WIFSIGNALED(wstatus) ? "signal" : "exit",
                            WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus)));
  const std::string body_text = c.reply.substr(1);
  if (c.reply[0] == 'I') throw InputError(body_text);
  if (c.reply[0] == 'E') throw Error(body_text);
  return body_text;
}

} // namespace

std::string run_in_child(const std::function<std::string()>& body, const std::string& what) {
  Child c = start_child(body);
  c.reply = read_all(c.fd);
  return finish_child(c, what);
}

void run_in_children(std::size_t count, int jobs, const std::function<std::string(std::size_t)>& body,
                     const std::function<void(std::size_t, std::string)>& done,
                     const std::function<std::string(std::size_t)>& what) {
  if (jobs < 1) throw InputError(fmt::format("{} parallel jobs: must be >= 1", jobs));
  std::map<std::size_t, Child> running; // by index
  std::size_t next = 0;
  std::exception_ptr failure;
  while ((next < count && !failure) || !running.empty()) {
    while (!failure && next < count && static_cast<int>(running.size()) < jobs) {
      try {
        running.emplace(next, start_child([&body, i = next] { return body(i); }));
      } catch (...) {
        failure = std::current_exception();
        break;
      }
      ++next;
    }
    if (running.empty()) break;
    // Wait for output from any child; a child whose pipe reaches end of file has ended.
    std::vector<pollfd> fds;
    std::vector<std::size_t> ids;
    for (const auto& [i, c] : running) {
      fds.push_back({c.fd, POLLIN, 0});
      ids.push_back(i);
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw Error(fmt::format("waiting for simulation processes: {}", std::strerror(errno)));
    }
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Child& c = running.at(ids[k]);
      char buf[1 << 16];
      const ssize_t n = ::read(c.fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        c.reply.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      Child ended = std::move(c);
      running.erase(ids[k]);
      try {
        std::string result = finish_child(ended, what(ids[k]));
        if (!failure) done(ids[k], std::move(result));
      } catch (...) {
        if (!failure) failure = std::current_exception(); // the first one; the others still end
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

} // namespace resist::sim
