#include "core/comm_volume.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "core/schedule.hpp"

namespace resist {

CommVolume comm_volume(const RunConfig& config, Algorithm algorithm, int gpus_per_node) {
  if (gpus_per_node < 0) throw InputError(fmt::format("--gpus-per-node {}: must be >= 0", gpus_per_node));
  const Schedule s = make_schedule(config); // validates
  const Model model = make_model(config.model, config.model_options);
  const int workers = config.workers;
  std::vector<int> node_of;
  if (gpus_per_node > 0)
    for (int w = 0; w < workers; ++w) node_of.push_back(w / gpus_per_node);
  CommVolume v;
  v.warmup_rounds = local_sgd_warmup_rounds(config, s.steps_per_epoch);
  const int r0 = v.warmup_rounds; // the protocol's own first round (< the run's rounds: make_schedule checks)
  const CommPlan first = round_comm_plan(s, model, r0);
  v.slots = round_partition(s, r0).slots();
  v.bytes_per_round = total_bytes(payload_bytes(first, workers));
  // layer_parallel sends point to point between neighbours: no collective, the wire carries the payload.
  v.wire_bytes_per_round = config.protocol == Protocol::layer_parallel
                               ? v.bytes_per_round
                               : total_bytes(wire_bytes(first, workers, algorithm, node_of));
  v.rounds = static_cast<int>(s.rounds.size());
  for (const Round& r : s.rounds) {
    const std::int64_t bytes = total_bytes(payload_bytes(round_comm_plan(s, model, r.round), workers));
    v.bytes_per_run += bytes;
    if (r.round < v.warmup_rounds) v.warmup_bytes += bytes;
  }
  return v;
}

} // namespace resist
