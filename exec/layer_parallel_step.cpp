#include "exec/layer_parallel_step.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace resist::exec {

namespace {

// Tags apart per direction, so a target and an activation between the same two ranks never match.
constexpr int kTargetTag = 11;
constexpr int kActivationTag = 12;
constexpr int kEvalTag = 13;


double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Sgd make_sgd(const std::vector<torch::Tensor>& params, const RunConfig& c, double lr) {
  return Sgd(params, {lr, c.momentum, c.weight_decay});
}

} // namespace

AuxNet make_auxnet(const Schedule& schedule, const Model& model, int cut) {
  const LayerParallelCut c{schedule.module_first_block};
  torch::manual_seed(derive_seed(schedule.config.seed, Stream::init, static_cast<std::uint64_t>(cut)));
  return AuxNet(auxnet_layers(model, cut_shape(model, c, cut), schedule.config.layer_parallel.aux_width, cut));
}

LayerParallelWorker::LayerParallelWorker(Comm& comm, PreActNetImpl& net, const Model& model,
                                         const Schedule& schedule, const torch::Device& device)
    : comm_(comm), net_(net), model_(model), schedule_(schedule), cut_{schedule.module_first_block},
      lp_(schedule.config.layer_parallel), device_(device), rank_(comm.rank()) {
  if (schedule.config.protocol != Protocol::layer_parallel || cut_.modules() != comm.size())
    throw Error(fmt::format("layer_parallel: {} modules in the schedule, {} ranks", cut_.modules(), comm.size()));
  auto zeros = [&](int c) {
    const CutShape s = cut_shape(model, cut_, c);
    return torch::zeros({s.channels, s.h, s.w}, torch::TensorOptions().device(device));
  };
  if (rank_ > 0) {
    aux_ = make_auxnet(schedule, model, rank_);
    aux_->to(device);
    mu_in_ = zeros(rank_);
  }
  if (rank_ < cut_.modules() - 1) mu_out_ = zeros(rank_ + 1);
}

std::vector<torch::Tensor> LayerParallelWorker::module_params() const {
  std::vector<torch::Tensor> out;
  for (int b = first_block(); b < end_block(); ++b)
    for (const auto& p : net_.block_params(b)) out.push_back(p);
  return out;
}

