// The chain of a ring phase on free links: what the step replay (collective_replay.cpp) takes for one ring
// phase, computed without replaying it, so a phase replayed as spans ends when its steps would.
#include "sim/ring_chain.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "core/collective.hpp"

namespace resist::sim {

RingChain ring_chain(const std::vector<RingHop>& given, int steps) {
  RingChain out;
  out.free_s.assign(given.size(), 0.0);
  if (given.empty() || steps < 1) return out;
  auto by_pair = [](const RingHop& a, const RingHop& b) { return std::make_pair(a.src, a.dst) < std::make_pair(b.src, b.dst); };
  std::vector<RingHop> hops = given;
  // Two spans of one connection in a phase go one after the other: one hop carrying both.
  std::stable_sort(hops.begin(), hops.end(), by_pair);
  std::vector<RingHop> merged;
  for (const RingHop& h : hops)
    if (!merged.empty() && merged.back().src == h.src && merged.back().dst == h.dst) {
      merged.back().wire_s += h.wire_s;
      merged.back().channels = merged.back().channels == 0 || h.channels == 0 ? 0 : merged.back().channels | h.channels;
    } else {
      merged.push_back(h);
    }
  const std::size_t e = merged.size();
  // Each hop's inputs: the hops into its source that share a channel with it.
  std::map<int, int> worker_of;
  for (const RingHop& h : merged) worker_of.emplace(h.src, static_cast<int>(worker_of.size()));
  std::vector<std::vector<std::size_t>> into(worker_of.size()), inputs(e);
  std::vector<std::size_t> src_of(e);
  for (std::size_t i = 0; i < e; ++i) {
    src_of[i] = static_cast<std::size_t>(worker_of.at(merged[i].src));
    if (const auto it = worker_of.find(merged[i].dst); it != worker_of.end())
      into[static_cast<std::size_t>(it->second)].push_back(i);
  }
  bool fed = true; // every hop has an input (a ring, or rings)
  for (std::size_t i = 0; i < e; ++i) {
    for (std::size_t j : into[src_of[i]])
      if (channels_meet(merged[i].channels, merged[j].channels)) inputs[i].push_back(j);
    fed = fed && !inputs[i].empty();
  }
  std::vector<double> last_start(e, 0.0); // each merged hop's last step: when it starts
  // A connection is free once its last step is on the wire. Where two spans share it, the first frees it at
  // once (the second starts beside it and SimGrid shares the link), the last when the hop's last step would.
  auto finish = [&](double chain_s) {
    out.chain_s = chain_s;
    std::vector<char> seen(e, 0); // backwards: the first seen of a connection is its last given
    for (std::size_t g = given.size(); g-- > 0;) {
      const auto m = static_cast<std::size_t>(std::lower_bound(merged.begin(), merged.end(), given[g], by_pair) - merged.begin());
      out.free_s[g] = seen[m] ? 0.0 : last_start[m] + merged[m].wire_s;
      seen[m] = 1;
    }
    return out;
  };
  bool equal = true;
  for (const RingHop& h : merged) equal = equal && h.latency_s == merged[0].latency_s && h.wire_s == merged[0].wire_s;
  // Equal hops, each fed by one like it: every step waits for the one before it on the previous hop, so
  // each pays latency and wire.
  if (equal && fed) {
    const double step_s = merged[0].latency_s + merged[0].wire_s;
    last_start.assign(e, (steps - 1) * step_s);
    return finish(steps * step_s);
  }
  const double work = static_cast<double>(steps) * static_cast<double>(e);
  if (work > kRingChainWorkMax) {
    // Beyond what the recursion below does in a fraction of a second: the larger of the two walks it
    // usually picks, all steps on one hop (each its wire, or an eighth of latency + wire where the slots
    // bind), or every step a hop further (the mean hop's latency + wire).
    double stay_s = 0, mean_s = 0;
    for (const RingHop& h : merged) {
      const double per_step_s = std::max(h.wire_s, (h.latency_s + h.wire_s) / kRingSlots);
      stay_s = std::max(stay_s, (steps - 1) * per_step_s + h.latency_s + h.wire_s);
      mean_s += (h.latency_s + h.wire_s) / static_cast<double>(e);
    }
    const double chain_s = std::max(stay_s, steps * mean_s);
    for (std::size_t i = 0; i < e; ++i) last_start[i] = chain_s - merged[i].latency_s - merged[i].wire_s;
    return finish(chain_s);
  }
  // start[k] and arrive[k] of every hop's step k, kept for the last kRingSlots + 1 steps.
  std::vector<std::vector<double>> arrive(kRingSlots + 1, std::vector<double>(e, 0.0));
  std::vector<double> start(e, 0.0);
  for (int k = 0; k < steps; ++k) {
    const auto& before = arrive[static_cast<std::size_t>((k + kRingSlots) % (kRingSlots + 1))];
    auto& now = arrive[static_cast<std::size_t>(k % (kRingSlots + 1))]; // holds step k - kRingSlots - 1: free
    const auto& slot = arrive[static_cast<std::size_t>((k + 1) % (kRingSlots + 1))]; // step k - kRingSlots
    for (std::size_t i = 0; i < e; ++i) {
      double s = 0;
      if (k > 0)
        for (std::size_t j : inputs[i]) s = std::max(s, before[j]);
      if (k > 0) s = std::max(s, start[i] + merged[i].wire_s);
      if (k >= kRingSlots) s = std::max(s, slot[i]);
      start[i] = s;
      now[i] = s + merged[i].latency_s + merged[i].wire_s;
    }
  }
  const auto& last = arrive[static_cast<std::size_t>((steps - 1) % (kRingSlots + 1))];
  last_start = start;
  return finish(*std::max_element(last.begin(), last.end()));
}

} // namespace resist::sim
