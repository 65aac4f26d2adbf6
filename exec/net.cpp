#include "exec/net.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/error.hpp"
#include "exec/torchvision_block.hpp"

namespace resist::exec {

namespace nn = torch::nn;

namespace {

bool is_residual(BlockType t) {
  return t == BlockType::preact_basic || t == BlockType::basic || t == BlockType::bottleneck;
}

} // namespace

PreActBlockImpl::PreActBlockImpl(const Block& b) {
  bn1 = register_module("bn1", batchnorm2d(b.in_channels));
  conv1 = register_module("conv1", conv2d(b.in_channels, b.out_channels, 3, b.stride, 1));
  bn2 = register_module("bn2", batchnorm2d(b.out_channels));
  conv2 = register_module("conv2", conv2d(b.out_channels, b.out_channels, 3, 1, 1));
  if (b.projection) shortcut = register_module("shortcut", conv2d(b.in_channels, b.out_channels, 1, b.stride, 0));
}

torch::Tensor PreActBlockImpl::forward(const torch::Tensor& x, double scale) {
  torch::Tensor out = torch::relu(bn1(x));                          // [B,Cin,H,W]
  torch::Tensor skip = shortcut ? shortcut(out) : x;                // [B,Cout,H/s,W/s]
  out = conv1(out);                                                 // [B,Cout,H/s,W/s]
  out = conv2(torch::relu(bn2(out)));                               // [B,Cout,H/s,W/s]
  if (scale != 1.0) out = out * scale; // the reference scales after conv2, before the add
  return out + skip;
}

PreActNetImpl::PreActNetImpl(const Model& model) : model_(model) {
  if (model.is_mlp()) {
    build_mlp();
    map_params();
    return;
  }
  if (model.blocks.size() < 2 || model.blocks.front().type != BlockType::stem ||
      model.blocks.back().type != BlockType::head)
    throw InputError(fmt::format("the trainer builds ResNets (stem, residual blocks, head: preact_*, wrn28_10, "
                                 "resnet18..152) and fully connected nets; {} is neither", model.name));
  std::map<int, nn::ModuleList> stages;
  bool post_activation = false;
  for (const Block& b : model.blocks) {
    if (b.type == BlockType::stem) {
      build_stem(b);
    } else if (is_residual(b.type)) {
      // "layer3.5" -> ModuleList "layer3", child "5": named_parameters() gives "layer3.5.conv1.weight".
      auto it = stages.find(b.stage);
      if (it == stages.end())
        it = stages.emplace(b.stage, register_module(fmt::format("layer{}", b.stage), nn::ModuleList())).first;
      block_of_residual_.push_back(static_cast<int>(&b - model.blocks.data()));
      if (b.type == BlockType::preact_basic) {
        blocks_.push_back(PreActBlock(b).ptr());
      } else {
        blocks_.push_back(PostActBlock(b).ptr());
        post_activation = true;
      }
      it->second->push_back(blocks_.back());
    } else if (b.type == BlockType::head) {
      for (const Layer& l : b.layers) {
        if (l.kind == LayerKind::batchnorm) head_bn_ = register_module(l.name, batchnorm2d(l.in_channels));
        if (l.kind == LayerKind::linear) fc_ = register_module(l.name, nn::Linear(nn::LinearOptions(l.in_channels, l.out_channels).bias(l.bias)));
      }
    } else {
      throw InputError(fmt::format("the trainer builds ResNets; block {} of {} is {}", b.name, model.name,
                                   to_string(b.type)));
    }
  }
  // torchvision initializes its ResNets' convolutions its own way; the pre-activation nets keep PyTorch's
  // default, as kuangliu's PreActResNet (the ResIST reference) does.
  if (post_activation) torchvision_init_convs(*this);
  map_params();
}

void PreActNetImpl::build_stem(const Block& stem) {
  // Accepted: conv [-> BN] [-> ReLU] [-> max-pool], in that order (the 3x3 CIFAR stem is the conv alone,
  // torchvision's has all four). Module names are core's layer names ("conv1", "bn1").
  const std::vector<Layer>& ls = stem.layers;
  std::size_t i = 0;
  auto next_is = [&](LayerKind k) { return i < ls.size() && ls[i].kind == k; };
  if (!next_is(LayerKind::conv2d))
    throw InputError(fmt::format("the trainer builds stems that begin with a convolution; {}'s does not", model_.name));
  const Layer& c = ls[i++];
  stem_ = register_module(c.name, nn::Conv2d(nn::Conv2dOptions(c.in_channels, c.out_channels, c.kernel)
                                                 .stride(c.stride).padding(c.padding).bias(c.bias)));
  if (next_is(LayerKind::batchnorm)) stem_bn_ = register_module(ls[i++].name, batchnorm2d(c.out_channels));
  if (next_is(LayerKind::relu)) {
    stem_relu_ = true;
    ++i;
  }
  if (next_is(LayerKind::maxpool)) {
    const Layer& p = ls[i++];
    pool_kernel_ = p.kernel;
    pool_stride_ = p.stride;
    pool_padding_ = p.padding;
  }
  if (i != ls.size())
    throw InputError(fmt::format("the trainer builds stems of conv [-> BN] [-> ReLU] [-> max-pool]; {}'s layer {} "
                                 "is a {}", model_.name, ls[i].name, to_string(ls[i].kind)));
}

void PreActNetImpl::build_mlp() {
  // IST's net (BinhangYuan/IST_Release): linear -> BN -> ReLU per hidden layer, the output linear, then an
  // affine-free BN over the logits. Module names cannot hold dots: core's "fc1.bn" is "fc1_bn" here.
  for (const Block& b : model_.blocks) {
    for (const Layer& l : b.layers) {
      if (l.kind == LayerKind::linear)
        fcs_.push_back(register_module(l.name, nn::Linear(nn::LinearOptions(l.in_channels, l.out_channels).bias(l.bias))));
      else if (l.kind == LayerKind::batchnorm)
        bns_.push_back(register_module(torch_name(l.name), nn::BatchNorm1d(nn::BatchNorm1dOptions(l.out_channels)
                                                                            .eps(1e-5).momentum(1.0).affine(true)
                                                                            .track_running_stats(false))));
    }
  }
  if (fcs_.size() != model_.blocks.size() || bns_.size() + 1 != fcs_.size())
    throw InputError(fmt::format("the trainer builds fully connected nets as linear+BN+ReLU layers; {} is not one",
                                 model_.name));
}

std::string PreActNetImpl::torch_name(const std::string& layer) const {
  if (!model_.is_mlp()) return layer;
  std::string out = layer;
  std::replace(out.begin(), out.end(), '.', '_');
  return out;
}

void PreActNetImpl::map_params() {
  const Model& model = model_;
  // Map every core layer to its tensors by name and check the counts against core.
  const auto named = named_parameters(true);
  block_params_.resize(model.blocks.size());
  layer_params_.resize(model.blocks.size());
  for (std::size_t bi = 0; bi < model.blocks.size(); ++bi) {
    const Block& b = model.blocks[bi];
    std::int64_t count = 0;
    for (const Layer& l : b.layers) {
      std::vector<torch::Tensor> ts;
      for (const char* suffix : {".weight", ".bias"}) {
        const torch::Tensor* t = named.find(torch_name(l.name) + suffix);
        if (t) ts.push_back(*t);
      }
      std::int64_t n = 0;
      for (const auto& t : ts) n += t.numel();
      if (n != l.params)
        throw Error(fmt::format("LibTorch layer {} has {} parameters, core says {}", l.name, n, l.params));
      count += n;
      block_params_[bi].insert(block_params_[bi].end(), ts.begin(), ts.end());
      layer_params_[bi].push_back(std::move(ts));
    }
    if (count != b.params()) throw Error(fmt::format("LibTorch block {} has {} parameters, core says {}", b.name, count, b.params()));
  }
  std::int64_t total = 0;
  for (const auto& p : parameters()) total += p.numel();
  if (total != model.params())
    throw Error(fmt::format("LibTorch network has {} parameters, core says {}", total, model.params()));
  active_.assign(model.blocks.size(), true);
  scale_.assign(model.blocks.size(), 1.0);
  residual_of_block_.assign(model.blocks.size(), -1);
  for (std::size_t i = 0; i < block_of_residual_.size(); ++i)
    residual_of_block_[static_cast<std::size_t>(block_of_residual_[i])] = static_cast<int>(i);
}

torch::Tensor PreActNetImpl::forward(const torch::Tensor& x) {
  if (model_.is_mlp()) {
    torch::Tensor out = x.flatten(1);                                       // [B,d0]
    for (std::size_t k = 0; k < bns_.size(); ++k) out = torch::relu(bns_[k](fcs_[k](out))); // [B,d_k]
    out = fcs_.back()(out);                                                 // [B,classes]
    // IST's output BN (affine=False, batch statistics): no parameters, normalizes the logits.
    return torch::batch_norm(out, {}, {}, {}, {}, true, 1.0, 1e-5, false);
  }
  return forward_range(x, 0, num_blocks());
}

torch::Tensor PreActNetImpl::forward_range(const torch::Tensor& x, int first, int end) {
  if (first < 0 || first > end || end > num_blocks())
    throw Error(fmt::format("forward_range: blocks [{}, {}) of {}", first, end, num_blocks()));
  torch::Tensor out = x;
  for (int b = first; b < end; ++b) {
    const auto bi = static_cast<std::size_t>(b);
    const BlockType type = model_.blocks[bi].type;
    if (type == BlockType::stem) {
      out = stem_(out);
      if (stem_bn_) out = stem_bn_(out);
      if (stem_relu_) out = torch::relu(out);
      if (pool_kernel_ > 0) out = torch::max_pool2d(out, pool_kernel_, pool_stride_, pool_padding_); // [B,C,H/4,W/4]
    } else if (type == BlockType::head) {
      if (head_bn_) out = torch::relu(head_bn_(out));
      out = torch::adaptive_avg_pool2d(out, {1, 1}).flatten(1); // [B,C]
      out = fc_(out);                                           // [B,classes]
    } else if (active_[bi]) { // a skipped block is the identity
      out = blocks_[static_cast<std::size_t>(residual_of_block_[bi])]->forward(out, scale_[bi]);
    }
  }
  return out;
}

void PreActNetImpl::set_active(std::vector<bool> active) {
  if (active.size() != model_.blocks.size()) throw Error("set_active: one flag per block expected");
  for (std::size_t b = 0; b < active.size(); ++b)
    if (!active[b] && !is_residual(model_.blocks[b].type))
      throw Error(fmt::format("set_active: block {} cannot be skipped", model_.blocks[b].name));
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    // Skipping is only an identity when the block keeps the shape.
    const Block& b = model_.blocks[static_cast<std::size_t>(block_of_residual_[i])];
    if (!active[static_cast<std::size_t>(block_of_residual_[i])] && b.projection)
      throw Error(fmt::format("set_active: block {} changes the shape and cannot be skipped", b.name));
  }
  active_ = std::move(active);
}

