// Helpers shared by the simulator tests: small schedules and the events of one worker.
#pragma once
#include <string>
#include <vector>

#include "core/schedule.hpp"
#include "sim/simulate.hpp"

namespace resist::sim::test {

/// A short run of a small model (3 rounds of 2 steps unless told otherwise).
inline Schedule small_schedule(Protocol protocol, int workers, const std::string& model = "preact_resnet_small",
                               int min_depth = 0, int rounds = 3, int local_steps = 2) {
  RunConfig c;
  c.model = model;
  c.protocol = protocol;
  c.workers = workers;
  c.min_depth = protocol == Protocol::resist ? min_depth : 0;
  c.rounds = rounds;
  c.local_steps = local_steps;
  c.batch = 32;
  if (model.rfind("mlp", 0) == 0) c.dataset = "fashion_mnist";
  return make_schedule(c);
}

inline std::vector<TimelineEvent> events_of(const SimResult& r, int worker, Phase phase, int round = 0) {
  std::vector<TimelineEvent> out;
  for (const auto& e : r.timeline)
    if (e.worker == worker && e.phase == phase && e.round == round) out.push_back(e);
  return out;
}

} // namespace resist::sim::test
