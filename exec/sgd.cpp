#include "exec/sgd.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace resist::exec {

Sgd::Sgd(std::vector<torch::Tensor> params, Options options)
    : params_(std::move(params)), momentum_(params_.size()), options_(options) {
  if (!(options.lr >= 0) || !(options.momentum >= 0) || !(options.weight_decay >= 0))
    throw Error(fmt::format("sgd: lr {}, momentum {}, weight decay {}: none may be negative or NaN", options.lr,
                            options.momentum, options.weight_decay));
}

void Sgd::zero_grad() {
  for (auto& p : params_)
    if (p.grad().defined()) p.mutable_grad().reset();
}

void Sgd::step() {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> ps, grads, bufs;     // parameters with a gradient, and their momentum
  std::vector<torch::Tensor> fresh_ps, fresh_grads; // ... whose momentum starts now
  std::vector<std::size_t> fresh_at;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const torch::Tensor& g = params_[i].grad();
    if (!g.defined()) continue;
    if (options_.momentum != 0 && !momentum_[i].defined()) {
      fresh_ps.push_back(params_[i]);
      fresh_grads.push_back(g);
      fresh_at.push_back(i);
    } else {
      ps.push_back(params_[i]);
      grads.push_back(g);
      if (options_.momentum != 0) bufs.push_back(momentum_[i]);
    }
  }
  auto decayed = [&](std::vector<torch::Tensor>& gs, const std::vector<torch::Tensor>& xs) {
    if (options_.weight_decay != 0 && !gs.empty()) gs = at::_foreach_add(gs, xs, options_.weight_decay);
  };
  decayed(grads, ps);
  decayed(fresh_grads, fresh_ps);
  if (options_.momentum != 0) {
    if (!bufs.empty()) {
      at::_foreach_mul_(bufs, options_.momentum);
      at::_foreach_add_(bufs, grads, 1.0);
      grads = bufs;
    }
    for (std::size_t k = 0; k < fresh_at.size(); ++k) {
      momentum_[fresh_at[k]] = fresh_grads[k].clone().detach();
      fresh_grads[k] = momentum_[fresh_at[k]];
    }
  }
  if (!ps.empty()) at::_foreach_add_(ps, grads, -options_.lr);
  if (!fresh_ps.empty()) at::_foreach_add_(fresh_ps, fresh_grads, -options_.lr);
}

} // namespace resist::exec
