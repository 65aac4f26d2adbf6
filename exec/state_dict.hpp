// Weights in and out as PyTorch state dicts: the trainer's network under PyTorch's names (torchvision's
// for resnet18..152, core's layer names for the others: exec/README.md), with the BatchNorm running
// statistics torchvision keeps, and a state dict (from Python's torch.save or from us) copied into it.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/model.hpp"
#include "exec/data.hpp"
#include "exec/net.hpp"
#include "exec/torch_file.hpp"

namespace resist::exec {

/// Running mean and (unbiased) variance per BatchNorm module name, and the batches they average.
struct BnStats {
  std::map<std::string, std::pair<torch::Tensor, torch::Tensor>> by_module;
  std::int64_t batches = 0;
};

/// The statistics a BatchNorm with momentum=None (cumulative average) would have tracked over `batches`
/// forward passes in training mode of the inputs batch(0), batch(1), ...: what torchvision's ResNet keeps
/// for evaluation, which the trainer (batch statistics only) does not. Residual branches are scaled by
/// `branch_scale` (one per core block), as the exported weights are. No gradients, parameters unchanged.
BnStats estimate_bn_stats(PreActNetImpl& net, const std::function<torch::Tensor(int)>& batch, int batches,
                          const std::vector<double>& branch_scale);

/// The network as a state dict in PyTorch's order: per module its weight and bias, and for every BatchNorm
/// running_mean, running_var (from `stats`; 0 and 1 when it has none) and num_batches_tracked (the batches
/// averaged). Branch scales other than 1 are folded into each block's last layer (torchvision blocks:
/// the last BN's weight and bias; pre-activation blocks: conv2), so the plain network computes what the
/// trainer evaluates. CPU fp32 copies.
NamedTensors export_state_dict(PreActNetImpl& net, const Model& model, const std::vector<double>& branch_scale,
                               const BnStats& stats);

/// Copies the state dict's parameters into `net`. Its names must be export_state_dict's (BatchNorm buffers
/// may be absent; when present their shapes are checked and their values unused: the trainer normalizes
/// with batch statistics). InputError naming `source` and the first missing, unexpected or misshapen entry.
void import_state_dict(PreActNetImpl& net, const NamedTensors& state, const std::string& source);

/// The trainer's export (`resist train --export`): BatchNorm statistics over the batches 0 .. bn_batches-1
/// of `sampler` (a pure function of the step: the run's data order is untouched), then export_state_dict
/// written to `path` atomically.
void export_weights(const std::string& path, PreActNetImpl& net, const Model& model,
                    const std::vector<double>& branch_scale, BatchSampler& sampler, int bn_batches);

/// Logits [B, classes] of x [B, C, H, W] (fp32, batch statistics, on the net's device; returned on the CPU)
/// with residual branches scaled by `branch_scale`: what Python's model computes in training mode.
torch::Tensor logits_of(PreActNetImpl& net, const torch::Tensor& x, const std::vector<double>& branch_scale);

} // namespace resist::exec
