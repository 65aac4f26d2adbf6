#include "exec/step.hpp"

#include "exec/autocast.hpp"
#include "exec/sgd.hpp"

#include <chrono>
#include <cmath>
#include <limits>

namespace resist::exec {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
} // namespace

StepStats train_round(PreActNetImpl& net, BatchSampler& sampler, const Round& round, const RunConfig& config,
                      const std::vector<bool>& active, const torch::Device& device, Aggregator* dp, bool poison,
                      Precision precision) {
  StepStats st;
  LossScaler scaler(precision == Precision::fp16);
  net.set_active(active);
  net.train();
  // Only the held blocks' parameters: skipped blocks get neither gradient nor weight decay.
  Sgd opt(net.active_params(), {round.lr_at(0), config.momentum, config.weight_decay});
  for (int k = 0; k < round.steps; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    opt.set_lr(round.lr_at(k));
    auto [x, y] = sampler.batch(round.first_step + k); // [B,C,H,W], [B]
    x = x.to(device);
    y = y.to(device);
    opt.zero_grad();
    torch::Tensor loss;
    {
      AutocastScope autocast(precision, device);
      loss = torch::nn::functional::cross_entropy(net.forward(x), y); // fp32: autocast's list
    }
    if (poison) loss = loss * std::numeric_limits<double>::quiet_NaN();
    scaler.scale(loss).backward();
    double comm_s = 0;
    if (dp) {
      // On a GPU, backward() returns before its kernels finish; the all-reduce would wait for them and count
      // them as communication (on an H100, data parallel's compute read 38% short, its communication 35% long).
      if (device.is_cuda()) torch::cuda::synchronize();
      const auto c0 = std::chrono::steady_clock::now();
      const SyncStats s = dp->allreduce_gradients();
      comm_s = seconds_since(c0);
      st.comm.bytes_sent += s.bytes_sent;
      st.comm.bytes_received += s.bytes_received;
    }
    const bool finite_grads = scaler.unscale(net.active_params()); // fp16 only; after any averaging
    if (finite_grads) opt.step();
    else ++st.skipped_steps;
    scaler.update(finite_grads);
    const double l = loss.item<double>(); // also waits for the device
    if (std::isfinite(l)) {
      st.loss_sum += l;
    } else if (st.nonfinite++ == 0) {
      st.first_nonfinite_step = k;
    }
    ++st.steps;
    const double step_s = seconds_since(t0);
    st.step_s.push_back(step_s);
    st.communication_s += comm_s;
    st.compute_s += step_s - comm_s;
  }
  return st;
}

EvalResult evaluate(PreActNetImpl& net, const Dataset& test, const std::vector<int>& partitioned_blocks,
                    double eval_scale, const torch::Device& device, int batch, Precision precision) {
  torch::NoGradGuard no_grad;
  net.set_active(std::vector<bool>(static_cast<std::size_t>(net.num_blocks()), true));
  std::vector<double> scale(static_cast<std::size_t>(net.num_blocks()), 1.0);
  for (int b : partitioned_blocks) scale[static_cast<std::size_t>(b)] = eval_scale;
  net.set_branch_scale(scale);
  net.eval();
  EvalResult r;
  std::int64_t correct = 0;
  double loss_sum = 0;
  for (std::int64_t at = 0; at < test.size(); at += batch) {
    const std::int64_t n = std::min<std::int64_t>(batch, test.size() - at);
    auto [x, y] = eval_batch(test, at, n); // [n,C,H,W] normalized, [n]
    x = x.to(device);
    y = y.to(device);
    torch::Tensor logits;
    {
      AutocastScope autocast(precision, device);
      logits = net.forward(x).to(torch::kFloat32); // [n,classes]
    }
    loss_sum += torch::nn::functional::cross_entropy(
                    logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .item<double>();
    correct += logits.argmax(1).eq(y).sum().item<std::int64_t>();
    r.images += n;
  }
  net.set_branch_scale(std::vector<double>(static_cast<std::size_t>(net.num_blocks()), 1.0));
  net.train();
  if (r.images > 0) {
    r.accuracy = static_cast<double>(correct) / static_cast<double>(r.images);
    r.loss = loss_sum / static_cast<double>(r.images);
  }
  return r;
}

} // namespace resist::exec
