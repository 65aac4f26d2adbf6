// One round's local SGD steps on a sub-network, and the evaluation of the whole network.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "core/run_config.hpp"
#include "core/schedule.hpp"
#include "exec/aggregate.hpp"
#include "exec/data.hpp"
#include "exec/net.hpp"
#include "exec/precision.hpp"

namespace resist::exec {

struct StepStats {
  int steps = 0;
  double loss_sum = 0;         // over the finite losses
  int nonfinite = 0;           // steps whose loss was NaN or infinite
  int first_nonfinite_step = -1;
  double compute_s = 0;        // batches, forward, backward, optimizer
  double communication_s = 0;  // data parallel: gradient all-reduce
  SyncStats comm;              // data parallel: payload bytes of the gradient all-reduces
  std::vector<double> step_s;  // wall time of every step (bench mode)
  int skipped_steps = 0;       // fp16: steps skipped because the scaled gradients overflowed
};

/// Runs `round.steps` local SGD steps of the blocks marked active (the others are skipped: no compute,
/// no gradient, no weight decay). A fresh SGD optimizer is built for the round, so momentum restarts
/// every round, as in the ResIST reference (dunchen/ResIST_release re-creates it each round); the
/// learning rate of step k is round.lr_at(k). With `dp`, gradients are averaged across ranks every step.
/// `poison` multiplies the loss by NaN (fault injection for tests). `precision`: the forward and loss
/// under autocast for bf16 / fp16 (fp16 with a dynamic loss scaler; a step whose gradients overflow is
/// skipped, as PyTorch's GradScaler does); weights, gradients and the optimizer stay fp32.
StepStats train_round(PreActNetImpl& net, BatchSampler& sampler, const Round& round, const RunConfig& config,
                      const std::vector<bool>& active, const torch::Device& device, Aggregator* dp = nullptr,
                      bool poison = false, Precision precision = Precision::fp32);

struct EvalResult {
  double accuracy = 0; // fraction in [0, 1]
  double loss = 0;     // mean cross-entropy
  std::int64_t images = 0;
};

/// Whole network, every block active, partitioned blocks' residual branches scaled by `eval_scale`
/// (the reference's prepare_eval), batches of `batch` images (BN uses batch statistics, eval batch 100
/// as the reference).
EvalResult evaluate(PreActNetImpl& net, const Dataset& test, const std::vector<int>& partitioned_blocks,
                    double eval_scale, const torch::Device& device, int batch = 100,
                    Precision precision = Precision::fp32);

} // namespace resist::exec
