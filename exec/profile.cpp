// resist profile, layers: first the whole step as the trainer runs it and the costs outside the layers;
// then every core layer timed alone with the trainer's own module (same options, same training mode),
// forward then backward, layers interleaved within each repetition so a slow moment of the machine
// spreads over all of them; then the whole step again (both passes pooled, or the lower one when they
// disagree by more than kPassSpreadMax). The whole step's excess
// over the layers is the autograd glue (@autograd). Medians of `repeats` after `warmup`.
#include "exec/host_allocator.hpp"
#include "exec/profile.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "core/progress.hpp"
#include "core/rng.hpp"
#include "core/schedule.hpp"
#include "core/schedule_io.hpp"
#include "exec/autocast.hpp"
#include "exec/comm.hpp"
#include "exec/launch_env.hpp"
#include "exec/speed_probe.hpp"
#include "exec/data.hpp"
#include "exec/net.hpp"
#include "exec/sgd.hpp"
#include "exec/step.hpp"
#include "exec/train.hpp"

namespace resist::exec {

double process_cpu_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double load_average_1m() {
  std::ifstream in("/proc/loadavg");
  double l = -1;
  if (!(in >> l)) return -1;
  return l;
}

double process_age_s() {
  std::ifstream stat("/proc/self/stat"), up("/proc/uptime");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  double uptime = 0;
  const auto close = text.rfind(')'); // the command name may hold spaces
  if (close == std::string::npos || !(up >> uptime)) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  for (int i = 3; i < 22 && rest >> field; ++i) { // field 22: starttime in clock ticks since boot
  }
  unsigned long long start_ticks = 0;
  if (!(rest >> start_ticks)) return 0;
  return std::max(0.0, uptime - static_cast<double>(start_ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK)));
}

