// resist bench: what the hardware models give, in the form people compare with their own measurements.
//   resist bench allreduce  an nccl-tests all_reduce_perf table (size, time, algbw, busbw) on a platform;
//   resist bench train      single-GPU training throughput (img/s) of a model by the GPU model, or with
//                           --per-layer each layer's roofline (what `resist simulate` charges it).
// experiments/sim_calibration holds both against published measurements.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/model_zoo.hpp"
#include "core/number.hpp"
#include "sim/collective_bench.hpp"
#include "sim/nccl_tests_output.hpp"
#include "sim/gpu_model.hpp"
#include "sim/train_bench.hpp"

namespace resist::cli {
namespace {

struct AllreduceArgs {
  sim::CollectiveBenchOptions bench;
  std::int64_t min_bytes = 8, max_bytes = std::int64_t{1} << 30;
  double factor = 2;
  std::optional<double> collective_latency_s;
  std::vector<std::string> platform_params;
  std::string format = "table";
  std::string replay = "spans";
  std::string compare;         // an nccl-tests all_reduce_perf output to hold the simulation against
  bool workers_given = false;  // -n on the command line (else, with --compare, the file's ranks)
};

/// --compare: the file's sizes simulated, measured and simulated busbw side by side.
void run_compare(const AllreduceArgs& a, sim::CollectiveBenchOptions o, Format format) {
  const sim::NcclTestsOutput measured = sim::read_nccl_tests(a.compare);
  if (!a.workers_given) {
    if (measured.ranks < 2)
      throw InputError(fmt::format("{}: the ranks cannot be told from the file; give -n", a.compare));
    o.workers = measured.ranks;
  }
  o.sizes_bytes.clear();
  for (const auto& r : measured.rows) o.sizes_bytes.push_back(r.bytes);
  const auto rows = sim::bench_allreduce(o);
  Table t({"size", "measured_busbw_GBps", "simulated_busbw_GBps", "error_pct", "algorithm", "protocol"});
  std::vector<double> errors;
  for (std::size_t i = 0; i < rows.size() && i < measured.rows.size(); ++i) {
    const double m = measured.rows[i].busbw_GBps, s = rows[i].busbw_GBps;
    const bool known = m > 0;
    if (known) errors.push_back(std::abs(s / m - 1) * 100);
    t.add_row({rows[i].bytes, m, s, known ? Cell{(s / m - 1) * 100} : Cell{std::string("-")}, rows[i].algorithm,
               rows[i].protocol});
  }
  if (format == Format::table)
    std::cout << fmt::format("# {} against resist bench allreduce: {} ranks on {}, collective {} (out-of-place busbw)\n",
                             a.compare, o.workers, o.platform, o.collective);
  print_table(t, format);
  if (format == Format::table && !errors.empty()) {
    std::sort(errors.begin(), errors.end());
    std::cout << fmt::format("# {} sizes: median |error| {:.1f}%, max {:.1f}%\n", errors.size(),
                             errors[errors.size() / 2], errors.back());
  }
}

void run_allreduce(const AllreduceArgs& a) {
  const Format format = parse_format(a.format);
  sim::CollectiveBenchOptions o = a.bench;
  check_number(o.workers, "--workers", 2, limits::kWorkers); // -n 100000 would simulate for minutes
  o.sizes_bytes = sim::size_range(a.min_bytes, a.max_bytes, a.factor);
  if (a.collective_latency_s) o.params["collective_latency_s"] = *a.collective_latency_s;
  for (const auto& [name, value] : parse_platform_params(a.platform_params)) o.params[name] = value;
  if (a.replay != "spans" && a.replay != "steps")
    throw InputError(fmt::format("--replay '{}': expected spans or steps", a.replay));
  o.step_replay = a.replay == "steps";
  if (!a.compare.empty()) return run_compare(a, o, format);
  const auto rows = sim::bench_allreduce(o);
  const double bound = rows.empty() ? 0 : rows.front().ring_bound_busbw_GBps;
  Table t({"size", "count", "type", "algorithm", "protocol", "time_us", "algbw_GBps", "busbw_GBps", "above_ring_bound"});
  bool above = false;
  for (const auto& r : rows) {
    const bool over = r.busbw_GBps > bound * (1 + 1e-6);
    above = above || over;
    t.add_row({r.bytes, r.bytes / 4, std::string("float"), r.algorithm, r.protocol, r.time_s * 1e6, r.algbw_GBps,
               r.busbw_GBps, std::string(over ? "yes" : "no")});
  }
  if (format == Format::table)
    std::cout << fmt::format("# all_reduce_perf, simulated: {} ranks on {}, collective {}{} (busbw = algbw x 2(n-1)/n)\n"
                             "# the ring's bound on these links: busbw {:.1f} GB/s\n",
                             o.workers, o.platform, o.collective,
                             o.collective == "nccl" ? " (NCCL 2.27's choice of algorithm and protocol)" : "", bound);
  print_table(t, format);
  if (above && format == Format::table)
    std::cout << "# rows above the ring's bound: the algorithm sends fewer bytes per node or port than the ring's "
                 "2(n-1)/n (a 2-node tree or NVLS-tree: B per node each way; NVLS: B(1 + 1/n) per port). Published "
                 "2-node runs reach it with some NCCL versions and fabrics, not all: --nccl-algo ^tree,nvlstree "
                 "keeps the ring\n";
}

struct TrainArgs {
  std::string model = "resnet50";
  ModelOptions model_options;
  std::string gpu = "A100", gpu_table, precision = "fp32", fusion = "none";
  int batch = 256;
  bool per_layer = false;
  std::string format = "table";
};

/// One row per layer: its roofline, the quantities behind it, and which roof it sits under.
void print_layers(const sim::TrainBench& bench, Format format) {
  Table t({"layer", "block", "kind", "fused", "forward_s", "backward_s", "update_s", "flops_fwd", "flops_bwd", "bytes_fwd",
           "bytes_bwd", "bound_fwd", "bound_bwd", "kernels"});
  for (const auto& [block, l, role, r] : bench.layers)
    t.add_row({l.name, block, std::string(to_string(l.kind)),
               std::string(sim::to_string(role)),
               r.time.forward_s, r.time.backward_s, r.time.update_s,
               r.forward_flops, r.backward_flops, r.forward_bytes, r.backward_bytes,
               std::string(sim::to_string(r.forward_bound)), std::string(sim::to_string(r.backward_bound)),
               std::int64_t{r.kernels}});
  print_table(t, format);
}

/// Seconds of one step by layer class (convolutions and linear layers, memory-bound layers, optimizer),
/// or layer by layer (--per-layer).
void run_train(const TrainArgs& a) {
  const Format format = parse_format(a.format);
  check_number(a.batch, "--batch", 1, limits::kBatch);
  const sim::GpuTable table = a.gpu_table.empty() ? sim::GpuTable::builtin() : sim::GpuTable::read(a.gpu_table);
  const sim::GpuKind& gpu = table.at(a.gpu);
  const sim::MathMode math = sim::parse_math(a.precision);
  const sim::Fusion fusion = sim::parse_fusion(a.fusion);
  const Model m = make_model(a.model, a.model_options);
  const sim::TrainBench bench = sim::bench_train(m, gpu, math, a.batch, fusion);
  const double step_s = bench.step_s();
  if (a.per_layer) {
    if (format == Format::table)
      std::cout << fmt::format("# {} on {}, {}, fusion {}, batch {}: step {:.6g} s = the rows' forward + backward + "
                               "update; launches of {:.3g} us inside the times\n",
                               m.name, gpu.name, sim::to_string(math), sim::to_string(fusion), a.batch, step_s,
                               gpu.launch_s * 1e6);
    print_layers(bench, format);
    return;
  }
  Table t({"model", "gpu", "precision", "fusion", "batch", "step_s", "img_per_s", "matmul_s", "memory_bound_s", "update_s"});
  t.add_row({m.name, gpu.name, std::string(sim::to_string(math)), std::string(sim::to_string(fusion)),
             std::int64_t{a.batch}, step_s, a.batch / step_s,
             bench.matmul_s, bench.memory_s, bench.update_s});
  print_table(t, format);
}

} // namespace

void add_bench_commands(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "The hardware models in the form of common benchmarks");
  bench->require_subcommand(1);

