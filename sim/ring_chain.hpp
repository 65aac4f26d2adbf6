// A ring phase's chain of steps on free links (the step replay's rule, sim/collective_replay.hpp), for the
// spans that stand for those steps.
#pragma once
#include <cstdint>
#include <vector>

namespace resist::sim {

/// NCCL's buffer slots per connection (NCCL_STEPS): a connection's step k starts no sooner than its step
/// k - kRingSlots has arrived.
constexpr int kRingSlots = 8;
/// Steps x hops beyond which ring_chain estimates instead of running its recursion.
constexpr double kRingChainWorkMax = 2e8;

/// One hop of a ring phase: its step's route latency and seconds on the wire.
struct RingHop {
  int src = 0, dst = 0;
  double latency_s = 0, wire_s = 0;
  std::uint64_t channels = 0; // Transfer::channels: a step waits for the steps into its source sharing one
};
struct RingChain {
  double chain_s = 0;         // the last step's arrival
  // Per hop given: when its connection is free, its last step's start + wire; 0 for all but the last of
  // several hops given on one connection (the next starts beside it).
  std::vector<double> free_s;
};
/// The step replay's time for `steps` steps of a ring phase on free links: a hop's step k starts once the
/// steps k - 1 into its source that share a channel with it have arrived, its own step k - 1 is on the wire
/// and its step k - kRingSlots has arrived, and arrives latency + wire seconds later. Equal hops, each fed by
/// another, give steps x (latency + wire), the closed form. Beyond kRingChainWorkMax steps x hops an
/// estimate: the larger of staying on one hop (its wire per step, or (latency + wire) / kRingSlots where
/// the slots bind) and steps x the mean hop's latency + wire.
RingChain ring_chain(const std::vector<RingHop>& hops, int steps);

} // namespace resist::sim
