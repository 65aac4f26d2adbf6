// One rank's part of layer-parallel training with auxiliary networks (core/layer_parallel.hpp, a
// reconstruction): module k of the cut, the AuxNet that generates its input (k > 0), real c10d
// point-to-point transfers with the neighbours every step, and the gather of the modules for the serial
// evaluation on rank 0. One step on rank k (every rank loads the same batch):
//   1. k > 0: lambda = psi_k(x) (no graph); send it to rank k - 1, whose target it is;
//   2. the module on its input (x on rank 0, lambda otherwise, with its gradient kept);
//      k < K - 1: (1/2) mean over samples and elements of (F_k - target)^2 (+ the mean of mu (F_k - target) /
//      beta with AL: the objective's term over beta), the target from rank k + 1; last rank: cross-entropy;
//      backward, SGD step on the module;
//   3. k < K - 1: send the real activation F_k to rank k + 1;
//   4. k > 0: receive a = F_{k-1}; lambda* = a - (s B D g - mu) / beta with g the input gradient of step 2,
//      D = C H W, s = 1 on the last rank and beta on the others (g of the objective's own term): the argmin
//      of the per-sample objective in lambda with the downstream term linearized;
//      refit psi_k: forward, (1/2) mean of (psi_k(x) - lambda*)^2, backward, SGD step.
//   AL: both ranks of a cut keep the same multiplier mu (C x H x W, shared by all samples, so nothing is
//   stored per sample) and update it identically, mu += beta mean_i (a_i - lambda_i), without sending it.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "core/layer_parallel.hpp"
#include "core/schedule.hpp"
#include "exec/auxnet.hpp"
#include "exec/comm.hpp"
#include "exec/data.hpp"
#include "exec/net.hpp"
#include "exec/sgd.hpp"
#include "exec/step.hpp"

namespace resist::exec {

/// The AuxNet of cut c >= 1 with its initial weights (seeded by the run seed and c, the same on every
/// process; it draws from torch's global generator).
AuxNet make_auxnet(const Schedule& schedule, const Model& model, int cut);

class LayerParallelWorker {
public:
  /// Rank `rank` of the schedule's K modules over `comm` (K = world size). Builds this rank's AuxNet.
  LayerParallelWorker(Comm& comm, PreActNetImpl& net, const Model& model, const Schedule& schedule,
                      const torch::Device& device);

  /// The round's steps, as train_round's statistics; communication_s is the time spent waiting on the
  /// neighbours, comm the payload bytes of the tensors sent and received (core's layer_parallel_plan).
  StepStats train_round(BatchSampler& sampler, const Round& round, bool poison = false);

  /// One step on batch (x, y) with the optimizers of the round; returns this rank's local loss.
  double step(const torch::Tensor& x, const torch::Tensor& y, Sgd& module_opt,
              Sgd* aux_opt, StepStats& stats, bool poison = false);

  /// Every module's parameters to rank 0 (point to point), for the serial evaluation there.
  void gather_for_eval();

  int first_block() const { return cut_.first_block[static_cast<std::size_t>(rank_)]; }
  int end_block() const { return cut_.first_block[static_cast<std::size_t>(rank_) + 1]; }
  /// This module's parameters (what the module optimizer sees).
  std::vector<torch::Tensor> module_params() const;
  /// nullptr on rank 0.
  AuxNetImpl* auxnet() { return aux_ ? aux_.get() : nullptr; }

private:
  Comm& comm_;
  PreActNetImpl& net_;
  const Model& model_;
  const Schedule& schedule_;
  LayerParallelCut cut_;
  LayerParallelOptions lp_;
  torch::Device device_;
  int rank_ = 0;
  AuxNet aux_{nullptr};
  torch::Tensor mu_in_;  // AL multiplier of the cut into this module  [C,H,W]
  torch::Tensor mu_out_; // AL multiplier of the cut out of this module [C,H,W]
};

} // namespace resist::exec
