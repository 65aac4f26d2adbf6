// The auxiliary network of layer-parallel training (core/layer_parallel.hpp, a reconstruction): a small
// network from the image to one cut's activation shape, built from core's description of its layers
// (conv - BN - ReLU - conv), module names equal to core's layer names, parameter count checked.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "core/layer.hpp"

namespace resist::exec {

class AuxNetImpl : public torch::nn::Module {
public:
  /// Throws Error if a layer kind is not conv2d, batchnorm or relu, or a count differs from core's.
  explicit AuxNetImpl(const std::vector<Layer>& layers);
  torch::Tensor forward(const torch::Tensor& x); // [B,C0,S,S] -> [B,C,H,W]

private:
  torch::nn::Sequential seq_;
};
TORCH_MODULE(AuxNet);

} // namespace resist::exec