namespace {

using Clock = std::chrono::steady_clock;

struct Span {
  double wall_s = 0, cpu_s = 0;
};

/// Times `f` (device work included: CUDA is synchronized before the clock stops).
template <class F> Span timed(const torch::Device& device, F&& f) {
  if (device.is_cuda()) torch::cuda::synchronize();
  const double c0 = process_cpu_s();
  const auto t0 = Clock::now();
  f();
  if (device.is_cuda()) torch::cuda::synchronize();
  return {std::chrono::duration<double>(Clock::now() - t0).count(), process_cpu_s() - c0};
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Samples of one entry: forward and backward, wall and CPU.
struct Samples {
  std::vector<double> fwd, bwd, fwd_cpu, bwd_cpu;
  void add(const Span& f, const Span& b) {
    fwd.push_back(f.wall_s);
    bwd.push_back(b.wall_s);
    fwd_cpu.push_back(f.cpu_s);
    bwd_cpu.push_back(b.cpu_s);
  }
  void extend(const Samples& o) {
    for (auto [to, from] : {std::pair{&fwd, &o.fwd}, {&bwd, &o.bwd}, {&fwd_cpu, &o.fwd_cpu}, {&bwd_cpu, &o.bwd_cpu}})
      to->insert(to->end(), from->begin(), from->end());
  }
  ProfileEntry entry(int batch) const {
    return {batch, median(fwd), median(bwd), median(fwd_cpu), median(bwd_cpu)};
  }
};

/// One pass of whole steps: the step and the costs outside the layers.
struct StepSamples {
  Samples batch, loss, step, zero, opt, create;
  std::vector<double> whole_wall_s; // each step's wall seconds, batch to optimizer step (the spread; not pooled)
  Span first_step; // the pass's first step (of the process, in the first pass)
};

/// Two passes of whole steps further apart than this (ratio of medians): one was disturbed; keep the lower.
constexpr double kPassSpreadMax = 1.2;

StepSamples pooled(const StepSamples& a, const StepSamples& b) {
  StepSamples out = a;
  out.batch.extend(b.batch);
  out.loss.extend(b.loss);
  out.step.extend(b.step);
  out.zero.extend(b.zero);
  out.opt.extend(b.opt);
  out.create.extend(b.create);
  return out;
}

/// One core layer, runnable alone: its module (or functional op) and an input of its shape.
struct LayerRun {
  const Layer* layer = nullptr;
  torch::nn::AnyModule module; // conv, batchnorm, linear
  torch::Tensor x, x2;         // inputs (x2: the add's second operand)
  std::vector<torch::Tensor> params;
};

torch::Tensor run_forward(LayerRun& r, const torch::Tensor& x, const torch::Tensor& x2) {
  switch (r.layer->kind) {
  case LayerKind::relu: return torch::relu(x);
  case LayerKind::add: return x + x2;
  case LayerKind::avgpool: return torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  case LayerKind::maxpool:
    return torch::max_pool2d(x, r.layer->kernel, r.layer->stride, r.layer->padding);
  default: return r.module.forward(x);
  }
}

std::vector<LayerRun> layer_runs(PreActNetImpl& net, const Model& model, int batch, const torch::Device& device) {
  std::map<std::string, std::shared_ptr<torch::nn::Module>> modules;
  for (const auto& item : net.named_modules("", false)) modules[item.key()] = item.value();
  std::vector<LayerRun> out;
  for (const Block& b : model.blocks)
    for (const Layer& l : b.layers) {
      LayerRun r;
      r.layer = &l;
      const auto opts = torch::TensorOptions().device(device).dtype(torch::kFloat32);
      r.x = l.kind == LayerKind::linear || model.is_mlp() ? torch::randn({batch, l.in_channels}, opts) // [B,features]
                                                          : torch::randn({batch, l.in_channels, l.in_h, l.in_w}, opts);
      r.x.set_requires_grad(!l.first_layer);
      if (l.kind == LayerKind::add) r.x2 = torch::randn_like(r.x).set_requires_grad(true);
      if (l.kind == LayerKind::conv2d || l.kind == LayerKind::batchnorm || l.kind == LayerKind::linear) {
        std::string name = l.name;
        if (model.is_mlp()) std::replace(name.begin(), name.end(), '.', '_'); // exec/net.cpp: "fc1.bn" is "fc1_bn"
        const auto it = modules.find(name);
        if (it == modules.end()) throw Error(fmt::format("profile: the network has no module for layer {}", l.name));
        const auto& mod = it->second;
        if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(mod)) r.module = torch::nn::AnyModule(torch::nn::Conv2d(conv));
        else if (auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(mod)) r.module = torch::nn::AnyModule(torch::nn::BatchNorm2d(bn));
        else if (auto fc = std::dynamic_pointer_cast<torch::nn::LinearImpl>(mod)) r.module = torch::nn::AnyModule(torch::nn::Linear(fc));
        else if (auto bn1 = std::dynamic_pointer_cast<torch::nn::BatchNorm1dImpl>(mod)) r.module = torch::nn::AnyModule(torch::nn::BatchNorm1d(bn1));
        else throw Error(fmt::format("profile: module {} is of an unexpected type", l.name));
        r.params = it->second->parameters();
      }
      out.push_back(std::move(r));
    }
  return out;
}

void clear_grads(const std::vector<torch::Tensor>& ts) {
  for (const auto& t : ts)
    if (t.defined()) const_cast<torch::Tensor&>(t).mutable_grad().reset();
}

} // namespace

double ranks_step_cv(const std::vector<std::vector<double>>& per_rank) {
  const std::size_t n = per_rank.size(), steps = n ? per_rank.front().size() : 0;
  if (n < 2 || steps == 0) return 0;
  double var_sum = 0, total = 0;
  for (std::size_t k = 0; k < steps; ++k) {
    double mean = 0;
    for (const auto& r : per_rank) mean += r.at(k) / static_cast<double>(n);
    for (const auto& r : per_rank) var_sum += (r.at(k) - mean) * (r.at(k) - mean) / static_cast<double>(n - 1);
    total += mean;
  }
  return total > 0 ? std::sqrt(var_sum / static_cast<double>(steps)) / (total / static_cast<double>(steps)) : 0;
}

