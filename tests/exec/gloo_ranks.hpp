// Ranks of a real Gloo job as threads of one test process: a TCPStore on a free loopback port, a Comm
// per thread, and whatever a rank throws rethrown once every rank has joined.
#pragma once
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/run_config.hpp"
#include "exec/comm.hpp"
#include "exec/data.hpp"
#include "exec/spawn.hpp"

namespace resist::exec::test {

/// rank(comm, r) on `workers` threads of one intra-op thread each, with `timeout_s` for every c10d
/// operation; rethrows the first rank's exception after all have joined.
inline void run_gloo_ranks(int workers, const std::function<void(Comm&, int)>& rank, double timeout_s = 30) {
  const int port = find_free_port();
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(workers));
  std::vector<std::thread> threads;
  for (int r = 0; r < workers; ++r)
    threads.emplace_back([&, r] {
      try {
        at::set_num_threads(1); // per thread: OpenMP's thread count is a per-thread setting
        LaunchInfo li;
        li.rank = r;
        li.world_size = workers;
        li.master_port = port;
        Comm comm(li, {Backend::gloo, timeout_s});
        rank(comm, r);
      } catch (...) {
        errors[static_cast<std::size_t>(r)] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

/// The CPU generator is global to the process: one rank at a time seeds it and draws its weights.
template <typename Draw> void with_init_seed(std::uint64_t seed, Draw&& draw) {
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  torch::manual_seed(seed);
  draw();
}

/// The run's synthetic training set at 8 x 8 pixels.
inline Dataset tiny_data(const RunConfig& c, int channels = DataOptions{}.channels) {
  DataOptions o;
  o.name = "synthetic";
  o.train_size = c.train_size;
  o.seed = c.seed;
  o.channels = channels;
  o.image_size = 8;
  return load_dataset(o, true);
}

} // namespace resist::exec::test
