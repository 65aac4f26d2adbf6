// What the network needs of a residual block, whatever its kind (pre-activation, torchvision basic or
// bottleneck): one call that runs it with its residual branch scaled; and the trainer's conv and BatchNorm
// modules, so every block kind builds them the same way.
#pragma once
#include <torch/torch.h>

namespace resist::exec {

struct ResidualBlock : torch::nn::Module {
  /// The block on x with its residual branch multiplied by `scale` before the add (1: the plain block).
  virtual torch::Tensor forward(const torch::Tensor& x, double scale) = 0;
};

/// BatchNorm2d with batch statistics always (track_running_stats=False), as the ResIST reference: nothing
/// to track, nothing to aggregate but the affine parameters.
inline torch::nn::BatchNorm2d batchnorm2d(int channels) {
  return torch::nn::BatchNorm2d(
      torch::nn::BatchNorm2dOptions(channels).eps(1e-5).momentum(0.1).affine(true).track_running_stats(false));
}

/// Convolution without bias (a BatchNorm follows or precedes every one in these nets).
inline torch::nn::Conv2d conv2d(int in, int out, int kernel, int stride, int padding) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

} // namespace resist::exec
