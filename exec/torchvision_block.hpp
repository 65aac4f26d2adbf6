// torchvision's post-activation residual blocks (BasicBlock, Bottleneck V1.5), built from core's layers of
// a `basic` or `bottleneck` block, with torchvision's module names (conv1, bn1, ..., downsample.0/.1) so a
// state dict lines up. BatchNorm as in the rest of the trainer: batch statistics (exec/net.hpp).
#pragma once
#include <torch/torch.h>

#include "core/model.hpp"
#include "exec/residual_block.hpp"

namespace resist::exec {

/// basic:      conv3x3(stride) -> BN -> ReLU -> conv3x3 -> BN
/// bottleneck: conv1x1 -> BN -> ReLU -> conv3x3(stride) -> BN -> ReLU -> conv1x1 -> BN
/// then the branch times `scale`, plus the shortcut (identity, or downsample = 1x1 conv(stride) -> BN of
/// the input), then ReLU. Shapes, strides and widths are read from core's layers.
struct PostActBlockImpl : ResidualBlock {
  explicit PostActBlockImpl(const Block& block); // throws Error for a block of another type
  torch::Tensor forward(const torch::Tensor& x, double scale) override; // [B,Cin,H,W] -> [B,Cout,H/s,W/s]

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}; // conv3: bottleneck only
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr}; // projection blocks only
};
TORCH_MODULE(PostActBlock);

/// torchvision's initialization of a ResNet's convolutions: Kaiming normal, fan_out, ReLU gain (BN starts
/// at weight 1, bias 0, and linear layers keep PyTorch's default, as LibTorch already does).
void torchvision_init_convs(torch::nn::Module& net);

} // namespace resist::exec
