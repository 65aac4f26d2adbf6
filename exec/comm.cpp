#include "exec/comm.hpp"

#include <fmt/format.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#ifdef RESIST_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "core/error.hpp"
#include "exec/rendezvous_store.hpp"
#include "exec/spawn.hpp"

namespace resist::exec {

bool nccl_compiled() {
#ifdef RESIST_WITH_NCCL
  return true;
#else
  return false;
#endif
}

Backend parse_backend(const std::string& name) {
  if (name == "gloo") return Backend::gloo;
  if (name == "nccl") {
    if (!nccl_compiled())
      throw InputError("--backend nccl: this build has no NCCL (the LibTorch it was built with has no CUDA); "
                       "use --backend gloo or rebuild against a CUDA LibTorch");
    return Backend::nccl;
  }
  throw InputError(fmt::format("unknown backend '{}' (known: gloo, nccl)", name));
}

namespace {

std::chrono::milliseconds to_ms(double s) { return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000)); }

bool is_loopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0; }

std::string join(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : "-") + std::to_string(x);
  return s;
}

std::int64_t tensor_bytes(const torch::Tensor& t) { return t.numel() * static_cast<std::int64_t>(t.element_size()); }

} // namespace

std::vector<int> split_ints(const std::string& s) {
  std::vector<int> out;
  std::size_t at = 0;
  while (at < s.size()) {
    const std::size_t comma = std::min(s.find(',', at), s.size());
    if (comma > at) out.push_back(std::stoi(s.substr(at, comma - at)));
    at = comma + 1;
  }
  return out;
}

Comm::Comm(const LaunchInfo& launch, const CommOptions& options)
    : rank_(launch.rank), size_(launch.world_size), launch_(launch), options_(options) {
  // The whole rendezvous (store, every rank's arrival, the world group) ends within one --timeout-s:
  // the store server does not wait for its clients itself; ranks count themselves in and wait for
  // the count against one deadline, so a rank that never joins fails the others once, with one line.
  const auto deadline = std::chrono::steady_clock::now() + to_ms(options.timeout_s);
  auto fail = [&](const std::string& why) {
    return Error(fmt::format("rank {}: rendezvous with {} ranks at {} failed within {} s (is every rank started, "
                             "and is the address reachable?): {}",
                             rank_, size_, rendezvous_address(launch), options.timeout_s,
                             why.substr(0, why.find('\n'))));
  };
  try {
    store_ = make_rendezvous_store(launch, options.timeout_s);
    root_ = store_;
    std::int64_t joined = store_->add("resist/joined", 1);
    while (joined < size_) {
      if (std::chrono::steady_clock::now() > deadline)
        throw fail(fmt::format("{} of {} ranks joined", joined, size_));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      joined = store_->add("resist/joined", 0);
    }
    world_ = make_group(c10::make_intrusive<c10d::PrefixStore>("world", store_), rank_, size_);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw fail(e.what());
  }
}

std::unique_ptr<Comm> Comm::regroup(const std::string& prefix, int rank, int size) const {
  std::unique_ptr<Comm> c(new Comm());
  c->rank_ = rank;
  c->size_ = size;
  c->launch_ = launch_;
  c->options_ = options_;
  c->root_ = root_;
  c->store_ = c10::make_intrusive<c10d::PrefixStore>(prefix, root_);
  try {
    c->world_ = c->make_group(c10::make_intrusive<c10d::PrefixStore>("world", c->store_), rank, size);
  } catch (const std::exception& e) {
    const std::string why = e.what();
    throw PeerError(fmt::format("rank {}: the survivors' process group ({} ranks, {}) failed: {}", rank, size, prefix,
                                why.substr(0, why.find('\n'))));
  }
  return c;
}

c10::intrusive_ptr<GroupBase> Comm::make_group(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size) {
#ifdef RESIST_WITH_NCCL
  if (options_.backend == Backend::nccl) {
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = to_ms(options_.timeout_s);
    return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, opts);
  }
#endif
  auto opts = c10d::ProcessGroupGloo::Options::create(to_ms(options_.timeout_s));
  opts->threads = options_.gloo_threads;
  // GLOO_SOCKET_IFNAME is read by torch's Python binding only; a C++ program honours it itself.
  if (const char* ifnames = std::getenv("GLOO_SOCKET_IFNAME"); ifnames && *ifnames) {
    std::string list = ifnames;
    for (std::size_t at = 0; at <= list.size();) {
      const std::size_t comma = std::min(list.find(',', at), list.size());
      if (comma > at) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(list.substr(at, comma - at)));
      at = comma + 1;
    }
  } else if (is_loopback(launch_.master_addr)) {
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  } else {
    opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, opts);
}

double Comm::ensure_groups(const std::vector<std::vector<int>>& member_sets) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t before = created_.size();
  for (const auto& members : member_sets) {
    if (static_cast<int>(members.size()) == size_ || members.size() < 2) continue; // world, or no reduction
    if (std::find(created_.begin(), created_.end(), members) != created_.end()) continue;
    created_.push_back(members);
    const auto me = std::find(members.begin(), members.end(), rank_);
    if (me == members.end()) continue; // only members construct (and wait for each other)
    try {
      auto prefixed = c10::make_intrusive<c10d::PrefixStore>("group/" + join(members), store_);
      groups_[members] = make_group(prefixed, static_cast<int>(me - members.begin()), static_cast<int>(members.size()));
    } catch (const std::exception& e) {
      throw PeerError(fmt::format("rank {}: creating the process group of ranks {{{}}} failed: {}", rank_, join(members), e.what()));
    }
  }
  if (created_.size() == before) return 0;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

