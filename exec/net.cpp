#include "exec/net.hpp"

#include <fmt/format.h>

#include <map>

#include "core/error.hpp"

namespace resist::exec {

namespace nn = torch::nn;

namespace {

nn::BatchNorm2d batchnorm(int channels) {
  // Batch statistics always: nothing to track, nothing to aggregate but the affine parameters.
  return nn::BatchNorm2d(nn::BatchNorm2dOptions(channels).eps(1e-5).momentum(0.1).affine(true).track_running_stats(false));
}

nn::Conv2d conv(int in, int out, int kernel, int stride, int padding) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

} // namespace

PreActBlockImpl::PreActBlockImpl(const Block& b) {
  bn1 = register_module("bn1", batchnorm(b.in_channels));
  conv1 = register_module("conv1", conv(b.in_channels, b.out_channels, 3, b.stride, 1));
  bn2 = register_module("bn2", batchnorm(b.out_channels));
  conv2 = register_module("conv2", conv(b.out_channels, b.out_channels, 3, 1, 1));
  if (b.projection) shortcut = register_module("shortcut", conv(b.in_channels, b.out_channels, 1, b.stride, 0));
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
  if (model.is_mlp() || model.blocks.size() < 2 || model.blocks.front().type != BlockType::stem ||
      model.blocks.back().type != BlockType::head)
    throw InputError(fmt::format("the trainer builds pre-activation ResNets (preact_*, wrn28_10); {} is not one",
                                 model.name));
  std::map<int, nn::ModuleList> stages;
  for (const Block& b : model.blocks) {
    if (b.type == BlockType::stem) {
      if (b.layers.size() != 1 || b.layers[0].kind != LayerKind::conv2d)
        throw InputError(fmt::format("the trainer builds pre-activation ResNets with a single-conv stem; {} has "
                                     "another stem (torchvision ResNets are not supported)", model.name));
      const Layer& c = b.layers[0];
      stem_ = register_module("conv1", conv(c.in_channels, c.out_channels, c.kernel, c.stride, c.padding));
    } else if (b.type == BlockType::preact_basic) {
      // "layer3.5" -> ModuleList "layer3", child "5": named_parameters() gives "layer3.5.conv1.weight".
      auto it = stages.find(b.stage);
      if (it == stages.end())
        it = stages.emplace(b.stage, register_module(fmt::format("layer{}", b.stage), nn::ModuleList())).first;
      block_of_residual_.push_back(static_cast<int>(&b - model.blocks.data()));
      blocks_.push_back(PreActBlock(b));
      it->second->push_back(blocks_.back());
    } else if (b.type == BlockType::head) {
      for (const Layer& l : b.layers) {
        if (l.kind == LayerKind::batchnorm) head_bn_ = register_module("bn", batchnorm(l.in_channels));
        if (l.kind == LayerKind::linear) fc_ = register_module("fc", nn::Linear(nn::LinearOptions(l.in_channels, l.out_channels).bias(l.bias)));
      }
    } else {
      throw InputError(fmt::format("the trainer builds pre-activation ResNets; block {} of {} is {}", b.name,
                                   model.name, to_string(b.type)));
    }
  }
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
        const torch::Tensor* t = named.find(l.name + suffix);
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

torch::Tensor PreActNetImpl::forward(const torch::Tensor& x) { return forward_range(x, 0, num_blocks()); }

torch::Tensor PreActNetImpl::forward_range(const torch::Tensor& x, int first, int end) {
  if (first < 0 || first > end || end > num_blocks())
    throw Error(fmt::format("forward_range: blocks [{}, {}) of {}", first, end, num_blocks()));
  torch::Tensor out = x;
  for (int b = first; b < end; ++b) {
    const auto bi = static_cast<std::size_t>(b);
    const BlockType type = model_.blocks[bi].type;
    if (type == BlockType::stem) {
      out = stem_(out);
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
    if (!active[b] && model_.blocks[b].type != BlockType::preact_basic)
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
