// One layer of a network and its costs per image.
// Conventions (stated once, used everywhere):
//   - MACs: multiply-accumulates of conv and linear layers only (the torchvision / fvcore convention);
//     FLOPs = 2 x MACs. BatchNorm, ReLU, pooling and residual adds count 0 MACs; their cost is memory
//     traffic (bytes), which the GPU model charges through bandwidth.
//   - Backward MACs: 2 x forward (gradient w.r.t. input and w.r.t. weights); the network's first layer
//     needs no input gradient, so 1 x forward.
//   - Bytes are fp32 (4 bytes per element). Activation bytes are the layer's output tensor per image.
#pragma once
#include <cstdint>
#include <string>

namespace resist {

constexpr std::int64_t kBytesPerParam = 4; // fp32 parameters, gradients and activations

enum class LayerKind { conv2d, batchnorm, relu, maxpool, avgpool, linear, add };

const char* to_string(LayerKind kind);

struct Layer {
  std::string name;      // e.g. "layer3.5.conv1"
  LayerKind kind = LayerKind::conv2d;
  int in_channels = 0;   // channels (conv, bn, pool) or features (linear)
  int out_channels = 0;
  int kernel = 1;
  int stride = 1;
  int padding = 0;
  bool bias = false;
  int in_h = 1, in_w = 1;   // input spatial size (1x1 for linear)
  int out_h = 1, out_w = 1; // output spatial size
  bool first_layer = false; // no input gradient in backward

  std::int64_t params = 0;          // learnable parameters
  std::int64_t forward_macs = 0;    // per image
  std::int64_t backward_macs = 0;   // per image
  std::int64_t input_bytes = 0;     // per image, fp32
  std::int64_t output_bytes = 0;    // per image, fp32 (the activation this layer stores)

  std::int64_t param_bytes() const { return params * kBytesPerParam; }
  std::int64_t forward_flops() const { return 2 * forward_macs; }
  std::int64_t backward_flops() const { return 2 * backward_macs; }
};

/// Output size of a convolution or pooling window: floor((in + 2p - k) / s) + 1.
int conv_out_size(int in, int kernel, int stride, int padding);

// Constructors fill in the derived costs. Spatial sizes are the input's.
Layer make_conv(std::string name, int in_c, int out_c, int kernel, int stride, int padding, int in_h, int in_w,
                bool bias = false);
Layer make_batchnorm(std::string name, int channels, int h, int w);
Layer make_relu(std::string name, int channels, int h, int w);
Layer make_maxpool(std::string name, int channels, int kernel, int stride, int padding, int in_h, int in_w);
/// Global average pool to 1x1 (kuangliu's avg_pool2d(4) on a 4x4 map is the same thing).
Layer make_global_avgpool(std::string name, int channels, int in_h, int in_w);
Layer make_linear(std::string name, int in_features, int out_features, bool bias = true);
Layer make_add(std::string name, int channels, int h, int w);

/// Marks the network's first layer: backward computes no input gradient (1 x forward MACs).
void mark_first_layer(Layer& layer);

} // namespace resist
