// Builders for the model catalog. Layer names follow the PyTorch module names of the reference
// implementations (kuangliu/pytorch-cifar PreActResNet, torchvision ResNet), so a state dict lines up.
#include "core/model_zoo.hpp"

#include <fmt/format.h>

#include <functional>
#include <map>

#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/number.hpp"

namespace resist {
namespace {

struct Defaults {
  int in_channels, image_size, classes;
};

struct Cursor { // the running shape while blocks are appended
  int channels, h, w;
};

Block preact_block(const std::string& name, int stage, int index, Cursor& x, int planes, int stride) {
  Block b;
  b.name = name;
  b.type = BlockType::preact_basic;
  b.stage = stage;
  b.index = index;
  b.in_channels = x.channels;
  b.out_channels = planes;
  b.stride = stride;
  b.projection = stride != 1 || x.channels != planes;
  b.layers.push_back(make_batchnorm(name + ".bn1", x.channels, x.h, x.w));
  b.layers.push_back(make_relu(name + ".relu1", x.channels, x.h, x.w));
  if (b.projection) b.layers.push_back(make_conv(name + ".shortcut", x.channels, planes, 1, stride, 0, x.h, x.w));
  Layer c1 = make_conv(name + ".conv1", x.channels, planes, 3, stride, 1, x.h, x.w);
  const int h = c1.out_h, w = c1.out_w;
  b.layers.push_back(c1);
  b.layers.push_back(make_batchnorm(name + ".bn2", planes, h, w));
  b.layers.push_back(make_relu(name + ".relu2", planes, h, w));
  b.layers.push_back(make_conv(name + ".conv2", planes, planes, 3, 1, 1, h, w));
  b.layers.push_back(make_add(name + ".add", planes, h, w));
  x = {planes, h, w};
  return b;
}

Block post_block(const std::string& name, int stage, int index, Cursor& x, int planes, int stride, bool bottleneck) {
  const int expansion = bottleneck ? 4 : 1;
  const int out = planes * expansion;
  Block b;
  b.name = name;
  b.type = bottleneck ? BlockType::bottleneck : BlockType::basic;
  b.stage = stage;
  b.index = index;
  b.in_channels = x.channels;
  b.out_channels = out;
  b.stride = stride;
  b.projection = stride != 1 || x.channels != out;
  int h = x.h, w = x.w;
  if (bottleneck) { // torchvision V1.5: the stride sits on the 3x3 convolution
    b.layers.push_back(make_conv(name + ".conv1", x.channels, planes, 1, 1, 0, h, w));
    b.layers.push_back(make_batchnorm(name + ".bn1", planes, h, w));
    b.layers.push_back(make_relu(name + ".relu1", planes, h, w));
    Layer c2 = make_conv(name + ".conv2", planes, planes, 3, stride, 1, h, w);
    h = c2.out_h;
    w = c2.out_w;
    b.layers.push_back(c2);
    b.layers.push_back(make_batchnorm(name + ".bn2", planes, h, w));
    b.layers.push_back(make_relu(name + ".relu2", planes, h, w));
    b.layers.push_back(make_conv(name + ".conv3", planes, out, 1, 1, 0, h, w));
    b.layers.push_back(make_batchnorm(name + ".bn3", out, h, w));
  } else {
    Layer c1 = make_conv(name + ".conv1", x.channels, planes, 3, stride, 1, h, w);
    h = c1.out_h;
    w = c1.out_w;
    b.layers.push_back(c1);
    b.layers.push_back(make_batchnorm(name + ".bn1", planes, h, w));
    b.layers.push_back(make_relu(name + ".relu1", planes, h, w));
    b.layers.push_back(make_conv(name + ".conv2", planes, planes, 3, 1, 1, h, w));
    b.layers.push_back(make_batchnorm(name + ".bn2", planes, h, w));
  }
  if (b.projection) {
    b.layers.push_back(make_conv(name + ".downsample.0", x.channels, out, 1, stride, 0, x.h, x.w));
    b.layers.push_back(make_batchnorm(name + ".downsample.1", out, h, w));
  }
  b.layers.push_back(make_add(name + ".add", out, h, w));
  b.layers.push_back(make_relu(name + ".relu3", out, h, w));
  x = {out, h, w};
  return b;
}

Block head_block(const Cursor& x, int classes, bool final_bn) {
  Block b;
  b.name = "head";
  b.type = BlockType::head;
  b.in_channels = x.channels;
  b.out_channels = classes;
  if (final_bn) {
    b.layers.push_back(make_batchnorm("bn", x.channels, x.h, x.w));
    b.layers.push_back(make_relu("relu", x.channels, x.h, x.w));
  }
  b.layers.push_back(make_global_avgpool("avgpool", x.channels, x.h, x.w));
  b.layers.push_back(make_linear("fc", x.channels, classes));
  return b;
}

void check_spatial(const Model& m, const Cursor& x) {
  if (x.h < 1 || x.w < 1)
    throw InputError(fmt::format("--image-size {} is too small for {}: the feature map vanishes", m.image_size,
                                 m.name));
}

/// Pre-activation ResNet for small images (kuangliu/pytorch-cifar layout, 3x3 stem, stride 1).
Model preact_cifar(Model m, const std::vector<int>& depths, const std::vector<int>& widths, bool final_bn,
                   int stem_width = 0) {
  if (stem_width == 0) stem_width = widths[0];
  Cursor x{m.in_channels, m.image_size, m.image_size};
  Block stem;
  stem.name = "stem";
  stem.type = BlockType::stem;
  stem.in_channels = x.channels;
  stem.out_channels = stem_width;
  stem.layers.push_back(make_conv("conv1", x.channels, stem_width, 3, 1, 1, x.h, x.w));
  mark_first_layer(stem.layers.front());
  m.blocks.push_back(stem);
  x.channels = stem_width;
  for (std::size_t s = 0; s < depths.size(); ++s) {
    for (int i = 0; i < depths[s]; ++i) {
      const int stride = (i == 0 && s > 0) ? 2 : 1;
      m.blocks.push_back(preact_block(fmt::format("layer{}.{}", s + 1, i), static_cast<int>(s) + 1, i, x,
                                      widths[s], stride));
      check_spatial(m, x);
    }
  }
  m.blocks.push_back(head_block(x, m.classes, final_bn));
  m.stage_sizes = depths;
  return m;
}

/// torchvision ResNet (7x7 stem, max-pool, post-activation basic or bottleneck blocks).
Model torchvision_resnet(Model m, const std::vector<int>& depths, bool bottleneck) {
  Cursor x{m.in_channels, m.image_size, m.image_size};
  Block stem;
  stem.name = "stem";
  stem.type = BlockType::stem;
  stem.in_channels = x.channels;
  stem.out_channels = 64;
  stem.stride = 4;
  Layer c = make_conv("conv1", x.channels, 64, 7, 2, 3, x.h, x.w);
  mark_first_layer(c);
  stem.layers.push_back(c);
  stem.layers.push_back(make_batchnorm("bn1", 64, c.out_h, c.out_w));
  stem.layers.push_back(make_relu("relu", 64, c.out_h, c.out_w));
  Layer pool = make_maxpool("maxpool", 64, 3, 2, 1, c.out_h, c.out_w);
  stem.layers.push_back(pool);
  m.blocks.push_back(stem);
  x = {64, pool.out_h, pool.out_w};
  check_spatial(m, x);
  const int widths[4] = {64, 128, 256, 512};
  for (std::size_t s = 0; s < depths.size(); ++s) {
    for (int i = 0; i < depths[s]; ++i) {
      const int stride = (i == 0 && s > 0) ? 2 : 1;
      m.blocks.push_back(post_block(fmt::format("layer{}.{}", s + 1, i), static_cast<int>(s) + 1, i, x,
                                    widths[s], stride, bottleneck));
      check_spatial(m, x);
    }
  }
  m.blocks.push_back(head_block(x, m.classes, false));
  m.stage_sizes = depths;
  return m;
}

} // namespace

Model make_mlp(Model m, const std::vector<int>& hidden) {
  const std::int64_t features = std::int64_t{m.in_channels} * m.image_size * m.image_size;
  if (features > 100'000'000) // the first layer's weight alone would pass 10^11 parameters; int overflows
    throw InputError(fmt::format("model {}: {}x{}x{} = {} input features, more than the limit of 10^8 for a fully "
                                 "connected net",
                                 m.name, m.in_channels, m.image_size, m.image_size, features));
  const int input = static_cast<int>(features);
  m.blocks.clear();
  m.mlp_dims.assign(1, input);
  for (int h : hidden) m.mlp_dims.push_back(h);
  m.mlp_dims.push_back(m.classes);
  for (std::size_t k = 1; k < m.mlp_dims.size(); ++k) {
    Block b;
    b.name = fmt::format("fc{}", k);
    b.type = BlockType::mlp_layer;
    b.in_channels = m.mlp_dims[k - 1];
    b.out_channels = m.mlp_dims[k];
    b.layers.push_back(make_linear(b.name, b.in_channels, b.out_channels));
    if (k == 1) mark_first_layer(b.layers.front());
    if (k + 1 < m.mlp_dims.size()) {
      b.layers.push_back(make_batchnorm(b.name + ".bn", b.out_channels, 1, 1));
      b.layers.push_back(make_relu(b.name + ".relu", b.out_channels, 1, 1));
    }
    m.blocks.push_back(b);
  }
  return m;
}

namespace {

Model mlp(Model m, std::vector<int> hidden) { return make_mlp(std::move(m), hidden); }

struct Entry {
  std::string description;
  Defaults defaults;
  std::function<Model(Model)> build;
};

const std::vector<std::pair<std::string, Entry>>& registry() {
  static const std::vector<std::pair<std::string, Entry>> r = {
      {"preact_resnet101_cifar",
       {"ResIST reference: pre-activation basic blocks [3,4,23,3], widths 64-512, 3x3 stem (kuangliu layout)",
        {3, 32, 10}, [](Model m) { return preact_cifar(m, {3, 4, 23, 3}, {64, 128, 256, 512}, false); }}},
      {"preact_resnet18_cifar",
       {"pre-activation ResNet-18 for CIFAR: basic blocks [2,2,2,2], widths 64-512 (kuangliu layout)",
        {3, 32, 10}, [](Model m) { return preact_cifar(m, {2, 2, 2, 2}, {64, 128, 256, 512}, false); }}},
      {"preact_resnet110_cifar",
       {"pre-activation ResNet-110 (He et al. 2016): basic blocks [18,18,18], widths 16-64, final BN-ReLU",
        {3, 32, 10}, [](Model m) { return preact_cifar(m, {18, 18, 18}, {16, 32, 64}, true); }}},
      {"preact_resnet_small",
       {"small ResIST-shaped net for CPU runs: pre-activation blocks [1,1,8,1], widths 16-128",
        {3, 32, 10}, [](Model m) { return preact_cifar(m, {1, 1, 8, 1}, {16, 32, 64, 128}, false); }}},
      {"resnet18", {"torchvision ResNet-18 (ImageNet)", {3, 224, 1000},
                    [](Model m) { return torchvision_resnet(m, {2, 2, 2, 2}, false); }}},
      {"resnet34", {"torchvision ResNet-34 (ImageNet)", {3, 224, 1000},
                    [](Model m) { return torchvision_resnet(m, {3, 4, 6, 3}, false); }}},
      {"resnet50", {"torchvision ResNet-50 (ImageNet, bottleneck)", {3, 224, 1000},
                    [](Model m) { return torchvision_resnet(m, {3, 4, 6, 3}, true); }}},
      {"resnet101", {"torchvision ResNet-101 (ImageNet, bottleneck)", {3, 224, 1000},
                     [](Model m) { return torchvision_resnet(m, {3, 4, 23, 3}, true); }}},
      {"resnet152", {"torchvision ResNet-152 (ImageNet, bottleneck)", {3, 224, 1000},
                     [](Model m) { return torchvision_resnet(m, {3, 8, 36, 3}, true); }}},
      {"wrn28_10",
       {"Wide ResNet-28-10 (Zagoruyko & Komodakis): pre-activation blocks [4,4,4], widths 160-640", {3, 32, 10},
        [](Model m) { return preact_cifar(m, {4, 4, 4}, {160, 320, 640}, true, 16); }}},
      {"mlp_speech_2l", {"IST 2-layer fully connected net (Google Speech: 4096 -> 4096 -> 35)", {4096, 1, 35},
                         [](Model m) { return mlp(m, {4096}); }}},
      {"mlp_speech_3l", {"IST 3-layer fully connected net (Google Speech: 4096 -> 8192 -> 8192 -> 35)",
                         {4096, 1, 35}, [](Model m) { return mlp(m, {8192, 8192}); }}},
      {"mlp_fmnist", {"fully connected net for Fashion-MNIST (784 -> 1024 -> 1024 -> 10)", {1, 28, 10},
                      [](Model m) { return mlp(m, {1024, 1024}); }}},
      {"mlp_fmnist_2l_wide", {"wide 2-layer fully connected net for Fashion-MNIST (784 -> 4096 -> 10)", {1, 28, 10},
                              [](Model m) { return mlp(m, {4096}); }}},
      {"mlp_fmnist_3l_wide",
       {"wider 3-layer fully connected net for Fashion-MNIST (784 -> 2048 -> 2048 -> 10)", {1, 28, 10},
        [](Model m) { return mlp(m, {2048, 2048}); }}},
  };
  return r;
}

} // namespace

const std::vector<ModelInfo>& model_catalog() {
  static const std::vector<ModelInfo> catalog = [] {
    std::vector<ModelInfo> c;
    for (const auto& [name, e] : registry()) c.push_back({name, e.description});
    return c;
  }();
  return catalog;
}

Model make_model(const std::string& name, const ModelOptions& options) {
  for (const auto& [n, e] : registry()) {
    if (n != name) continue;
    // Every command builds its model here (model, partition, comm, bench train): the stated limits hold for all.
    check_number(options.in_channels, "--in-channels", 0, limits::kInChannels);
    check_number(options.image_size, "--image-size", 0, limits::kImageSize);
    check_number(options.classes, "--classes", 0, limits::kClasses);
    Model m;
    m.name = name;
    m.description = e.description;
    m.in_channels = options.in_channels ? options.in_channels : e.defaults.in_channels;
    m.image_size = options.image_size ? options.image_size : e.defaults.image_size;
    m.classes = options.classes ? options.classes : e.defaults.classes;
    return e.build(m);
  }
  std::string known;
  for (const auto& [n, e] : registry()) known += (known.empty() ? "" : ", ") + n;
  throw InputError(fmt::format("unknown model '{}' (known: {})", name, known));
}

} // namespace resist
