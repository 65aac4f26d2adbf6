#include "sim/replay.hpp"

#include <fmt/format.h>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Exec.hpp>
#include <simgrid/s4u/Host.hpp>
#include <xbt/log.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <cstring>
#include <numeric>
#include <unordered_map>

#include "core/error.hpp"
#include "core/ist_partition.hpp"
#include "core/layer_parallel.hpp"
#include "core/model_zoo.hpp"
#include "core/progress.hpp"
#include "sim/ddp_model.hpp"
#include "sim/input_pipeline.hpp"
#include "sim/round_factors.hpp"

namespace sg4 = simgrid::s4u;

namespace resist::sim {
namespace {

std::vector<bool> held_blocks(const RunContext& ctx, int round, int w) {
  const auto& part = ctx.schedule.partitionable;
  std::vector<bool> held(ctx.model.blocks.size(), true);
  if (ctx.schedule.config.protocol == Protocol::layer_parallel) { // its module: stem and head included
    const LayerParallelCut cut{ctx.schedule.module_first_block};
    for (std::size_t b = 0; b < held.size(); ++b) held[b] = cut.module_of(static_cast<int>(b)) == w;
    return held;
  }
  if (round_protocol(ctx.schedule, round) != Protocol::resist) return held; // a warm-up round: the full model
  for (int b : part) held[static_cast<std::size_t>(b)] = false;
  for (int b : ctx.schedule.rounds[static_cast<std::size_t>(round)].workers[static_cast<std::size_t>(w)].blocks)
    held[static_cast<std::size_t>(b)] = true;
  return held;
}

/// Share of the model's parameters, and of its layers' measured seconds (layer count without a
/// profile), in the blocks `held` (weights per block precomputed in the context).
struct HeldShare {
  double params = 1;
  double layers = 1;
};
HeldShare held_share(const RunContext& ctx, const std::vector<bool>& held) {
  double p = 0, l = 0, pt = 0, lt = 0;
  for (std::size_t b = 0; b < held.size(); ++b) {
    const double bp = static_cast<double>(ctx.model.blocks[b].params()), bl = ctx.block_layer_weight[b];
    pt += bp;
    lt += bl;
    if (held[b]) {
      p += bp;
      l += bl;
    }
  }
  return {pt > 0 ? p / pt : 1, lt > 0 ? l / lt : 1};
}

/// Measured costs outside the layers of one step: before the backward (batch, zero_grad, loss, the
/// forward's autograd glue), inside it (the loss's backward, the backward's glue: negative when layers
/// alone ran slower than in the graph) and after it (the optimizer step).
struct StepCosts {
  double before_s = 0, backward_s = 0, after_s = 0;
};
StepCosts step_costs(const RunContext& ctx, const HeldShare& share) {
  if (!ctx.profile) return {};
  const int batch = ctx.schedule.config.batch;
  const Profile& p = *ctx.profile;
  const ProfileEntry batch_e = p.cost(profile_cost::batch, batch), loss = p.cost(profile_cost::loss, batch),
                     autograd = p.cost(profile_cost::autograd, batch), zero = p.cost(profile_cost::zero_grad, batch),
                     opt = p.cost(profile_cost::optimizer_step, batch);
  return {batch_e.forward_s + loss.forward_s + zero.forward_s * share.params + autograd.forward_s * share.layers,
          loss.backward_s + autograd.backward_s * share.layers, opt.forward_s * share.params};
}

/// DDP: backward runs from the last block to the first; a bucket is ready once its block is done and its
/// gradients are copied in; the averaged bucket is copied back after its all-reduce. With several workers
/// every compute phase is stretched by the step barrier's factor (ddp_model.hpp).
/// Workers on worker w's node.
int node_workers(const RunContext& ctx, int w) {
  const int node = ctx.node_of_worker[static_cast<std::size_t>(w)];
  return static_cast<int>(std::count(ctx.node_of_worker.begin(), ctx.node_of_worker.end(), node));
}

OverlapStep overlap_step(const RunContext& ctx, int w) {
  const auto& t = ctx.block_times[static_cast<std::size_t>(w)];
  const int workers = ctx.schedule.config.workers;
  // Across nodes a step's spread is the platform's multi-node one where it sets it (platform.hpp).
  const bool several_nodes =
      std::adjacent_find(ctx.node_of_worker.begin(), ctx.node_of_worker.end(), std::not_equal_to<>()) !=
      ctx.node_of_worker.end();
  const double platform_cv = several_nodes && ctx.params.ddp_step_cv_net > 0 ? ctx.params.ddp_step_cv_net
                                                                              : ctx.params.ddp_step_cv;
  const double cv = ctx.options.step_spread_cv > 0 ? ctx.options.step_spread_cv : platform_cv;
  const double barrier = workers > 1 ? ddp_barrier_factor(workers, cv) : 1.0;
  const double mem_Bps = w < static_cast<int>(ctx.mem_Bps.size()) ? ctx.mem_Bps[static_cast<std::size_t>(w)] : 0;
  OverlapStep st;
  for (const auto& b : t) {
    st.forward_s += b.forward_s * barrier;
    st.update_s += b.update_s * barrier;
  }
  const StepCosts costs = step_costs(ctx, {});
  const double speed = ctx.hosts[static_cast<std::size_t>(w)].speed_factor;
  st.forward_s += costs.before_s / speed;
  st.update_s += costs.after_s / speed;
  // The backward's own costs outside the layers stretch (or, when negative, shrink) every block's backward
  // alike: a segment cannot run for negative time, so they are not a segment of their own.
  double backward_s = 0;
  for (const auto& b : t) backward_s += b.backward_s * barrier;
  const double stretch = backward_s > 0 ? std::max(0.0, (backward_s + costs.backward_s / speed) / backward_s) : 1;
  int next = static_cast<int>(t.size()) - 1; // next block whose backward has not run
  for (const GradientBucket& bucket : gradient_buckets(ctx.model)) {
    double s = 0;
    for (; next >= bucket.ready_after_block; --next) s += t[static_cast<std::size_t>(next)].backward_s * barrier * stretch;
    const double copy_s = workers > 1 ? bucket_copy_s(bucket.bytes, mem_Bps) : 0;
    st.backward_before_bucket_s.push_back(s + copy_s);
    st.bucket_copy_s.push_back(copy_s);
  }
  for (; next >= 0; --next) st.backward_tail_s += t[static_cast<std::size_t>(next)].backward_s * barrier * stretch;
  // The step's batch not decoded yet: the GPU waits before forward.
  st.forward_s += input_wait_s(st.compute_s(), ctx.schedule.config.batch, node_workers(ctx, w),
                               ctx.params.input_img_per_s);
  return st;
}

/// Routes kept by worker pair at most (about 64 B each): the pairs a run asks for change from round to
/// round (ResIST's holder sets), up to the square of its workers.
constexpr std::size_t kRoutesCached = std::size_t{1} << 16;

template <typename T> void put(std::string& key, const T& v) {
  key.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

} // namespace

/// Per-round costs outside the steps: the optimizer re-created, and a fresh process's first step in
/// round 0 (cold pages and allocator). Measured by a profile; none without one.
double round_fixed_s(const RunContext& ctx, int round, int w, const HeldShare& share) {
  if (!ctx.profile) return 0;
  const int batch = ctx.schedule.config.batch;
  double fixed = ctx.profile->cost(profile_cost::optimizer_create, batch).forward_s * share.params;
  // A fresh process's first step: the run's round 0, not a segment's (its survivors' processes go on).
  if (ctx.schedule.run_round(round) == 0) fixed += ctx.profile->cost(profile_cost::first_step, batch).forward_s;
  return fixed / ctx.hosts[static_cast<std::size_t>(w)].speed_factor;
}

double round_compute_s(const RunContext& ctx, int round, int w, int steps) {
  const auto held = held_blocks(ctx, round, w);
  double step = 0;
  for (std::size_t b = 0; b < held.size(); ++b)
    if (held[b]) step += ctx.block_times[static_cast<std::size_t>(w)][b].total_s();
  HeldShare share = held_share(ctx, held);
  if (!ctx.ist_share.empty()) {
    const auto [params, layers] = ctx.ist_share[static_cast<std::size_t>(w)];
    share = {params, layers};
  }
  const StepCosts costs = step_costs(ctx, share);
  const double speed = ctx.hosts[static_cast<std::size_t>(w)].speed_factor;
  step += (costs.before_s + costs.backward_s + costs.after_s) / speed;
  return steps * step + round_fixed_s(ctx, round, w, share);
}

RoundInput build_round(const RunContext& ctx, int round, int overlap_steps) {
  const Schedule& sched = ctx.schedule;
  // The protocol whose plan round_comm_plan gives: a warm-up round's is local SGD's, but the last warm-up
  // round's (its receivers are the first ResIST round's holders) is ResIST's, exchange by exchange.
  const bool local_sgd_plan = round_protocol(sched, round) == Protocol::local_sgd &&
                              round_protocol(sched, round + 1) == Protocol::local_sgd;
  const Protocol protocol = local_sgd_plan ? Protocol::local_sgd : sched.config.protocol;
  RoundInput in;
  in.round = round;
  in.workers = sched.config.workers;
  in.threads = ctx.threads;
  const CommPlan plan = round_comm_plan(sched, ctx.model, round);
  CollectiveChoice choice = parse_collective(ctx.options.collective);
  choice.nccl_enable = NcclEnable::parse(ctx.options.nccl_algo, ctx.options.nccl_proto);
  choice.granularity = ctx.options.step_replay ? Granularity::steps : Granularity::spans;
  if (choice.c10d && protocol != Protocol::data_parallel) {
    in.ops = make_c10d_ops(plan, in.workers, ctx.created_groups, choice.granularity);
  } else {
    in.ops = make_sync_ops(plan, ctx.model, protocol, ctx.reference_blocks, choice, ctx.node_of_worker,
                           ctx.nccl);
  }
  in.barrier_before_sync = choice.c10d; // the trainer's loss check: a tiny all-reduce over everyone
  const RouteOf route = [&ctx](int src, int dst) {
    const std::int64_t key = static_cast<std::int64_t>(src) << 32 | static_cast<std::uint32_t>(dst);
    auto it = ctx.routes.find(key);
    if (it == ctx.routes.end()) {
      if (ctx.routes.size() >= kRoutesCached) ctx.routes.clear(); // bounded: routes are asked for again
      it = ctx.routes.emplace(key, route_between(ctx.hosts[static_cast<std::size_t>(src)], ctx.hosts[static_cast<std::size_t>(dst)]))
               .first;
    }
    return it->second;
  };
  for (const SyncOp& op : in.ops) in.index.push_back(index_transfers(op.transfers, in.workers, route, op.latency_s));
  const int steps = sched.rounds[static_cast<std::size_t>(round)].steps;
  if (protocol == Protocol::data_parallel) {
    in.overlap = true;
    in.overlap_steps = overlap_steps;
    for (int w = 0; w < in.workers; ++w) {
      OverlapStep st = overlap_step(ctx, w);
      if (choice.c10d) { // the trainer all-reduces after the whole backward: no overlap
        double backward = st.backward_tail_s;
        for (std::size_t j = 0; j < st.backward_before_bucket_s.size(); ++j) {
          backward += st.backward_before_bucket_s[j] - st.bucket_copy_s[j]; // copies: in the all-reduce call
          st.backward_before_bucket_s[j] = 0;
        }
        st.copy_in_on_comm = true;
        st.backward_tail_s = 0;
        if (!st.backward_before_bucket_s.empty()) st.backward_before_bucket_s.front() = backward;
        else st.backward_tail_s = backward;
      }
      in.step.push_back(st);
      in.fixed_s.push_back(round_fixed_s(ctx, round, w, held_share(ctx, held_blocks(ctx, round, w))));
    }
  } else {
    // The round ends in a sync that waits for the slowest worker: modelled when the spread was measured
    // (the platform's ddp_step_cv is a DDP fit that holds other costs too).
    const double barrier = ctx.options.step_spread_cv > 0 && in.workers > 1
                               ? round_barrier_factor(in.workers, ctx.options.step_spread_cv, steps) : 1.0;
    for (int w = 0; w < in.workers; ++w) {
      const double c = round_compute_s(ctx, round, w, steps) * barrier;
      in.compute_s.push_back(c + input_wait_s(c, static_cast<double>(steps) * sched.config.batch, node_workers(ctx, w),
                                              ctx.params.input_img_per_s));
    }
  }
  // A straggler for some rounds only (events): all of the worker's compute in them slows alike.
  for (int w = 0; w < in.workers; ++w) {
    const double f = window_factor(ctx.options.round_speed, round, w);
    if (f == 1) continue;
    const auto i = static_cast<std::size_t>(w);
    if (i < in.compute_s.size()) in.compute_s[i] /= f;
    if (i < in.fixed_s.size()) in.fixed_s[i] /= f;
    if (i < in.step.size()) {
      OverlapStep& st = in.step[i];
      st.forward_s /= f;
      st.backward_tail_s /= f;
      st.update_s /= f;
      for (double& b : st.backward_before_bucket_s) b /= f;
      for (double& b : st.bucket_copy_s) b /= f;
    }
  }
  return in;
}

LpRoundInput build_layer_parallel_round(const RunContext& ctx, int round) {
  const Schedule& sched = ctx.schedule;
  LpRoundInput in;
  in.round = round;
  in.steps = sched.rounds[static_cast<std::size_t>(round)].steps;
  in.threads = ctx.threads;
  in.barrier_at_end = parse_collective(ctx.options.collective).c10d;
  const LayerParallelCut cut{sched.module_first_block};
  in.cut_bytes.assign(static_cast<std::size_t>(cut.modules()), 0);
  for (int c = 1; c < cut.modules(); ++c)
    in.cut_bytes[static_cast<std::size_t>(c)] = cut_shape(ctx.model, cut, c).bytes();
  const Round& rd = sched.rounds[static_cast<std::size_t>(round)];
  for (std::int64_t k = rd.first_step; k < rd.first_step + in.steps; ++k) // an epoch's last batch may be short
    in.images.push_back(static_cast<int>(std::min<std::int64_t>(
        sched.config.batch, sched.train_size - (k % sched.steps_per_epoch) * sched.config.batch)));
  for (int w = 0; w < sched.config.workers; ++w) {
    // round_compute_s is steps x step + the round's fixed costs: both from two calls.
    const double fixed = round_compute_s(ctx, round, w, 0);
    const double step = round_compute_s(ctx, round, w, 1) - fixed;
    const double speed = ctx.hosts[static_cast<std::size_t>(w)].speed_factor;
    LpStepCosts c;
    if (ctx.profile) c.data_s = ctx.profile->cost(profile_cost::batch, sched.config.batch).forward_s / speed;
    c.module_s = step - c.data_s;
    const StepTime& aux = ctx.aux_times[static_cast<std::size_t>(w)];
    c.aux_gen_s = aux.forward_s;
    c.refit_s = aux.total_s();
    const double f = window_factor(ctx.options.round_speed, round, w); // a straggler for some rounds
    c.data_s /= f;
    c.module_s /= f;
    c.aux_gen_s /= f;
    c.refit_s /= f;
    in.step.push_back(c);
    in.fixed_s.push_back(fixed / f);
  }
  return in;
}

std::string round_key(const RoundInput& in, const RunContext& ctx) {
  std::string key;
  put(key, in.workers);
  put(key, in.overlap_steps);
  put(key, in.threads);
  put(key, in.barrier_before_sync);
  for (double c : in.compute_s) put(key, c);
  for (const auto& st : in.step) {
    put(key, st.forward_s);
    for (double b : st.backward_before_bucket_s) put(key, b);
    for (double b : st.bucket_copy_s) put(key, b);
    put(key, st.backward_tail_s);
    put(key, st.update_s);
    put(key, st.copy_in_on_comm);
  }
  for (double f : in.fixed_s) put(key, f);
  for (const SyncOp& op : in.ops) {
    put(key, op.transfers.size());
    for (const Transfer& t : op.transfers) {
      put(key, t.src);
      put(key, t.dst);
      put(key, t.bytes);
      put(key, t.step);
      put(key, t.steps);
      put(key, t.ring_first);
      put(key, t.ring_steps);
    }
    put(key, op.latency_s);
    for (int w : op.participants) {
      put(key, w);
      put(key, op_overhead_s(op, w, ctx.params));
    }
  }
  return key;
}

const RoundOutcome* RoundCache::find(const std::string& key) {
  const auto it = by_key_.find(key);
  if (it == by_key_.end()) return nullptr;
  entries_.splice(entries_.begin(), entries_, it->second);
  return &it->second->out;
}

const RoundOutcome& RoundCache::insert(std::string key, RoundOutcome out) {
  std::size_t bytes = key.size() + sizeof(Entry) + out.bytes.size() * sizeof(WorkerBytes);
  for (const TimelineEvent& e : out.events) bytes += sizeof(e) + e.label.capacity();
  entries_.push_front({std::move(key), std::move(out), bytes});
  by_key_.emplace(entries_.front().key, entries_.begin());
  bytes_ += bytes;
  while (entries_.size() > 1 && (entries_.size() > max_entries_ || bytes_ > max_bytes_)) {
    by_key_.erase(entries_.back().key);
    bytes_ -= entries_.back().bytes;
    entries_.pop_back();
  }
  return entries_.front().out;
}

SimResult simulate_in_process(const Schedule& schedule, const SimOptions& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  xbt_log_control_set("root.thres:critical");
  sg4::Engine engine("resist");
  sg4::Engine::set_config("network/model:CM02");         // no latency / bandwidth correction factors
  sg4::Engine::set_config("network/crosstraffic:0");     // no 5% reverse-path charge (ACKs)
  sg4::Engine::set_config("network/TCP-gamma:1e18");     // no TCP window bound on long-latency routes
  // An actor per worker (and per communication stream): SimGrid's default 8 MiB stacks cost an mmap,
  // page faults and a munmap each, a quarter of a 8,192-worker round; ours need far less.
  sg4::Engine::set_config(kActorStackConfig);

  const RunConfig& cfg = schedule.config;
  const Model model = make_model(cfg.model, cfg.model_options);
  RunContext ctx{schedule, model, options, {}, {}, {}, {}, {}, nullptr, 1, {}, {}, {}, {}, {}, {}, {}};
  ctx.hosts = load_platform(engine, platform_for(options), cfg.workers, options.params, ctx.params);
  for (const auto& [w, f] : options.speed_factors) {
    if (w < 0 || w >= cfg.workers) throw InputError(fmt::format("speed factor for worker {}: no such worker", w));
    if (!(f > 0)) throw InputError(fmt::format("speed factor {} for worker {}: must be > 0", f, w));
    ctx.hosts[static_cast<std::size_t>(w)].speed_factor = f;
  }
  check_windows(options.round_speed, cfg.workers, "round speed");
  check_windows(options.round_link, cfg.workers, "link");
  if (!(options.step_spread_cv >= 0) || options.step_spread_cv > 10)
    throw InputError(fmt::format("step spread {}: must be in 0..10", options.step_spread_cv));
  if (options.efficiency < 0 || options.efficiency > 1)
    throw InputError(fmt::format("GPU efficiency {}: must be in (0, 1]", options.efficiency));
  const GpuTable table = options.gpu_table.empty() ? GpuTable::builtin() : GpuTable::read(options.gpu_table);
  const MathMode math = parse_math(options.math);
  const Fusion fusion = parse_fusion(options.fusion);
  std::unique_ptr<Profile> profile;
  if (!options.profile.empty()) {
    profile = std::make_unique<Profile>(Profile::read(options.profile).with_basis(options.profile_basis));
    profile->check_against(model);
    if (profile->complete()) ctx.profile = profile.get();
  }
  if (options.threads < 0) throw InputError(fmt::format("--threads {}: must be >= 1", options.threads));
  ctx.threads = options.threads > 0 ? options.threads : profile ? profile->threads() : 1;
  for (const Block& b : model.blocks) { // what @autograd is shared by: measured layer seconds, else layers
    double weight = 0;
    for (const Layer& layer : b.layers) {
      const ProfileEntry* e = nullptr;
      if (ctx.profile)
        if (const auto it = ctx.profile->layers.find(layer.name); it != ctx.profile->layers.end()) e = &it->second;
      weight += e ? e->forward_s + e->backward_s : 1.0;
    }
    ctx.block_layer_weight.push_back(weight);
  }
  SimResult result;
  for (auto& h : ctx.hosts) {
    if (!options.gpu.empty()) h.gpu = options.gpu;
    GpuKind kind = table.at(h.gpu);
    ctx.mem_Bps.push_back(kind.mem_Bps * kind.mem_efficiency * h.speed_factor);
    if (options.efficiency > 0) kind.fp32_efficiency = kind.tf32_efficiency = kind.half_efficiency = options.efficiency;
    auto times = block_step_times(model, kind, math, cfg.batch, profile.get(), fusion);
    if (cfg.protocol == Protocol::ist) {
      // IST: the worker's sub-network, costed from its own layer shapes. A worker's chunk sizes are the
      // same every round (d / S, one more for the first d % S workers), so round 0's shapes hold for all.
      const int w = static_cast<int>(ctx.block_times.size());
      const Model sub = ist_sub_model(model, ist_partition_for_round(model, cfg.workers, cfg.seed, 0), w);
      auto sub_times = sub_block_step_times(model, sub, kind, math, cfg.batch, profile.get(), fusion);
      double full_s = 0, sub_s = 0;
      for (std::size_t b = 0; b < times.size(); ++b) {
        full_s += times[b].total_s();
        sub_s += sub_times[b].total_s();
      }
      ctx.ist_share.emplace_back(static_cast<double>(sub.params()) / static_cast<double>(model.params()),
                                 full_s > 0 ? sub_s / full_s : 1.0);
      times = std::move(sub_times);
    }
    for (auto& t : times) {
      t.forward_s /= h.speed_factor;
      t.backward_s /= h.speed_factor;
      t.update_s /= h.speed_factor;
    }
    ctx.block_times.push_back(std::move(times));
    StepTime aux; // layer_parallel: the AuxNet of this worker's module input, on the roofline (no profile rows)
    const int w = static_cast<int>(ctx.block_times.size()) - 1;
    if (cfg.protocol == Protocol::layer_parallel && w > 0) {
      const LayerParallelCut cut{schedule.module_first_block};
      for (const Layer& l : auxnet_layers(model, cut_shape(model, cut, w), cfg.layer_parallel.aux_width, w)) {
        const StepTime t = roofline_layer_time(l, kind, math, cfg.batch);
        aux.forward_s += t.forward_s / h.speed_factor;
        aux.backward_s += t.backward_s / h.speed_factor;
        aux.update_s += t.update_s / h.speed_factor;
      }
    }
    ctx.aux_times.push_back(aux);
    ctx.node_of_worker.push_back(h.node);
    result.worker_names.push_back(fmt::format("{} ({} x{})", h.host->get_name(), h.gpu, h.speed_factor));
  }
  ctx.nccl = nccl_hardware(ctx.hosts, table);
  result.group_rebuild_s = group_create_member_s(cfg.workers, ctx.params);
  set_nccl_params(ctx.nccl, ctx.params);
  if (cfg.protocol == Protocol::resist) ctx.reference_blocks = schedule.partitionable;
  else if (!model.is_mlp()) ctx.reference_blocks = partitionable_blocks(model, cfg.partition);

  const int rounds = static_cast<int>(schedule.rounds.size());
  result.protocol = to_string(cfg.protocol);
  result.collective = parse_collective(options.collective).name();
  result.platform = options.platform;
  result.workers = cfg.workers;
  result.rounds = rounds;
  result.worker_bytes.resize(static_cast<std::size_t>(cfg.workers));

  // Other programs' busy threads on the hosts whose cores workers time-share: daemons that compute for
  // ever (a fractional thread as an execution bounded to that fraction of a core), ended with the run.
  if (!(options.background_threads >= 0) || options.background_threads > 1024)
    throw InputError(fmt::format("--background-threads {}: must be in 0..1024", options.background_threads));
  std::vector<sg4::Host*> shared_hosts;
  for (const auto& h : ctx.hosts)
    if (h.compute_host && std::find(shared_hosts.begin(), shared_hosts.end(), h.compute_host) == shared_hosts.end())
      shared_hosts.push_back(h.compute_host);
  for (sg4::Host* host : shared_hosts)
    for (double left = options.background_threads; left > 1e-9; left -= 1) {
      const double fraction = std::min(1.0, left);
      sg4::Actor::create("background", host, [host, fraction] {
        for (;;) {
          auto e = sg4::this_actor::exec_init(1e6 * host->get_speed());
          if (fraction < 1) e->set_bound(fraction * host->get_speed());
          e->wait();
        }
      })->daemonize();
    }

  sg4::Actor::create("controller", ctx.hosts.front().host, [&] {
    MailboxTable mailboxes;
    RoundCache cache;
    LinkFactors link_factors(ctx.hosts, options.round_link);
    // A line every 10 s where stderr is no terminal (a log): nothing for a short run.
    Progress bar(options.progress ? "simulate " + result.protocol : "", rounds, 10.0);
    double t = 0;
    for (int r = 0; r < rounds; ++r) {
      const int steps = schedule.rounds[static_cast<std::size_t>(r)].steps;
      if (link_factors.apply(r)) ctx.routes.clear(); // routes carry their narrowest link's bandwidth
      const bool dp = cfg.protocol == Protocol::data_parallel;
      const int simulated_steps = dp && options.reuse ? 1 : steps;
      const bool lp = cfg.protocol == Protocol::layer_parallel; // its own replay: steps with neighbour transfers
      const RoundInput in = lp ? RoundInput{} : build_round(ctx, r, simulated_steps);
      const LpRoundInput lp_in = lp ? build_layer_parallel_round(ctx, r) : LpRoundInput{};
      std::string key = options.reuse ? (lp ? layer_parallel_round_key(lp_in) : round_key(in, ctx)) : std::string();
      if (options.reuse) link_factors.add_to_key(key);
      const RoundOutcome* found = options.reuse ? cache.find(key) : nullptr;
      RoundOutcome fresh; // --no-reuse: not kept
      if (!found) {
        RoundOutcome out = lp ? replay_layer_parallel_round(lp_in, ctx.hosts, ctx.params)
                              : replay_round(in, ctx.hosts, ctx.params, mailboxes);
        mailboxes.recycle(); // the round is over: its mailboxes are empty, and free for the next round's pairs
        ++result.simulated_rounds;
        if (dp && simulated_steps != steps) { // identical steps: one simulated, the others the same
          // Scaled from when the steps begin; the round's fixed costs before them stay as simulated.
          const double k = static_cast<double>(steps) / simulated_steps, p = out.steps_start_s;
          auto scale = [&](double t_s) { return t_s >= p ? p + (t_s - p) * k : t_s; };
          out.duration_s = scale(out.duration_s);
          for (auto& e : out.events) {
            e.start_s = scale(e.start_s);
            e.end_s = scale(e.end_s);
            e.bytes_sent = e.bytes_sent * steps / simulated_steps;
            e.bytes_received = e.bytes_received * steps / simulated_steps;
          }
          for (auto& b : out.bytes) {
            b.sent = b.sent * steps / simulated_steps;
            b.received = b.received * steps / simulated_steps;
          }
        }
        if (options.reuse) {
          found = &cache.insert(std::move(key), std::move(out));
        } else {
          fresh = std::move(out);
          found = &fresh;
        }
      }
      const RoundOutcome& out = *found;
      for (TimelineEvent e : out.events) {
        (e.phase == Phase::compute ? result.compute_s
         : e.phase == Phase::communication ? result.comm_s : result.overhead_s) += e.duration_s();
        if (options.timeline) {
          e.round = r;
          e.start_s += t;
          e.end_s += t;
          result.timeline.push_back(std::move(e));
        }
      }
      for (std::size_t w = 0; w < out.bytes.size(); ++w) {
        result.worker_bytes[w].sent += out.bytes[w].sent;
        result.worker_bytes[w].received += out.bytes[w].received;
      }
      result.payload_bytes += total_bytes(payload_bytes(round_comm_plan(schedule, model, r), cfg.workers));
      t += out.duration_s;
      result.round_end_s.push_back(t);
      bar.update(r + 1, fmt::format("{:.2f} s/round", std::chrono::duration<double>(
                                                           std::chrono::steady_clock::now() - wall_start).count() / (r + 1)));
    }
    result.total_s = t;
  });
  engine.run();

  const double n = cfg.workers;
  result.compute_s /= n;
  result.comm_s /= n;
  result.overhead_s /= n;
  // A remainder below a nanosecond is rounding, not waiting.
  result.idle_s = result.total_s - result.compute_s - result.comm_s - result.overhead_s;
  if (result.idle_s < 1e-9) result.idle_s = 0;
  result.wire_bytes = total_bytes(result.worker_bytes);
  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return result;
}

} // namespace resist::sim
