// Communication accounting per protocol.
//
// A round's synchronization is a list of Exchanges. An exchange averages one set of tensors of `bytes`
// over its `contributors` (the workers that trained it this round) and delivers the result to its
// `receivers` (the workers that train it next round). `repeat` counts identical exchanges in the round
// (data parallel: one gradient all-reduce per local step).
//
// Payload accounting (the rule that reproduces the paper's Table 1): every contributor sends `bytes`
// and every receiver receives `bytes`; a round's volume is the sum over workers of sent + received.
//   resist        : shared parameters (stem, unpartitioned stages, first blocks, head): all S send, all S
//                   receive; each partitioned block: its holders this round send it, next round's holders
//                   receive it.                   => 2 S |shared| + 2 slots |block| (slots = 22/24/32)
//   local_sgd     : the full model, all S send, all S receive, once per round.  => 2 S |model|
//   data_parallel : the full gradient, all S send, all S receive, every step.    => 2 S |model| l
//   ist           : worker w sends its slice, receives next round's slice; the output bias is averaged.
//   layer_parallel: per step and cut, the AuxNet's target one way and the real activation the other
//                   (neighbours only; a reconstruction, see layer_parallel.hpp).
// How those bytes move on the wire depends on the collective algorithm: see collective.hpp.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/ist_partition.hpp"
#include "core/model.hpp"
#include "core/partition.hpp"

namespace resist {

enum class Protocol { resist, local_sgd, data_parallel, ist, layer_parallel };

const char* to_string(Protocol p);
/// Throws InputError naming the value and the known protocols.
Protocol parse_protocol(const std::string& name);
const std::vector<Protocol>& all_protocols();

struct Exchange {
  std::string label;              // "shared", "layer3.7", "model", "grad.bucket0", "ist.w2"
  std::int64_t bytes = 0;         // size of the tensor set, fp32
  std::vector<int> contributors;  // ascending
  std::vector<int> receivers;     // ascending
  int repeat = 1;                 // identical exchanges in the round
};

struct CommPlan {
  std::vector<Exchange> exchanges;
};

struct WorkerBytes {
  std::int64_t sent = 0;
  std::int64_t received = 0;
};

/// Payload bytes per worker of a plan (the rule above). Size = workers.
std::vector<WorkerBytes> payload_bytes(const CommPlan& plan, int workers);
/// Sum over workers of sent + received.
std::int64_t total_bytes(const std::vector<WorkerBytes>& per_worker);

/// Parameters outside the partitionable blocks (averaged over all workers every ResIST round).
std::int64_t shared_param_bytes(const Model& model, const std::vector<int>& partitionable);

/// ResIST: aggregate round `now`, dispatch for round `next`.
CommPlan resist_plan(const Model& model, const ResistPartition& now, const ResistPartition& next);
/// Local SGD: full model averaged over all workers.
CommPlan local_sgd_plan(const Model& model, int workers);
/// Data parallel: gradient buckets (DDP order and caps) all-reduced once per step, `steps` steps.
CommPlan data_parallel_plan(const Model& model, int workers, int steps);
/// IST: slices of round `now` gathered, slices of round `next` scattered, output bias averaged.
CommPlan ist_plan(const Model& model, const IstPartition& now, const IstPartition& next);

/// DDP-style gradient buckets: parameters in reverse forward order, 1 MiB first bucket, 25 MiB cap.
/// Each bucket: its bytes and the index of the block whose backward completes it.
struct GradientBucket {
  std::int64_t bytes = 0;
  int ready_after_block = 0; // backward runs from the last block to the first
};
std::vector<GradientBucket> gradient_buckets(const Model& model, std::int64_t first_cap_bytes = 1 << 20,
                                             std::int64_t cap_bytes = 25 << 20);

} // namespace resist