void PreActNetImpl::set_branch_scale(std::vector<double> scale) {
  if (scale.size() != model_.blocks.size()) throw Error("set_branch_scale: one scale per block expected");
  scale_ = std::move(scale);
}

std::vector<torch::Tensor> PreActNetImpl::layer_params(int b, int layer) const {
  return layer_params_.at(static_cast<std::size_t>(b)).at(static_cast<std::size_t>(layer));
}

std::vector<torch::Tensor> PreActNetImpl::active_params() const {
  std::vector<torch::Tensor> out;
  for (std::size_t b = 0; b < block_params_.size(); ++b)
    if (active_[b]) out.insert(out.end(), block_params_[b].begin(), block_params_[b].end());
  return out;
}

std::vector<torch::Tensor> snapshot_params(const PreActNetImpl& net) {
  std::vector<torch::Tensor> out;
  for (const auto& p : net.parameters()) out.push_back(p.detach().to(torch::kCPU).clone());
  return out;
}

std::string params_hash(const PreActNetImpl& net) {
  std::uint64_t h = 1469598103934665603ull;
  for (const auto& p : snapshot_params(net)) {
    const torch::Tensor c = p.contiguous();
    const auto* bytes = static_cast<const unsigned char*>(c.data_ptr());
    const std::size_t n = static_cast<std::size_t>(c.numel()) * c.element_size();
    for (std::size_t i = 0; i < n; ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  }
  return fmt::format("fnv1a64:{:016x}", h);
}

} // namespace resist::exec
