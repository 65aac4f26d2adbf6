#include "exec/rendezvous_store.hpp"

#include <fmt/format.h>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/HashStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>

namespace resist::exec {

c10::intrusive_ptr<c10d::Store> make_rendezvous_store(const LaunchInfo& launch, double timeout_s) {
  const std::chrono::milliseconds timeout(static_cast<std::int64_t>(timeout_s * 1000));
  c10::intrusive_ptr<c10d::Store> store;
  if (launch.world_size == 1) {
    store = c10::make_intrusive<c10d::HashStore>();
  } else if (!launch.store_file.empty()) {
    // numWorkers -1: no rank deletes the file on exit (a rank that is replaced or dies would miscount);
    // the launcher removes its folder when every rank has ended.
    store = c10::make_intrusive<c10d::FileStore>(launch.store_file, -1);
  } else {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(launch.master_port);
    so.isServer = launch.rank == 0 && !launch.agent_store;
    if (!launch.agent_store) so.numWorkers = static_cast<std::size_t>(launch.world_size);
    so.waitWorkers = false;
    so.timeout = timeout;
    store = c10::make_intrusive<c10d::TCPStore>(launch.master_addr, so);
  }
  store->setTimeout(timeout);
  if (!launch.store_prefix.empty()) store = c10::make_intrusive<c10d::PrefixStore>(launch.store_prefix, store);
  return store;
}

std::string rendezvous_address(const LaunchInfo& launch) {
  if (launch.world_size == 1) return "this process";
  if (!launch.store_file.empty()) return "file " + launch.store_file;
  return fmt::format("{}:{}", launch.master_addr, launch.master_port);
}

} // namespace resist::exec
