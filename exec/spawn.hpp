// The local launcher behind `resist train --nproc N`: N copies of this binary on one machine, with the
// env:// variables torchrun would set (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1)
// plus RESIST_LOCAL_LAUNCHER=1 and RESIST_STORE_FILE: the ranks rendezvous through a c10d FileStore in the
// launcher's private folder (mode 0700, removed at the end), so no port is opened for the store and Gloo
// listens on loopback only. Each rank also gets RESIST_ERROR_FILE: main() writes its error line there instead
// of to stderr, so the launcher reports one line for the job (the first failing rank's message) instead of
// one per rank.
#pragma once
#include <string>
#include <vector>

namespace resist::exec {

/// What a rank's error says when it failed because a peer did (Comm::wait_all): the launcher reports another
/// rank's own failure before such a line.
inline constexpr const char* kPeerFailed = "another rank died, hung or is unreachable";

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back, close).
int find_free_port();

struct RankExit {
  int rank = 0;
  int pid = 0;
  int exit_code = 0; // exit status, or 128 + signal for a rank killed by a signal
  int signal = 0;    // the signal that ended it, 0 if it exited
  bool stopped_by_launcher = false; // we ended it after another rank failed
  std::string message;               // the rank's own error line (from RESIST_ERROR_FILE), if it wrote one
};

/// Runs `argv` (argv[0] is ignored: this binary re-executes itself) as `nproc` ranks and waits for all.
/// When a rank fails, the others get SIGTERM, then SIGKILL after `grace_s`. Returns one entry per rank.
/// `elastic` (resist train --elastic): a failed rank ends nobody; a rank the survivors left out (the store's
/// `resist/elastic/excluded/<rank>`, exec/elastic.hpp) is killed, as is a stopped one once no other runs.
/// Throws Error when a process cannot be started.
std::vector<RankExit> spawn_local_ranks(const std::vector<std::string>& argv, int nproc, double grace_s = 5.0,
                                        bool elastic = false);

/// One line per failed rank ("rank 1 (pid 123) was killed by signal 9"); empty when all succeeded.
std::string describe_failures(const std::vector<RankExit>& exits);

} // namespace resist::exec
