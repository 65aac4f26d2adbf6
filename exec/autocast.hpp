// The torch side of exec/precision.hpp: an autocast scope around a forward pass, the TF32 switches, and
// the dynamic loss scaler fp16 needs (LibTorch has no GradScaler in C++). The one place where the
// autocast API of LibTorch 1.13 and 2.x differ.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "exec/precision.hpp"

namespace resist::exec {

/// Sets the process-wide math switches of `p` (TF32 on or off for CUDA matmul and cuDNN; cuDNN benchmark mode).
void apply_math_mode(Precision p);

/// Lays out every 4-D parameter (convolution weights) channels-last, or back to NCHW. Convolutions then
/// pick the weights' layout for their outputs, so activations follow from the first one on.
void to_memory_format(torch::nn::Module& module, bool channels_last);

/// Autocast on for the scope (bf16 / fp16 on the device's type), off and its cast cache cleared after.
class AutocastScope {
public:
  AutocastScope(Precision p, const torch::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

private:
  bool active_ = false;
  bool cuda_ = false;
};

/// fp16: the loss is multiplied by a scale before backward; gradients are divided by it before the step;
/// a step whose gradients hold an inf or NaN is skipped and the scale halved; after `growth_interval`
/// good steps it doubles (PyTorch GradScaler's defaults: 2^16, x2, /2, 2000).
class LossScaler {
public:
  explicit LossScaler(bool enabled) : enabled_(enabled) {}
  torch::Tensor scale(const torch::Tensor& loss) const { return enabled_ ? loss * scale_ : loss; }
  /// Unscales the gradients of `params` in place; false when they overflowed (skip the step).
  bool unscale(const std::vector<torch::Tensor>& params);
  /// After the step (or its skip): grows or shrinks the scale.
  void update(bool stepped);
  double current() const { return scale_; }

private:
  bool enabled_;
  double scale_ = 65536.0;
  int good_steps_ = 0;
};

} // namespace resist::exec
