#include "exec/state_dict.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <unordered_map>

#include "core/error.hpp"

namespace resist::exec {

namespace {

// A BatchNorm module of either kind (2d in ResNets, 1d in fully connected nets), by the fields we use.
struct BnRef {
  std::string name;
  torch::Tensor* running_mean;
  torch::Tensor* running_var;
  torch::nn::BatchNormOptions* options;
  torch::Tensor weight; // undefined without affine parameters
};

std::vector<BnRef> bn_modules(PreActNetImpl& net) {
  std::vector<BnRef> out;
  for (const auto& item : net.named_modules("", /*include_self=*/false)) {
    if (auto* bn = item.value()->as<torch::nn::BatchNorm2d>())
      out.push_back({item.key(), &bn->running_mean, &bn->running_var, &bn->options, bn->weight});
    else if (auto* bn1 = item.value()->as<torch::nn::BatchNorm1d>())
      out.push_back({item.key(), &bn1->running_mean, &bn1->running_var, &bn1->options, bn1->weight});
  }
  return out;
}

/// The net itself ("") and its modules in registration order: PyTorch's state-dict order. Not
/// named_modules(include_self=true), which needs the net owned by a shared_ptr.
std::vector<std::pair<std::string, torch::nn::Module*>> modules_in_order(PreActNetImpl& net) {
  std::vector<std::pair<std::string, torch::nn::Module*>> out{{"", &net}};
  for (const auto& item : net.named_modules("", /*include_self=*/false)) out.emplace_back(item.key(), item.value().get());
  return out;
}

/// The parameters that carry block b's residual-branch scale once it is folded in: the layer the scale
/// follows (exec/net.cpp, exec/torchvision_block.cpp).
std::vector<std::string> scaled_params(const Block& b) {
  switch (b.type) {
  case BlockType::basic: return {b.name + ".bn2.weight", b.name + ".bn2.bias"};
  case BlockType::bottleneck: return {b.name + ".bn3.weight", b.name + ".bn3.bias"};
  case BlockType::preact_basic: return {b.name + ".conv2.weight"};
  default: throw Error(fmt::format("block {} ({}) has no residual branch to scale", b.name, to_string(b.type)));
  }
}

std::string shape(const torch::Tensor& t) { return fmt::format("[{}]", fmt::join(t.sizes(), ",")); }

} // namespace

BnStats estimate_bn_stats(PreActNetImpl& net, const std::function<torch::Tensor(int)>& batch, int batches,
                          const std::vector<double>& branch_scale) {
  torch::NoGradGuard no_grad;
  std::vector<BnRef> bns = bn_modules(net);
  std::vector<c10::optional<double>> momentum;
  // The modules track nothing (track_running_stats=False), but a defined running mean and variance are
  // still updated in training mode with the options' momentum: 1/k at the k-th batch is the cumulative
  // average, momentum=None in PyTorch's terms.
  for (BnRef& bn : bns) {
    const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(bn.weight.defined() ? bn.weight.device() : torch::kCPU);
    *bn.running_mean = torch::zeros({bn.options->num_features()}, opts);
    *bn.running_var = torch::ones({bn.options->num_features()}, opts);
    momentum.push_back(bn.options->momentum());
  }
  net.set_active(std::vector<bool>(static_cast<std::size_t>(net.num_blocks()), true));
  net.set_branch_scale(branch_scale);
  net.train();
  BnStats stats;
  try {
    for (int k = 0; k < batches; ++k) {
      for (BnRef& bn : bns) bn.options->momentum(1.0 / (k + 1));
      net.forward(batch(k));
      ++stats.batches;
    }
  } catch (...) {
    for (std::size_t i = 0; i < bns.size(); ++i) {
      *bns[i].running_mean = torch::Tensor();
      *bns[i].running_var = torch::Tensor();
      bns[i].options->momentum(momentum[i]);
    }
    net.set_branch_scale(std::vector<double>(static_cast<std::size_t>(net.num_blocks()), 1.0));
    throw;
  }
  for (std::size_t i = 0; i < bns.size(); ++i) {
    if (stats.batches > 0)
      stats.by_module[bns[i].name] = {bns[i].running_mean->to(torch::kCPU), bns[i].running_var->to(torch::kCPU)};
    *bns[i].running_mean = torch::Tensor(); // back to batch statistics, as the trainer runs
    *bns[i].running_var = torch::Tensor();
    bns[i].options->momentum(momentum[i]);
  }
  net.set_branch_scale(std::vector<double>(static_cast<std::size_t>(net.num_blocks()), 1.0));
  return stats;
}

NamedTensors export_state_dict(PreActNetImpl& net, const Model& model, const std::vector<double>& branch_scale,
                               const BnStats& stats) {
  std::unordered_map<std::string, double> factor;
  for (std::size_t b = 0; b < model.blocks.size() && b < branch_scale.size(); ++b)
    if (branch_scale[b] != 1.0)
      for (const std::string& p : scaled_params(model.blocks[b])) factor[p] = branch_scale[b];
  std::unordered_map<std::string, int> is_bn;
  for (const BnRef& bn : bn_modules(net)) is_bn[bn.name] = static_cast<int>(bn.options->num_features());

  torch::NoGradGuard no_grad;
  NamedTensors out;
  for (const auto& [module_name, module] : modules_in_order(net)) {
    const std::string prefix = module_name.empty() ? "" : module_name + ".";
    for (const auto& p : module->named_parameters(/*recurse=*/false)) {
      const std::string name = prefix + p.key();
      torch::Tensor t = p.value().detach().to(torch::kCPU, torch::kFloat32).contiguous().clone();
      if (const auto f = factor.find(name); f != factor.end()) t.mul_(f->second);
      out.emplace_back(name, t);
    }
    const auto bn = is_bn.find(module_name);
    if (bn == is_bn.end()) continue;
    const auto s = stats.by_module.find(module_name);
    const bool have = s != stats.by_module.end();
    out.emplace_back(prefix + "running_mean", have ? s->second.first.clone() : torch::zeros({bn->second}));
    out.emplace_back(prefix + "running_var", have ? s->second.second.clone() : torch::ones({bn->second}));
    out.emplace_back(prefix + "num_batches_tracked", torch::tensor(have ? stats.batches : 0, torch::kInt64));
  }
  return out;
}

void import_state_dict(PreActNetImpl& net, const NamedTensors& state, const std::string& source) {
  // What this model expects, in its own order; buffers are optional.
  struct Expected {
    torch::Tensor param; // undefined for a buffer
    std::vector<std::int64_t> sizes;
  };
  std::vector<std::string> order;
  std::unordered_map<std::string, Expected> expected;
  for (const auto& [module_name, module] : modules_in_order(net)) {
    const std::string prefix = module_name.empty() ? "" : module_name + ".";
    for (const auto& p : module->named_parameters(/*recurse=*/false)) {
      order.push_back(prefix + p.key());
      expected[order.back()] = {p.value(), p.value().sizes().vec()};
    }
  }
  for (const BnRef& bn : bn_modules(net)) {
    const std::int64_t c = bn.options->num_features();
    expected[bn.name + ".running_mean"] = {torch::Tensor(), {c}};
    expected[bn.name + ".running_var"] = {torch::Tensor(), {c}};
    expected[bn.name + ".num_batches_tracked"] = {torch::Tensor(), {}};
  }
  auto hint = [](const std::string& name) -> std::string {
    if (name == "conv1.weight") return " (--in-channels)";
    if (name.rfind("fc.", 0) == 0 || name.rfind("linear.", 0) == 0) return " (--classes)";
    return "";
  };
  std::unordered_map<std::string, torch::Tensor> given;
  for (const auto& [name, t] : state) {
    const auto e = expected.find(name);
    if (e == expected.end())
      throw InputError(fmt::format("state dict '{}': '{}' is not in this model (its first tensor is '{}')", source, name,
                                   order.empty() ? "" : order.front()));
    if (t.sizes().vec() != e->second.sizes)
      throw InputError(fmt::format("state dict '{}': '{}' is {}, this model's is [{}]{}", source, name, shape(t),
                                   fmt::join(e->second.sizes, ","), hint(name)));
    if (e->second.param.defined() && !t.is_floating_point())
      throw InputError(fmt::format("state dict '{}': '{}' is {}, not floating point", source, name,
                                   std::string(c10::toString(t.scalar_type()))));
    given[name] = t;
  }
  for (const std::string& name : order)
    if (!given.count(name))
      throw InputError(fmt::format("state dict '{}': no '{}' (this model's is [{}])", source, name,
                                   fmt::join(expected[name].sizes, ",")));
  torch::NoGradGuard no_grad;
  for (const std::string& name : order) {
    torch::Tensor& p = expected[name].param;
    p.copy_(given[name].to(p.device(), p.scalar_type()));
  }
}

void export_weights(const std::string& path, PreActNetImpl& net, const Model& model,
                    const std::vector<double>& branch_scale, BatchSampler& sampler, int bn_batches) {
  const BnStats stats = estimate_bn_stats(net, [&](int k) { return sampler.batch(k).first; }, bn_batches, branch_scale);
  write_torch_file(path, export_state_dict(net, model, branch_scale, stats));
}

torch::Tensor logits_of(PreActNetImpl& net, const torch::Tensor& x, const std::vector<double>& branch_scale) {
  torch::NoGradGuard no_grad;
  net.set_active(std::vector<bool>(static_cast<std::size_t>(net.num_blocks()), true));
  net.set_branch_scale(branch_scale);
  const torch::Tensor logits = net.forward(x).to(torch::kCPU, torch::kFloat32);
  net.set_branch_scale(std::vector<double>(static_cast<std::size_t>(net.num_blocks()), 1.0));
  return logits;
}

} // namespace resist::exec
