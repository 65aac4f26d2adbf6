// The key-value store the ranks rendezvous through (arrivals, schedule hashes, Gloo's addresses, rows for
// rank 0), chosen by how the job was launched, behind c10d::Store:
//   one rank alone          an in-process HashStore: nothing listens
//   `resist train --nproc`  a FileStore in the launcher's private folder (mkdtemp, mode 0700, removed at
//                           the end): reachable by this machine's user only, no port at all
//   anything else           a TCPStore at MASTER_ADDR:MASTER_PORT, rank 0 serving unless torchrun's agent
//                           does. LibTorch 1.13's server listens on every interface, unauthenticated, as
//                           torchrun's does: such runs belong on a trusted network (README, `--help`).
#pragma once
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <string>

#include "exec/launch_env.hpp"

namespace resist::exec {

/// The store for `launch`, every operation bounded by `timeout_s`, under the launch's key prefix.
/// Throws what c10d throws (the caller adds context).
c10::intrusive_ptr<c10d::Store> make_rendezvous_store(const LaunchInfo& launch, double timeout_s);

/// Where the store is, for messages: "127.0.0.1:29500", "file /tmp/resist-launch-x/store", "this process".
std::string rendezvous_address(const LaunchInfo& launch);

} // namespace resist::exec
