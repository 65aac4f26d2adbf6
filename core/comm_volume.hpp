// One row of `resist comm` and of the checked-in communication-volume baseline: the bytes a
// configuration moves per round and per run. Shared by the CLI and the regression test.
#pragma once
#include <cstdint>

#include "core/collective.hpp"
#include "core/run_config.hpp"

namespace resist {

struct CommVolume {
  // "Round 0" below is the first round of the config's protocol: after a local SGD warm-up, its first ResIST round.
  int slots = 0;                          // partitioned-block slots of round 0 (S x P without ResIST)
  std::int64_t bytes_per_round = 0;       // payload rule, round 0 (sync + dispatch to round 1)
  std::int64_t wire_bytes_per_round = 0;  // bytes on the wire under `algorithm`, round 0
  int rounds = 0;
  std::int64_t bytes_per_run = 0;         // payload rule summed over every round of the run
  int warmup_rounds = 0;                  // rounds of a local SGD warm-up (0 without)
  std::int64_t warmup_bytes = 0;          // payload rule summed over them (part of bytes_per_run)
};

/// Validates the config (InputError) and computes its communication volume.
/// gpus_per_node > 0 places workers on nodes for the hierarchical algorithm.
CommVolume comm_volume(const RunConfig& config, Algorithm algorithm, int gpus_per_node = 0);

} // namespace resist
