#include "exec/auxnet.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace resist::exec {

namespace nn = torch::nn;

AuxNetImpl::AuxNetImpl(const std::vector<Layer>& layers) {
  seq_ = register_module("seq", nn::Sequential());
  std::int64_t core_params = 0;
  for (const Layer& l : layers) {
    core_params += l.params;
    switch (l.kind) {
    case LayerKind::conv2d:
      seq_->push_back(nn::Conv2d(
          nn::Conv2dOptions(l.in_channels, l.out_channels, l.kernel).stride(l.stride).padding(l.padding).bias(l.bias)));
      break;
    case LayerKind::batchnorm: // batch statistics, as the main network (exec/net.cpp)
      seq_->push_back(nn::BatchNorm2d(nn::BatchNorm2dOptions(l.in_channels).track_running_stats(false)));
      break;
    case LayerKind::relu: seq_->push_back(nn::ReLU()); break;
    default: throw Error(fmt::format("AuxNet layer {}: kind {} is not built", l.name, to_string(l.kind)));
    }
  }
  std::int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  if (n != core_params) throw Error(fmt::format("LibTorch AuxNet has {} parameters, core says {}", n, core_params));
}

torch::Tensor AuxNetImpl::forward(const torch::Tensor& x) { return seq_->forward(x); }

} // namespace resist::exec