double LayerParallelWorker::step(const torch::Tensor& x, const torch::Tensor& y, Sgd& module_opt,
                                 Sgd* aux_opt, StepStats& st, bool poison) {
  const int K = cut_.modules();
  const bool first = rank_ == 0, last = rank_ == K - 1;
  const double beta = lp_.beta;
  const bool al = lp_.method == LpMethod::augmented_lagrangian;
  const auto B = x.size(0);
  std::vector<Work> sends;
  std::vector<torch::Tensor> in_flight; // send buffers live until their sends are done
  auto send = [&](const torch::Tensor& t, int dst, int tag) {
    in_flight.push_back(t.contiguous());
    sends.push_back(comm_.send(in_flight.back(), dst, tag));
    st.comm.bytes_sent += bytes_of(in_flight.back());
  };
  auto receive = [&](torch::Tensor& t, int src, int tag, const char* what) {
    std::vector<Work> w{comm_.recv(t, src, tag)};
    const auto t0 = std::chrono::steady_clock::now();
    comm_.wait_all(w, fmt::format("layer_parallel {} from rank {}", what, src));
    st.communication_s += seconds_since(t0);
    st.comm.bytes_received += bytes_of(t);
  };
  auto cut_tensor = [&](int c) {
    const CutShape s = cut_shape(model_, cut_, c);
    return torch::empty({B, s.channels, s.h, s.w}, torch::TensorOptions().device(device_));
  };

  // 1. The AuxNet generates this module's input; it is also the upstream module's target.
  torch::Tensor lambda; // [B,C,H,W]
  if (!first) {
    torch::NoGradGuard no_grad; // the refit runs its own forward (t_psi and t_f^lambda of the bound)
    lambda = aux_->forward(x).contiguous();
    send(lambda, rank_ - 1, kTargetTag);
  }
  // 2. The module on its local loss.
  const torch::Tensor in = first ? x : lambda.detach().clone().requires_grad_(true);
  module_opt.zero_grad();
  const torch::Tensor out = net_.forward_range(in, first_block(), end_block());
  torch::Tensor target, loss;
  if (last) {
    loss = torch::nn::functional::cross_entropy(out, y);
  } else {
    target = cut_tensor(rank_ + 1);
    receive(target, rank_ + 1, kTargetTag, "target");
    // The module's term of the objective, (beta/2D)||F_k - target||^2 (+ <mu, F_k - target>/D), divided by
    // beta: with the targets fixed each module has its own parameters, so beta would only scale this
    // module's learning rate; it weighs the terms where it matters, in the target update (step 4).
    const torch::Tensor diff = out - target;
    loss = 0.5 * diff.pow(2).mean();
    if (al) loss = loss + (mu_out_ * diff).mean() / beta;
  }
  if (poison) loss = loss * std::numeric_limits<double>::quiet_NaN();
  loss.backward();
  module_opt.step();
  // 3. The real activation to the next module, whose AuxNet it refits.
  if (!last) {
    const torch::Tensor a = out.detach();
    send(a, rank_ + 1, kActivationTag);
    if (al) mu_out_ += beta * (a - target).mean(0);
  }
  // 4. Refit the AuxNet to the updated auxiliary variable.
  if (!first) {
    torch::Tensor a = cut_tensor(rank_);
    receive(a, rank_ - 1, kActivationTag, "activation");
    const torch::Tensor g = in.grad(); // d(local loss, batch mean) / d lambda
    const double D = static_cast<double>(a[0].numel());
    // g is the gradient of this module's local loss: the objective's own term for the last module
    // (cross-entropy), 1/beta of it for the others (step 2).
    const double objective_scale = last ? 1.0 : beta;
    torch::Tensor updated = a - (static_cast<double>(B) * D * objective_scale / beta) * g;
    if (al) {
      updated = updated + mu_in_ / beta;
      mu_in_ += beta * (a - lambda).mean(0);
    }
    if (aux_opt) {
      aux_opt->zero_grad();
      const torch::Tensor z = aux_->forward(x);
      const torch::Tensor refit = 0.5 * (z - updated.detach()).pow(2).mean();
      refit.backward();
      aux_opt->step();
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  comm_.wait_all(sends, "layer_parallel sends");
  st.communication_s += seconds_since(t0);
  return loss.item<double>();
}

StepStats LayerParallelWorker::train_round(BatchSampler& sampler, const Round& round, bool poison) {
  const RunConfig& c = schedule_.config;
  StepStats st;
  net_.train();
  // Fresh optimizers every round, as for the other protocols (momentum restarts).
  auto module_opt = make_sgd(module_params(), c, round.lr_at(0));
  std::unique_ptr<Sgd> aux_opt;
  if (aux_) aux_opt = std::make_unique<Sgd>(make_sgd(aux_->parameters(), c, round.lr_at(0)));
  for (int k = 0; k < round.steps; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    const double comm0 = st.communication_s;
    module_opt.set_lr(round.lr_at(k));
    if (aux_opt) aux_opt->set_lr(round.lr_at(k));
    auto [x, y] = sampler.batch(round.first_step + k); // the same batch on every rank
    x = x.to(device_);
    y = y.to(device_);
    const double l = step(x, y, module_opt, aux_opt.get(), st, poison);
    if (std::isfinite(l)) st.loss_sum += l;
    else if (st.nonfinite++ == 0) st.first_nonfinite_step = k;
    ++st.steps;
    const double step_s = seconds_since(t0);
    st.step_s.push_back(step_s);
    st.compute_s += step_s - (st.communication_s - comm0);
  }
  return st;
}

void LayerParallelWorker::gather_for_eval() {
  torch::NoGradGuard no_grad;
  std::vector<Work> works;
  std::vector<torch::Tensor> buffers;
  auto flat = [&](int k) {
    std::int64_t n = 0;
    for (int b = cut_.first_block[static_cast<std::size_t>(k)]; b < cut_.first_block[static_cast<std::size_t>(k) + 1]; ++b)
      for (const auto& p : net_.block_params(b)) n += p.numel();
    return n;
  };
  if (rank_ > 0) {
    std::vector<torch::Tensor> parts;
    for (const auto& p : module_params()) parts.push_back(p.detach().reshape({-1}));
    buffers.push_back(torch::cat(parts).contiguous());
    works.push_back(comm_.send(buffers.back(), 0, kEvalTag));
    comm_.wait_all(works, "layer_parallel evaluation gather");
    return;
  }
  for (int k = 1; k < cut_.modules(); ++k) {
    buffers.push_back(torch::empty({flat(k)}, torch::TensorOptions().device(device_)));
    works.push_back(comm_.recv(buffers.back(), k, kEvalTag));
  }
  comm_.wait_all(works, "layer_parallel evaluation gather");
  for (int k = 1; k < cut_.modules(); ++k) {
    std::int64_t at = 0;
    const torch::Tensor& buf = buffers[static_cast<std::size_t>(k) - 1];
    for (int b = cut_.first_block[static_cast<std::size_t>(k)]; b < cut_.first_block[static_cast<std::size_t>(k) + 1]; ++b)
      for (auto& p : net_.block_params(b)) {
        p.copy_(buf.narrow(0, at, p.numel()).view_as(p));
        at += p.numel();
      }
  }
}

} // namespace resist::exec
