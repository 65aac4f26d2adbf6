// Factors that hold for some rounds only (SimOptions::round_speed, round_link): a straggler's compute and a
// worker's degraded links, as sim/elastic_replay.hpp replays them from a run's events.
#pragma once
#include <string>
#include <vector>

#include "sim/platform.hpp"
#include "sim/simulate.hpp"

namespace simgrid::s4u {
class Link;
} // namespace simgrid::s4u

namespace resist::sim {

/// The product of the factors `windows` give worker w in round r (1: none).
double window_factor(const std::vector<WorkerRounds>& windows, int round, int w);

/// Throws InputError naming `what` for a worker outside 0..workers-1, a factor not finite and > 0, or rounds
/// that are no range.
void check_windows(const std::vector<WorkerRounds>& windows, int workers, const char* what);

/// Degraded links of link events: each worker's own links (those every route from it and every route to it
/// crosses: its GPU port, its NIC when it has one of its own) at its factor of the round, the lowest factor
/// where workers share one. Set on SimGrid's links between rounds, so only communication slows.
class LinkFactors {
public:
  LinkFactors(const std::vector<WorkerHost>& hosts, const std::vector<WorkerRounds>& windows);
  /// Sets the links for round r; true when anything changed (routes must be asked for again).
  bool apply(int round);
  /// The factors in force, appended to a reuse-cache key.
  void add_to_key(std::string& key) const;

private:
  struct Entry {
    simgrid::s4u::Link* link;
    double nominal_Bps;
    std::vector<int> owners;
  };
  const std::vector<WorkerRounds>& windows_;
  std::vector<double> applied_;
  std::vector<Entry> links_;
};

} // namespace resist::sim
