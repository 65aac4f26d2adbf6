#include "exec/torchvision_block.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace resist::exec {

namespace nn = torch::nn;

namespace {

/// Core's layer "<block>.<local>"; Error if core lists none (the builder and core disagree).
const Layer& layer_of(const Block& b, const std::string& local) {
  const std::string name = b.name + "." + local;
  for (const Layer& l : b.layers)
    if (l.name == name) return l;
  throw Error(fmt::format("core block {} ({}) has no layer {}", b.name, to_string(b.type), name));
}

nn::Conv2d conv_of(const Layer& l) {
  if (l.kind != LayerKind::conv2d || l.bias) throw Error(fmt::format("core layer {} is not a bias-free conv", l.name));
  return conv2d(l.in_channels, l.out_channels, l.kernel, l.stride, l.padding);
}

nn::BatchNorm2d bn_of(const Layer& l) {
  if (l.kind != LayerKind::batchnorm) throw Error(fmt::format("core layer {} is not a BatchNorm", l.name));
  return batchnorm2d(l.in_channels);
}

} // namespace

PostActBlockImpl::PostActBlockImpl(const Block& b) {
  if (b.type != BlockType::basic && b.type != BlockType::bottleneck)
    throw Error(fmt::format("block {} is {}, not a torchvision basic or bottleneck block", b.name, to_string(b.type)));
  // torchvision's registration order (conv1, bn1, conv2, bn2, [conv3, bn3], downsample), which is core's
  // layer order too: parameters() then lists tensors as core and torchvision's state dict do.
  conv1 = register_module("conv1", conv_of(layer_of(b, "conv1")));
  bn1 = register_module("bn1", bn_of(layer_of(b, "bn1")));
  conv2 = register_module("conv2", conv_of(layer_of(b, "conv2")));
  bn2 = register_module("bn2", bn_of(layer_of(b, "bn2")));
  if (b.type == BlockType::bottleneck) {
    conv3 = register_module("conv3", conv_of(layer_of(b, "conv3")));
    bn3 = register_module("bn3", bn_of(layer_of(b, "bn3")));
  }
  if (b.projection) {
    // A Sequential, as torchvision's: its children "0" and "1" give core's "downsample.0" / "downsample.1".
    downsample = register_module("downsample", nn::Sequential(conv_of(layer_of(b, "downsample.0")),
                                                              bn_of(layer_of(b, "downsample.1"))));
  }
}

torch::Tensor PostActBlockImpl::forward(const torch::Tensor& x, double scale) {
  torch::Tensor out = torch::relu(bn1(conv1(x)));      // basic: [B,Cout,H/s,W/s]; bottleneck: [B,width,H,W]
  if (conv3) {
    out = torch::relu(bn2(conv2(out)));                // [B,width,H/s,W/s]
    out = bn3(conv3(out));                             // [B,Cout,H/s,W/s]
  } else {
    out = bn2(conv2(out));                             // [B,Cout,H/s,W/s]
  }
  // The branch scaled before the add, as the pre-activation block does. Skipping the block (the identity)
  // equals scale 0: its input is the output of a ReLU (or of max-pooling one), so ReLU(x) = x.
  if (scale != 1.0) out = out * scale;
  const torch::Tensor identity = downsample ? downsample->forward(x) : x;
  return torch::relu(out + identity);
}

void torchvision_init_convs(nn::Module& net) {
  // Not include_self: the net calls this from its constructor, before a shared_ptr owns it.
  for (const auto& m : net.modules(/*include_self=*/false))
    if (auto* c = m->as<nn::Conv2d>()) {
      torch::NoGradGuard g;
      nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    }
}

} // namespace resist::exec
