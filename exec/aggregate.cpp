#include "exec/aggregate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/comm.hpp"
#include "core/error.hpp"
#include "core/partition.hpp"

namespace resist::exec {

namespace {

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }


constexpr int kDeliverTag = 1;
constexpr int kEvalTag = 2;

} // namespace

Aggregator::Aggregator(Comm& comm, PreActNetImpl& net, const Model& model, const Schedule& schedule)
    : comm_(comm), net_(net), model_(model), schedule_(schedule) {
  if (schedule.config.protocol != Protocol::data_parallel) return;
  // The same assignment as core's gradient_buckets(): layers from last to first, a layer never split.
  std::vector<torch::Tensor> cur;
  std::int64_t cur_bytes = 0;
  for (int b = static_cast<int>(model.blocks.size()) - 1; b >= 0; --b) {
    const auto& layers = model.blocks[static_cast<std::size_t>(b)].layers;
    for (int l = static_cast<int>(layers.size()) - 1; l >= 0; --l) {
      if (layers[static_cast<std::size_t>(l)].params == 0) continue;
      for (const auto& p : net.layer_params(b, l)) {
        cur.push_back(p);
        cur_bytes += bytes_of(p);
      }
      const std::int64_t cap = buckets_.empty() ? std::int64_t{1} << 20 : std::int64_t{25} << 20;
      if (cur_bytes >= cap) {
        buckets_.push_back(std::move(cur));
        cur.clear();
        cur_bytes = 0;
      }
    }
  }
  if (!cur.empty()) buckets_.push_back(std::move(cur));
  if (buckets_.size() != gradient_buckets(model).size())
    throw Error("data parallel: gradient buckets differ from core's gradient_buckets()");
}

std::vector<std::vector<int>> Aggregator::holders(int round) const {
  const ResistPartition part = round_partition(schedule_, round);
  std::vector<std::vector<int>> out(model_.blocks.size());
  for (std::size_t b = 0; b < model_.blocks.size(); ++b) {
    const bool partitioned = contains(schedule_.partitionable, static_cast<int>(b));
    for (int w = 0; w < comm_.size(); ++w)
      if (!partitioned || contains(part.worker_blocks[static_cast<std::size_t>(w)], static_cast<int>(b)))
        out[b].push_back(w);
  }
  return out;
}

torch::Tensor Aggregator::flatten(const std::vector<int>& blocks) const {
  std::vector<torch::Tensor> parts;
  for (int b : blocks)
    for (const auto& p : net_.block_params(b)) parts.push_back(p.detach().reshape({-1}));
  return torch::cat(parts); // [sum of numel]
}

void Aggregator::unflatten(const torch::Tensor& flat, const std::vector<int>& blocks) const {
  torch::NoGradGuard no_grad;
  std::int64_t at = 0;
  for (int b : blocks)
    for (const auto& p : net_.block_params(b)) {
      p.detach().copy_(flat.narrow(0, at, p.numel()).view_as(p));
      at += p.numel();
    }
}

SyncStats Aggregator::sync_round(int round) {
  return sync(holders(round), holders(round + 1), fmt::format("round {}", round));
}

