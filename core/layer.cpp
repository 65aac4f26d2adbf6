#include "core/layer.hpp"

#include <utility>

namespace resist {

const char* to_string(LayerKind kind) {
  switch (kind) {
  case LayerKind::conv2d: return "conv2d";
  case LayerKind::batchnorm: return "batchnorm";
  case LayerKind::relu: return "relu";
  case LayerKind::maxpool: return "maxpool";
  case LayerKind::avgpool: return "avgpool";
  case LayerKind::linear: return "linear";
  case LayerKind::add: return "add";
  }
  return "?";
}

int conv_out_size(int in, int kernel, int stride, int padding) { return (in + 2 * padding - kernel) / stride + 1; }

namespace {
Layer base(std::string name, LayerKind kind, int in_c, int out_c, int in_h, int in_w, int out_h, int out_w) {
  Layer l;
  l.name = std::move(name);
  l.kind = kind;
  l.in_channels = in_c;
  l.out_channels = out_c;
  l.in_h = in_h;
  l.in_w = in_w;
  l.out_h = out_h;
  l.out_w = out_w;
  l.input_bytes = std::int64_t{in_c} * in_h * in_w * kBytesPerParam;
  l.output_bytes = std::int64_t{out_c} * out_h * out_w * kBytesPerParam;
  return l;
}
} // namespace

Layer make_conv(std::string name, int in_c, int out_c, int kernel, int stride, int padding, int in_h, int in_w,
                bool bias) {
  const int out_h = conv_out_size(in_h, kernel, stride, padding);
  const int out_w = conv_out_size(in_w, kernel, stride, padding);
  Layer l = base(std::move(name), LayerKind::conv2d, in_c, out_c, in_h, in_w, out_h, out_w);
  l.kernel = kernel;
  l.stride = stride;
  l.padding = padding;
  l.bias = bias;
  // weight (out_c, in_c, k, k) + bias (out_c)
  l.params = std::int64_t{out_c} * in_c * kernel * kernel + (bias ? out_c : 0);
  // every output element (out_c, out_h, out_w) is a dot product of length in_c * k * k
  l.forward_macs = std::int64_t{out_c} * out_h * out_w * in_c * kernel * kernel;
  l.backward_macs = 2 * l.forward_macs;
  return l;
}

Layer make_batchnorm(std::string name, int channels, int h, int w) {
  Layer l = base(std::move(name), LayerKind::batchnorm, channels, channels, h, w, h, w);
  l.params = 2 * std::int64_t{channels}; // gamma, beta (running stats are buffers, not parameters)
  return l;
}

Layer make_relu(std::string name, int channels, int h, int w) {
  return base(std::move(name), LayerKind::relu, channels, channels, h, w, h, w);
}

Layer make_maxpool(std::string name, int channels, int kernel, int stride, int padding, int in_h, int in_w) {
  Layer l = base(std::move(name), LayerKind::maxpool, channels, channels, in_h, in_w,
                 conv_out_size(in_h, kernel, stride, padding), conv_out_size(in_w, kernel, stride, padding));
  l.kernel = kernel;
  l.stride = stride;
  l.padding = padding;
  return l;
}

Layer make_global_avgpool(std::string name, int channels, int in_h, int in_w) {
  Layer l = base(std::move(name), LayerKind::avgpool, channels, channels, in_h, in_w, 1, 1);
  l.kernel = in_h;
  return l;
}

Layer make_linear(std::string name, int in_features, int out_features, bool bias) {
  Layer l = base(std::move(name), LayerKind::linear, in_features, out_features, 1, 1, 1, 1);
  l.bias = bias;
  // weight (out, in) + bias (out)
  l.params = std::int64_t{out_features} * in_features + (bias ? out_features : 0);
  l.forward_macs = std::int64_t{out_features} * in_features;
  l.backward_macs = 2 * l.forward_macs;
  return l;
}

Layer make_add(std::string name, int channels, int h, int w) {
  Layer l = base(std::move(name), LayerKind::add, channels, channels, h, w, h, w);
  l.input_bytes *= 2; // two operands
  return l;
}

void mark_first_layer(Layer& layer) {
  layer.first_layer = true;
  layer.backward_macs = layer.forward_macs;
}

} // namespace resist