  auto a = std::make_shared<AllreduceArgs>();
  CLI::App* ar = bench->add_subcommand("allreduce", "nccl-tests-style all-reduce table (size, time, algbw, busbw)");
  ar->add_option("--platform", a->bench.platform, "Built-in name, XML/TOML file, or parametric:k=v,...")
      ->capture_default_str();
  ar->add_option("--workers,-n", a->bench.workers, "Ranks (GPUs)")
      ->capture_default_str()
      ->each([a](const std::string&) { a->workers_given = true; });
  ar->add_option("--algorithm", a->bench.collective,
                 "nccl (NCCL's choice), ring, tree, nvls, nvlstree, hierarchical, leader, star")
      ->capture_default_str();
  ar->add_option("--minbytes,-b", a->min_bytes, "Smallest size in bytes (nccl-tests -b)")->capture_default_str();
  ar->add_option("--maxbytes,-e", a->max_bytes, "Largest size in bytes (nccl-tests -e)")->capture_default_str();
  ar->add_option("--stepfactor,-f", a->factor, "Size multiplier (nccl-tests -f)")->capture_default_str();
  ar->add_option("--nccl-algo", a->bench.nccl_algo,
                 "Under nccl: the algorithms NCCL may use, as NCCL_ALGO (ring,tree,nvls,nvlstree; ^tree excludes)");
  ar->add_option("--nccl-proto", a->bench.nccl_proto,
                 "Under nccl: the protocols NCCL may use, as NCCL_PROTO (LL,LL128,Simple; ^LL128 excludes)");
  ar->add_option("--collective-latency-s", a->collective_latency_s,
                 "Override: seconds per collective call (fixed algorithms; nccl pays NCCL's own latency)");
  ar->add_option("--platform-param", a->platform_params,
                 "Override a named platform parameter NAME=VALUE (e.g. nccl_net_latency_s=20e-6)");
  ar->add_option("--replay", a->replay, "Rings as spans (fast) or step by step (as `resist simulate --replay`)")
      ->capture_default_str();
  ar->add_option("--compare", a->compare,
                 "An nccl-tests all_reduce_perf output file: simulate its sizes (on its ranks unless -n is given) and "
                 "print measured and simulated busbw side by side");
  add_format_option(*ar, a->format);
  ar->callback([a] { run_allreduce(*a); });