GroupBase& Comm::group_for(const std::vector<int>& members) {
  if (static_cast<int>(members.size()) == size_) return *world_;
  const auto it = groups_.find(members);
  if (it == groups_.end()) throw Error(fmt::format("rank {}: no process group for ranks {{{}}}", rank_, join(members)));
  return *it->second;
}

Work Comm::allreduce(torch::Tensor& t, const std::vector<int>& members) {
  std::vector<torch::Tensor> v{t};
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::SUM; // Gloo rejects AVG: callers divide
  o.timeout = to_ms(options_.timeout_s);
  handed_out_bytes += tensor_bytes(t);
  handed_in_bytes += tensor_bytes(t);
  return group_for(members).allreduce(v, o);
}

Work Comm::broadcast(torch::Tensor& t, int root) {
  std::vector<torch::Tensor> v{t};
  c10d::BroadcastOptions o;
  o.rootRank = root;
  o.timeout = to_ms(options_.timeout_s);
  return world_->broadcast(v, o);
}

Work Comm::reduce(torch::Tensor& t, int root) {
  std::vector<torch::Tensor> v{t};
  c10d::ReduceOptions o;
  o.rootRank = root;
  o.reduceOp = c10d::ReduceOp::SUM;
  o.timeout = to_ms(options_.timeout_s);
  return world_->reduce(v, o);
}

double Comm::probe_group_create(const std::vector<int>& members, const std::string& tag) {
  const auto me = std::find(members.begin(), members.end(), rank_);
  if (me == members.end()) return 0;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("probe/" + tag + "/" + join(members), store_);
    probes_.push_back(make_group(prefixed, static_cast<int>(me - members.begin()), static_cast<int>(members.size())));
  } catch (const std::exception& e) {
    throw Error(fmt::format("rank {}: creating a probe process group of ranks {{{}}} failed: {}", rank_, join(members), e.what()));
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

torch::Tensor Comm::stage_for_gloo(const torch::Tensor& t, bool copy) const {
  if (options_.backend != Backend::gloo || !t.is_cuda()) return {};
  return copy ? t.to(torch::kCPU) : torch::empty(t.sizes(), t.options().device(torch::kCPU));
}

Work Comm::send(torch::Tensor& t, int dst, int tag) {
  handed_out_bytes += tensor_bytes(t);
  torch::Tensor host = stage_for_gloo(t, true);
  std::vector<torch::Tensor> v{host.defined() ? host : t};
  Work w = world_->send(v, dst, tag);
  if (host.defined()) staged_[w.get()] = {host, {}};
  return w;
}

Work Comm::recv(torch::Tensor& t, int src, int tag) {
  handed_in_bytes += tensor_bytes(t);
  torch::Tensor host = stage_for_gloo(t, false);
  std::vector<torch::Tensor> v{host.defined() ? host : t};
  Work w = world_->recv(v, src, tag);
  if (host.defined()) staged_[w.get()] = {host, t};
  return w;
}

std::vector<int> Comm::everyone() const {
  std::vector<int> all(static_cast<std::size_t>(size_));
  for (int r = 0; r < size_; ++r) all[static_cast<std::size_t>(r)] = r;
  return all;
}

void Comm::barrier(const std::string& what, double timeout_s) {
  if (size_ == 1) return;
  std::vector<Work> w;
  c10d::BarrierOptions o;
  o.timeout = to_ms(timeout_s > 0 ? timeout_s : options_.timeout_s);
  try {
    w.push_back(world_->barrier(o));
  } catch (const std::exception& e) {
    throw PeerError(fmt::format("rank {}: {} failed: {}", rank_, what, e.what()));
  }
  wait_all(w, what);
}

void Comm::wait_all(std::vector<Work>& works, const std::string& what) {
  std::string first_error;
  for (auto& w : works) { // wait for all even after a failure, so no operation outlives its buffers
    try {
      if (w) w->wait();
      const auto it = staged_.find(w.get());
      if (it != staged_.end() && it->second.device.defined()) it->second.device.copy_(it->second.host);
    } catch (const std::exception& e) {
      if (first_error.empty()) first_error = e.what();
    }
    staged_.erase(w.get());
  }
  works.clear();
  if (!first_error.empty()) {
    const auto nl = first_error.find('\n'); // c10 appends a C++ backtrace; the first line says it
    throw PeerError(fmt::format("rank {}: {} failed: {} (timeout {} s): {}", rank_, what, kPeerFailed, options_.timeout_s,
                                first_error.substr(0, nl)));
  }
}

std::vector<std::string> Comm::all_gather_strings(const std::string& key, const std::string& value) {
  try {
    // Never an empty value on the store: with LibTorch 1.13's TCPStore, each get of a key holding an empty
    // value took about 0.2 s (the trainer's clock exchange, where ranks 1..N-1 sent "", cost 0.62 s of
    // startup on 4 ranks; measured with per-rank startup marks). Hence one marker byte in front.
    const std::string tagged = "=" + value;
    store_->set(fmt::format("{}/{}", key, rank_), std::vector<std::uint8_t>(tagged.begin(), tagged.end()));
    std::vector<std::string> out;
    for (int r = 0; r < size_; ++r) {
      const auto got = store_->get(fmt::format("{}/{}", key, r)); // waits up to the store timeout
      if (got.empty() || got.front() != '=')
        throw Error(fmt::format("key '{}/{}' holds no value of this program", key, r));
      out.emplace_back(got.begin() + 1, got.end());
    }
    return out;
  } catch (const std::exception& e) {
    const std::string msg = e.what();
    throw PeerError(fmt::format("rank {}: exchanging '{}' through the store failed: {}", rank_, key, msg.substr(0, msg.find('\n'))));
  }
}

} // namespace resist::exec
