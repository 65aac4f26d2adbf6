#include "core/comm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "core/error.hpp"

namespace resist {

const char* to_string(Protocol p) {
  switch (p) {
  case Protocol::resist: return "resist";
  case Protocol::local_sgd: return "local_sgd";
  case Protocol::data_parallel: return "data_parallel";
  case Protocol::ist: return "ist";
  case Protocol::layer_parallel: return "layer_parallel";
  }
  return "?";
}

const std::vector<Protocol>& all_protocols() {
  static const std::vector<Protocol> all = {Protocol::resist, Protocol::local_sgd, Protocol::data_parallel,
                                            Protocol::ist, Protocol::layer_parallel};
  return all;
}

Protocol parse_protocol(const std::string& name) {
  for (Protocol p : all_protocols())
    if (name == to_string(p)) return p;
  throw InputError(fmt::format("unknown protocol '{}' (known: resist, local_sgd, data_parallel, ist, layer_parallel)", name));
}

std::vector<WorkerBytes> payload_bytes(const CommPlan& plan, int workers) {
  std::vector<WorkerBytes> out(static_cast<std::size_t>(workers));
  for (const Exchange& e : plan.exchanges) {
    for (int w : e.contributors) out.at(static_cast<std::size_t>(w)).sent += e.bytes * e.repeat;
    for (int w : e.receivers) out.at(static_cast<std::size_t>(w)).received += e.bytes * e.repeat;
  }
  return out;
}

std::int64_t total_bytes(const std::vector<WorkerBytes>& per_worker) {
  std::int64_t n = 0;
  for (const auto& w : per_worker) n += w.sent + w.received;
  return n;
}

namespace {
std::vector<int> all_workers(int workers) {
  std::vector<int> v(static_cast<std::size_t>(workers));
  std::iota(v.begin(), v.end(), 0);
  return v;
}
} // namespace

std::int64_t shared_param_bytes(const Model& model, const std::vector<int>& partitionable) {
  std::int64_t n = model.param_bytes();
  for (int b : partitionable) n -= model.blocks[static_cast<std::size_t>(b)].param_bytes();
  return n;
}

CommPlan resist_plan(const Model& model, const ResistPartition& now, const ResistPartition& next) {
  if (now.partitionable != next.partitionable || now.workers() != next.workers())
    throw Error("resist_plan: rounds with different partitionable sets or worker counts");
  CommPlan plan;
  const auto everyone = all_workers(now.workers());
  plan.exchanges.push_back({"shared", shared_param_bytes(model, now.partitionable), everyone, everyone, 1});
  const auto holders_now = now.holders();
  const auto holders_next = next.holders();
  for (std::size_t i = 0; i < now.partitionable.size(); ++i) {
    const Block& b = model.blocks[static_cast<std::size_t>(now.partitionable[i])];
    plan.exchanges.push_back({b.name, b.param_bytes(), holders_now[i], holders_next[i], 1});
  }
  return plan;
}

CommPlan local_sgd_plan(const Model& model, int workers) {
  const auto everyone = all_workers(workers);
  return CommPlan{{{"model", model.param_bytes(), everyone, everyone, 1}}};
}

CommPlan data_parallel_plan(const Model& model, int workers, int steps) {
  const auto everyone = all_workers(workers);
  CommPlan plan;
  const auto buckets = gradient_buckets(model);
  for (std::size_t i = 0; i < buckets.size(); ++i)
    plan.exchanges.push_back({fmt::format("grad.bucket{}", i), buckets[i].bytes, everyone, everyone, steps});
  return plan;
}

CommPlan ist_plan(const Model& model, const IstPartition& now, const IstPartition& next) {
  CommPlan plan;
  const int workers = now.workers();
  const auto everyone = all_workers(workers);
  plan.exchanges.push_back({"shared", ist_shared_params(model) * kBytesPerParam, everyone, everyone, 1});
  for (int w = 0; w < workers; ++w) {
    // Disjoint slices: no averaging, an upload of this round's slice and a download of the next one.
    plan.exchanges.push_back({fmt::format("ist.w{}.gather", w), ist_worker_params(model, now, w) * kBytesPerParam,
                              {w}, {}, 1});
    plan.exchanges.push_back({fmt::format("ist.w{}.scatter", w),
                              ist_worker_params(model, next, w) * kBytesPerParam, {}, {w}, 1});
  }
  return plan;
}

std::vector<GradientBucket> gradient_buckets(const Model& model, std::int64_t first_cap_bytes,
                                             std::int64_t cap_bytes) {
  std::vector<GradientBucket> buckets;
  GradientBucket cur;
  for (int b = static_cast<int>(model.blocks.size()) - 1; b >= 0; --b) {
    const auto& layers = model.blocks[static_cast<std::size_t>(b)].layers;
    for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
      if (it->params == 0) continue;
      cur.bytes += it->param_bytes();
      cur.ready_after_block = b;
      const std::int64_t cap = buckets.empty() ? first_cap_bytes : cap_bytes;
      if (cur.bytes >= cap) {
        buckets.push_back(cur);
        cur = GradientBucket{};
      }
    }
  }
  if (cur.bytes > 0) buckets.push_back(cur);
  return buckets;
}

} // namespace resist
