// IST's round in the trainer (Yuan et al.; BinhangYuan/IST_Release, the centralized parameter server):
// each rank trains its own sub-network, the hidden neurons core's ist_partition gives it this round,
// for l steps with plain SGD; then the slices are exchanged, not averaged.
//
//   1. the output layer's bias (the one tensor everyone trains) is averaged: SUM all-reduce, / S;
//   2. gather: every rank hands its trained slice to rank 0, the server, which writes it into the full
//      network (disjoint slices: nothing to average; weights no worker held this round, the off-diagonal
//      pieces of a middle matrix, stay as they were);
//   3. scatter: rank 0 cuts next round's slices out of the full network and hands each rank its own.
//
// Bytes: core's rule (core/comm.hpp ist_plan), counted on the buffers handed over: a rank sends its slice
// and the output bias, and receives next round's slice and the averaged bias (rank 0's own slice moves by
// a copy, as a singleton holder set does in exec/aggregate.cpp). Only rank 0's full network is current:
// it is what is evaluated and checkpointed.
#pragma once
#include <torch/torch.h>

#include <memory>

#include "core/ist_partition.hpp"
#include "core/schedule.hpp"
#include "exec/aggregate.hpp"
#include "exec/comm.hpp"
#include "exec/data.hpp"
#include "exec/net.hpp"
#include "exec/precision.hpp"
#include "exec/step.hpp"

namespace resist::exec {

/// Worker w's slice of `full` under `partition`, flattened in the order of its sub-network's parameters
/// (ist_sub_model's block_params), the shared output bias left out. Size = ist_worker_params.
torch::Tensor ist_extract_slice(const PreActNetImpl& full, const IstPartition& partition, int worker);
/// Writes a slice made by ist_extract_slice back into `full`.
void ist_insert_slice(PreActNetImpl& full, const IstPartition& partition, int worker, const torch::Tensor& flat);

class IstRound {
public:
  /// `full`: the whole network (identical initial weights on every rank); throws InputError for a model
  /// IST cannot partition over this many ranks.
  IstRound(Comm& comm, PreActNetImpl& full, const Model& model, const Schedule& schedule,
           const torch::Device& device);

  /// Loads this rank's sub-network for round `round`, before the first round run: from its own full
  /// network at round 0 (every rank drew the same weights), from rank 0's after a resume (only rank 0's
  /// full network is current). Not part of any round's payload.
  void begin(int round);

  /// `round.steps` plain SGD steps (no momentum, no weight decay: IST's reference) of this rank's
  /// sub-network, the schedule's learning rates.
  StepStats train(BatchSampler& sampler, const Round& round, bool poison, Precision precision);

  /// Round r's exchange: output bias averaged, slices gathered on rank 0, round r+1's slices scattered.
  SyncStats sync_round(int round);

  PreActNetImpl& subnet() { return *sub_; }

private:
  torch::Tensor flatten_sub() const;            // the sub-network's slice (output bias left out)
  void unflatten_sub(const torch::Tensor& flat); // the inverse
  torch::Tensor output_bias(PreActNetImpl& net) const; // the output layer's bias (a view)

  Comm& comm_;
  PreActNetImpl& full_;
  const Model& model_;
  const Schedule& schedule_;
  torch::Device device_;
  RunConfig plain_sgd_;     // the schedule's config with momentum and weight decay 0
  IstPartition partition_;  // this round's
  PreActNet sub_{nullptr};  // this rank's sub-network (its shape is the same every round)
};

} // namespace resist::exec