SyncStats Aggregator::sync(const std::vector<std::vector<int>>& now, const std::vector<std::vector<int>>& next,
                           const std::string& what) {
  SyncStats s;
  const int me = comm_.rank();
  for (std::size_t b = 0; b < now.size(); ++b)
    if (now[b].empty() || next[b].empty())
      throw Error(fmt::format("{}: block {} has no holder", what, model_.blocks[b].name));

  // 1-2. Average over each holder set (std::map: every rank walks the sets in the same order).
  std::map<std::vector<int>, std::vector<int>> by_set;
  for (std::size_t b = 0; b < now.size(); ++b) by_set[now[b]].push_back(static_cast<int>(b));
  std::vector<std::vector<int>> sets;
  for (const auto& [set, blocks] : by_set) sets.push_back(set);
  s.group_create_s = comm_.ensure_groups(sets);
  std::vector<std::pair<torch::Tensor, const std::vector<int>*>> reduced; // (flat, its holder set)
  std::vector<Work> works;
  for (const auto& [set, blocks] : by_set) {
    if (!contains(set, me)) continue;
    if (set.size() == 1) { // alone: the average is this rank's copy, no call needed
      for (int b : blocks)
        for (const auto& p : net_.block_params(b)) s.bytes_sent += bytes_of(p);
      continue;
    }
    torch::Tensor flat = flatten(blocks);
    s.bytes_sent += bytes_of(flat);
    works.push_back(comm_.allreduce(flat, set));
    reduced.emplace_back(flat, &set);
  }
  comm_.wait_all(works, fmt::format("{} sync (all-reduce)", what));
  for (auto& [flat, set] : reduced) {
    flat.div_(static_cast<double>(set->size()));
    unflatten(flat, by_set.at(*set));
  }

  // 3. Deliver to next round's holders that did not hold the block this round.
  std::map<std::pair<int, int>, std::vector<int>> by_pair; // (source, destination) -> blocks, ascending
  for (std::size_t b = 0; b < now.size(); ++b) {
    int k = 0;
    for (int dst : next[b]) {
      if (contains(now[b], dst)) continue;
      const int src = now[b][static_cast<std::size_t>(k++) % now[b].size()];
      by_pair[{src, dst}].push_back(static_cast<int>(b));
    }
    if (contains(next[b], me) && contains(now[b], me)) // taken from the all-reduce (or kept, if alone)
      for (const auto& p : net_.block_params(static_cast<int>(b))) s.bytes_received += bytes_of(p);
  }
  std::vector<std::pair<torch::Tensor, const std::vector<int>*>> incoming;
  for (const auto& [pair, blocks] : by_pair) {
    if (pair.first == me) {
      torch::Tensor flat = flatten(blocks);
      works.push_back(comm_.send(flat, pair.second, kDeliverTag));
      incoming.emplace_back(flat, nullptr); // keeps the send buffer alive until the wait
    } else if (pair.second == me) {
      std::int64_t n = 0;
      for (int b : blocks)
        for (const auto& p : net_.block_params(b)) n += p.numel();
      torch::Tensor buf = torch::empty({n}, net_.block_params(blocks.front()).front().options());
      s.bytes_received += bytes_of(buf);
      works.push_back(comm_.recv(buf, pair.first, kDeliverTag));
      incoming.emplace_back(buf, &blocks);
    }
  }
  comm_.wait_all(works, fmt::format("{} sync (delivery to the next round's holders)", what));
  for (auto& [buf, blocks] : incoming)
    if (blocks) unflatten(buf, *blocks);
  return s;
}

SyncStats Aggregator::allreduce_gradients() {
  SyncStats s;
  const std::vector<int> everyone = comm_.everyone();
  std::vector<torch::Tensor> flats;
  std::vector<Work> works;
  for (const auto& bucket : buckets_) {
    std::vector<torch::Tensor> grads;
    for (const auto& p : bucket) grads.push_back(p.grad().reshape({-1}));
    torch::Tensor flat = torch::cat(grads);
    s.bytes_sent += bytes_of(flat);
    s.bytes_received += bytes_of(flat);
    if (comm_.size() > 1) works.push_back(comm_.allreduce(flat, everyone));
    flats.push_back(flat);
  }
  comm_.wait_all(works, "gradient all-reduce");
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    flats[i].div_(static_cast<double>(comm_.size())); // only after every wait: no race with c10d
    std::int64_t at = 0;
    for (const auto& p : buckets_[i]) {
      p.grad().copy_(flats[i].narrow(0, at, p.numel()).view_as(p));
      at += p.numel();
    }
  }
  return s;
}

void Aggregator::gather_for_eval(int round) {
  if (schedule_.config.protocol == Protocol::data_parallel) return; // every rank holds the whole model
  gather_for_eval(holders(round), holders(round + 1), fmt::format("round {}", round));
}

void Aggregator::gather_for_eval(const std::vector<std::vector<int>>& now, const std::vector<std::vector<int>>& next,
                                 const std::string& what) {  std::map<int, std::vector<int>> by_source; // source rank -> blocks rank 0 lacks
  for (std::size_t b = 0; b < now.size(); ++b)
    if (!contains(now[b], 0) && !contains(next[b], 0)) by_source[next[b].front()].push_back(static_cast<int>(b));
  std::vector<Work> works;
  std::vector<std::pair<torch::Tensor, const std::vector<int>*>> bufs;
  for (const auto& [src, blocks] : by_source) {
    if (comm_.rank() == src) {
      torch::Tensor flat = flatten(blocks);
      works.push_back(comm_.send(flat, 0, kEvalTag));
      bufs.emplace_back(flat, nullptr);
    } else if (comm_.rank() == 0) {
      torch::Tensor buf = torch::empty_like(flatten(blocks));
      works.push_back(comm_.recv(buf, src, kEvalTag));
      bufs.emplace_back(buf, &blocks);
    }
  }
  comm_.wait_all(works, fmt::format("{} evaluation gather", what));
  for (auto& [buf, blocks] : bufs)
    if (blocks) unflatten(buf, *blocks);
}

} // namespace resist::exec