Profile measure_profile(const ProfileOptions& o) {
  configure_host_allocator();
  if (o.repeats < 1 || o.repeats > 1000) throw InputError(fmt::format("--repeats {}: must be in 1..1000", o.repeats));
  if (o.warmup < 0 || o.warmup > 100) throw InputError(fmt::format("--warmup {}: must be in 0..100", o.warmup));
  if (o.ranks_sharing < 1 || o.ranks_sharing > 256)
    throw InputError(fmt::format("--ranks {}: must be in 1..256", o.ranks_sharing));
  const RunConfig& c = o.config;
  if (c.batch < 1) throw InputError(fmt::format("--batch {}: must be >= 1", c.batch));
  const Model model = make_model(c.model, c.model_options);
  torch::Device device = torch::kCPU;
  if (o.device == "cuda") {
    if (!torch::cuda::is_available()) throw InputError("--device cuda: no CUDA device (or a LibTorch without CUDA)");
    device = torch::Device(torch::kCUDA, 0);
  } else if (o.device != "cpu") {
    throw InputError(fmt::format("unknown device '{}' (known: cpu, cuda)", o.device));
  }
  const Precision precision = parse_precision(o.precision);
  check_precision(precision, device.is_cuda());
  apply_math_mode(precision);
  const bool nhwc = channels_last(parse_memory_format(o.memory_format), precision, device.is_cuda());
  LaunchInfo local;
  local.local_world_size = o.ranks_sharing;
  const int threads = o.threads > 0 ? o.threads : default_threads(local);
  at::set_num_threads(threads);

  // Startup as the trainer pays it: data (train, and the test split rank 0 loads) and the network.
  const double load_start_s = process_age_s();
  const auto t_load = Clock::now();
  // The schedule gives only the data: its size and worker 0's order, the same under every protocol. ResIST's
  // partition is not drawn, so a model with fewer partitionable blocks than --workers (resnet18 has one in
  // stage 3) profiles too.
  RunConfig data_config = c;
  if (data_config.protocol == Protocol::resist) data_config.protocol = Protocol::local_sgd;
  const Schedule sched = make_schedule(data_config);
  const DataOptions d = run_data_options(c.dataset, c.seed, model.in_channels, model.image_size, model.classes,
                                         sched.train_size, o.test_size, o.data_dir);
  const Dataset train_set = load_dataset(d, true);
  const Dataset test_set = load_dataset(d, false);
  torch::manual_seed(derive_seed(c.seed, Stream::init));
  PreActNet net(model);
  net->to(device);
  to_memory_format(*net, nhwc);
  net->train();
  BatchSampler sampler(train_set, c.batch, sched.rounds.front().workers.front().data_seed, device); // on a GPU: copies the data there
  // Started as one of K ranks (--ranks K): the rendezvous and the exchanges before the trainer's first
  // step too (world group, schedule hash, clock, barrier), so @startup is all that the trainer pays before
  // round 0 and the simulator adds no group creation of its own (meta startup_includes_rendezvous).
  const LaunchInfo launch = resolve_launch(current_environment());
  std::unique_ptr<Comm> comm;
  if (launch.world_size > 1) {
    comm = std::make_unique<Comm>(launch, CommOptions{});
    (void)comm->all_gather_strings("schedule_hash", schedule_hash(sched));
    (void)comm->all_gather_strings("clock", "0");
    comm->barrier("start");
  }
  const double startup_s = load_start_s + std::chrono::duration<double>(Clock::now() - t_load).count();
  const double startup_cpu_s = process_cpu_s(); // the work of it: loading libraries, data, the network
  // This core's speed now and at the end, for `resist validate --speed-probe` (CPU runs only).
  const double probe_start_cpu_s = device.is_cuda() ? 0 : speed_probe_cpu_s();

  const int batch = c.batch;
  Samples eval_s;
  const auto params = net->parameters();
  const double eval_images = std::min<std::int64_t>(200, test_set.size());
  Progress bar(o.progress ? "profile" : "", 3 * (o.warmup + o.repeats));
  int bar_at = 0;
  std::int64_t step = 0;
  // The whole step as the trainer runs it, and the costs outside the layers. Measured apart from the
  // layers, and twice: before the layers (phase 1) and after them (phase 3). A busy moment of the machine
  // inflates one pass (seen as a whole step 2x its layers): then the pass with the lower median is kept;
  // otherwise the two are pooled (keeping the lower would bias every profile low by half their spread,
  // 3-4% on this machine). Both passes are written to the profile's meta.
  std::unique_ptr<Sgd> opt;
  auto whole_steps = [&] {
    StepSamples out;
    for (int rep = 0; rep < o.warmup + o.repeats; ++rep) {
      const bool keep = rep >= o.warmup;
      // The processes start each step together, as data-parallel ranks do after their all-reduce: then a
      // step's spread is what the sharing gives each (unaligned, a process finishing its pass early left
      // the last steps of the others a whole core, a third faster on 4 ranks).
      if (comm) comm->barrier("profile step");
      torch::Tensor x, labels, logits, loss;
      const Span fb = timed(device, [&] {
        auto xy = sampler.batch(step++);
        x = xy.first.to(device);
        labels = xy.second.to(device);
      });
      torch::Tensor z = torch::randn({x.size(0), model.classes}, torch::TensorOptions().device(device)).set_requires_grad(true);
      const Span lf = timed(device, [&] { loss = torch::nn::functional::cross_entropy(z, labels); });
      const Span lb = timed(device, [&] { loss.backward(); });
      std::unique_ptr<Sgd> fresh;
      const Span oc = timed(device, [&] { fresh = std::make_unique<Sgd>(params, Sgd::Options{c.lr, c.momentum, c.weight_decay}); });
      // One optimizer kept across repetitions: after the warm-up its steps carry momentum, as all but the
      // first step of a round do (a first step only copies the gradients into the momentum buffers).
      if (!opt) opt = std::move(fresh);
      const Span zg = timed(device, [&] { opt->zero_grad(); });
      const Span sf = timed(device, [&] {
        AutocastScope autocast(precision, device);
        logits = net->forward(x);
        loss = torch::nn::functional::cross_entropy(logits, labels);
      });
      const Span sb = timed(device, [&] { loss.backward(); });
      const Span os = timed(device, [&] { opt->step(); });
      (void)loss.item<double>();
      if (rep == 0) out.first_step = {fb.wall_s + sf.wall_s + sb.wall_s + os.wall_s, fb.cpu_s + sf.cpu_s + sb.cpu_s + os.cpu_s};
      if (keep) {
        out.batch.add(fb, {});
        out.loss.add(lf, lb);
        out.step.add(sf, sb);
        out.zero.add(zg, {});
        out.opt.add(os, {});
        out.create.add(oc, {});
        out.whole_wall_s.push_back(fb.wall_s + zg.wall_s + sf.wall_s + sb.wall_s + os.wall_s);
      }
      bar.update(++bar_at);
    }
    return out;
  };
  const StepSamples pass1 = whole_steps();
  net->zero_grad();
  // Evaluation as the trainer runs it: rank 0 alone while the other ranks wait at a barrier (measured
  // among busy ranks instead, the time-sharing showed up as +14-19% on 4 ranks).
  if (comm) comm->barrier("evaluation begins", 600);
  if (!comm || comm->rank() == 0) {
    const Dataset part = first_images(test_set, static_cast<std::int64_t>(eval_images));
    for (int rep = 0; eval_images > 0 && rep < o.warmup + o.repeats; ++rep) {
      const Span ev = timed(device, [&] { evaluate(*net, part, {}, 1.0, device, 100, precision); });
      if (rep >= o.warmup) eval_s.add({ev.wall_s / eval_images, ev.cpu_s / eval_images}, {});
    }
  }
  if (comm) comm->barrier("evaluation ends", 600);
  net->train();
  // Phase 2: every layer alone, interleaved within each repetition. The layers' inputs are made only now,
  // so the first pass (and the process's first step) sees the memory a trainer has, not 1 GB more.
  auto runs = layer_runs(*net, model, batch, device);
  // The layers' inputs as the network passes them: channels-last from the first convolution on, and in
  // bf16 / fp16 half-precision activations after the first layer (autocast's convolutions output half,
  // and BN, ReLU and add keep it). FP32 inputs there would charge each layer autocast's casts and twice
  // the bytes (seen in the first H100 bf16 profile: experiments/gpu_h100/roofline_vs_profile.md).
  const bool half = precision == Precision::bf16 || precision == Precision::fp16;
  const auto act_dtype = precision == Precision::bf16 ? torch::kBFloat16 : torch::kHalf;
  auto as_passed = [&](const torch::Tensor& t, bool first) {
    if (!t.defined()) return t;
    const bool grad = t.requires_grad();
    torch::Tensor u = t.detach();
    if (half && !first) u = u.to(act_dtype);
    if (nhwc && u.dim() == 4) u = u.contiguous(torch::MemoryFormat::ChannelsLast);
    return u.set_requires_grad(grad);
  };
  if (nhwc || half)
    for (LayerRun& r : runs) {
      r.x = as_passed(r.x, r.layer->first_layer);
      r.x2 = as_passed(r.x2, false);
    }
  std::vector<Samples> layer_samples(runs.size());
  for (int rep = 0; rep < o.warmup + o.repeats; ++rep) {
    const bool keep = rep >= o.warmup;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      LayerRun& r = runs[i];
      torch::Tensor y;
      clear_grads({r.x, r.x2});
      clear_grads(r.params);
      const Span f = timed(device, [&] {
        AutocastScope autocast(precision, device);
        y = run_forward(r, r.x, r.x2);
      });
      const torch::Tensor g = torch::ones_like(y);
      const Span b = timed(device, [&] {
        if (r.x.requires_grad() || !r.params.empty()) y.backward(g);
      });
      if (keep) layer_samples[i].add(f, b);
      // Gradients freed now, not at the layer's next turn: every layer's input and its gradient held at once
      // would be twice the inputs (ResNet-50, batch 256, 224x224: 2 x 44 GB, more than an H100 has).
      clear_grads({r.x, r.x2});
      clear_grads(r.params);
    }
    bar.update(++bar_at);
  }
  // The inputs go too (the names stay), so the second pass of whole steps has the memory the first had.
  for (LayerRun& r : runs) r.x = r.x2 = torch::Tensor();
  net->zero_grad();
  const StepSamples pass2 = whole_steps();
  // CPU seconds on the CPU (what the simulator reads there), wall seconds on a GPU.
  auto step_cost = [&](const StepSamples& ps) {
    const ProfileEntry e = ps.step.entry(batch);
    return device.is_cuda() ? e.forward_s + e.backward_s : e.forward_cpu_s + e.backward_cpu_s;
  };
  const double cost1 = step_cost(pass1), cost2 = step_cost(pass2);
  const bool pool = std::max(cost1, cost2) <= kPassSpreadMax * std::min(cost1, cost2);
  const char* kept_pass = pool ? "both" : cost2 < cost1 ? "2" : "1";
  const StepSamples kept = pool ? pooled(pass1, pass2) : cost2 < cost1 ? pass2 : pass1;
  const Span first_step = pass1.first_step; // the process's first whole step: cold pages and allocator
  // How far the ranks' times of the same step spread (their sharing of the cores included): a
  // data-parallel step waits for the slowest (sim/ddp_model.hpp's barrier). Every rank's steps of both
  // passes, exchanged by all of them whichever pass each keeps.
  double step_cv = 0;
  if (comm) {
    std::vector<std::vector<double>> per_rank;
    for (const auto& [pass, key] : {std::pair{&pass1, "profile_steps_1"}, {&pass2, "profile_steps_2"}}) {
      std::string mine;
      for (double v : pass->whole_wall_s) mine += fmt::format("{}{:.6f}", mine.empty() ? "" : ",", v);
      const auto all = comm->all_gather_strings(key, mine);
      for (std::size_t r = 0; r < all.size(); ++r) {
        if (per_rank.size() <= r) per_rank.emplace_back();
        std::stringstream ss(all[r]);
        for (std::string v; std::getline(ss, v, ',');) per_rank[r].push_back(std::stod(v));
      }
    }
    step_cv = ranks_step_cv(per_rank);
    comm->barrier("speed probe"); // all processes probe at once, as at the start and in a run
  }
  const double probe_end_cpu_s = device.is_cuda() ? 0 : speed_probe_cpu_s();

  Profile p;
  p.meta = {{"model", model.name},
            {"in_channels", std::to_string(model.in_channels)},
            {"image_size", std::to_string(model.image_size)},
            {"classes", std::to_string(model.classes)},
            {"batch", std::to_string(batch)},
            {"device", o.device},
            {"threads", std::to_string(threads)},
            {"ranks_sharing", std::to_string(o.ranks_sharing)},
            {"precision", to_string(precision)},
            {"memory_format", nhwc ? "channels_last" : "nchw"},
            {"repeats", std::to_string(o.repeats)},
            {"warmup", std::to_string(o.warmup)},
            {"load_avg_end", fmt::format("{:.2f}", load_average_1m())},
            {"whole_step_passes_s", fmt::format("{:.6f};{:.6f}", cost1, cost2)},
            {"whole_step_pass_kept", kept_pass},
            {"startup_includes_rendezvous", comm ? "1" : "0"},
            {"torch", TORCH_VERSION}};
  if (comm) p.meta["step_wall_cv"] = fmt::format("{:.4f}", step_cv); // measured among ranks only
  if (!device.is_cuda()) p.meta["speed_probe_cpu_s"] = fmt::format("{:.6f};{:.6f}", probe_start_cpu_s, probe_end_cpu_s);
  ProfileEntry layers_sum;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const ProfileEntry e = layer_samples[i].entry(batch);
    p.layers[runs[i].layer->name] = e;
    p.order.push_back(runs[i].layer->name);
    layers_sum.forward_s += e.forward_s;
    layers_sum.backward_s += e.backward_s;
    layers_sum.forward_cpu_s += e.forward_cpu_s;
    layers_sum.backward_cpu_s += e.backward_cpu_s;
  }
  auto add_cost = [&](const char* name, ProfileEntry e) {
    p.costs[name] = e;
    p.order.push_back(name);
  };
  const ProfileEntry loss = kept.loss.entry(batch), whole = kept.step.entry(batch);
  const ProfileEntry steady_batch = kept.batch.entry(batch), steady_opt = kept.opt.entry(batch);
  add_cost(profile_cost::batch, steady_batch);
  add_cost(profile_cost::loss, loss);
  // The whole step less its parts: may be negative when layers alone run slower than in the graph.
  add_cost(profile_cost::autograd, {batch, whole.forward_s - layers_sum.forward_s - loss.forward_s,
                                    whole.backward_s - layers_sum.backward_s - loss.backward_s,
                                    whole.forward_cpu_s - layers_sum.forward_cpu_s - loss.forward_cpu_s,
                                    whole.backward_cpu_s - layers_sum.backward_cpu_s - loss.backward_cpu_s});
  add_cost(profile_cost::zero_grad, kept.zero.entry(batch));
  add_cost(profile_cost::optimizer_step, steady_opt);
  add_cost(profile_cost::optimizer_create, kept.create.entry(batch));
  add_cost(profile_cost::eval_image, eval_s.entry(100));
  add_cost(profile_cost::startup, {1, startup_s, 0, startup_cpu_s, 0});
  add_cost(profile_cost::first_step,
           {batch,
            std::max(0.0, first_step.wall_s - whole.forward_s - whole.backward_s - steady_batch.forward_s - steady_opt.forward_s),
            0,
            std::max(0.0, first_step.cpu_s - whole.forward_cpu_s - whole.backward_cpu_s - steady_batch.forward_cpu_s -
                              steady_opt.forward_cpu_s),
            0});
  if (comm) comm->barrier("finish", 600); // rank 0 may host the store (launchers other than ours): it leaves last
  return p;
}

} // namespace resist::exec