  auto t = std::make_shared<TrainArgs>();
  CLI::App* tr = bench->add_subcommand("train", "Single-GPU training throughput by the GPU model");
  add_model_options(*tr, t->model, t->model_options);
  tr->get_option("--model")->default_val("resnet50");
  tr->add_option("--gpu", t->gpu, "GPU kind (platforms/gpus.csv)")->capture_default_str();
  tr->add_option("--gpu-table", t->gpu_table, "GPU table CSV instead of the built-in one");
  tr->add_option("--precision,--math", t->precision, "fp32, tf32, fp16 or bf16 (AMP)")->capture_default_str();
  tr->add_option("--fusion", t->fusion,
                 "What the software stack fuses: none (PyTorch eager), bn_act (cuDNN fused BN-ReLU, BN-add-ReLU) "
                 "or conv_bn (BatchNorm folded into the convolutions, MLPerf); sim/gpu_model.hpp")
      ->capture_default_str();
  tr->add_option("--batch", t->batch, "Images per step")->capture_default_str();
  tr->add_flag("--per-layer", t->per_layer,
               "Every layer's roofline (forward, backward, update seconds; FLOPs, bytes, bound) instead of the sum");
  add_format_option(*tr, t->format);
  tr->callback([t] { run_train(*t); });
}

} // namespace resist::cli
