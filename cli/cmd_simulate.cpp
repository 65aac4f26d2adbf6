// resist simulate / resist sweep: replay schedules on a SimGrid platform and report predicted wall-clock
// per protocol (sim/). `resist simulate --paper-table` reproduces the paper's Table 3.
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <cstdio>
#include <optional>
#include <tuple>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/simulate_events.hpp"
#include "cli/time_to_accuracy.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/number.hpp"
#include "core/phases.hpp"
#include "core/profile.hpp"
#include "core/schedule_io.hpp"
#include "sim/comm_pattern.hpp"
#include "sim/gpu_model.hpp"
#include "sim/paper.hpp"
#include "sim/platform.hpp"
#include "sim/sweep.hpp"
#include "sim/trace.hpp"

namespace resist::cli {
namespace {

/// Options shared by simulate and sweep: how the platform, GPUs and collectives are modelled.
struct ModelArgs {
  std::string algorithm; // empty: nccl, or reference for the paper's table
  std::string nccl_algo, nccl_proto;
  std::string gpu, gpu_table, profile, math = "fp32", fusion = "none";
  double efficiency = 0;
  int threads = 0;
  double background_threads = 0;
  std::string profile_basis = "auto";
  std::string step_spread = "none"; // none, profile, or a coefficient of variation
  std::optional<double> collective_latency_s, group_create_s, group_create_per_peer_s;
  std::vector<std::string> slow_workers; // "W=FACTOR"
  std::vector<std::string> platform_params; // "NAME=VALUE"
  bool no_reuse = false;
  std::string replay = "spans";
};

void add_model_args(CLI::App& sub, ModelArgs& m) {
  sub.add_option("--algorithm", m.algorithm,
                 "Collectives (default nccl; reference for --paper-table): nccl (one flattened call per exchange, "
                 "algorithm and protocol as NCCL 2.27's tuner picks them, with NCCL's latency: what DDP and "
                 "today's stacks run), reference (the 2021 ResIST code's per-tensor calls and per-block process "
                 "groups), c10d (what `resist train` does: one flat all-reduce per holder set, cached groups, "
                 "point-to-point delivery), or one fixed algorithm, flattened, no group creation: ring (across "
                 "nodes one channel per NIC), tree (NCCL's: chains in the node, double binary tree across nodes), "
                 "nvls (NVLink SHARP, one node), nvlstree (NVLS in the node, tree across), star, hierarchical "
                 "(intra-node reduce-scatter, per-rail ring, all-gather), leader (reduce to a node leader)");
  sub.add_option("--nccl-algo", m.nccl_algo,
                 "Under nccl: the algorithms NCCL may use, as NCCL_ALGO (ring,tree,nvls,nvlstree; ^tree excludes). "
                 "Default: all, as NCCL; on 2 nodes its tree goes beyond the NICs' bound, which some NCCL versions "
                 "and fabrics do not reach: ^tree,nvlstree keeps the NIC-bound ring");
  sub.add_option("--nccl-proto", m.nccl_proto,
                 "Under nccl: the protocols NCCL may use, as NCCL_PROTO (LL,LL128,Simple; ^LL128 excludes). "
                 "Default: all (LL128 only where GPUs meet over NVLink, as NCCL)");
  sub.add_option("--gpu", m.gpu, "GPU kind for every worker instead of the platform's (platforms/gpus.csv)");
  sub.add_option("--gpu-table", m.gpu_table, "GPU table CSV instead of the built-in platforms/gpus.csv");
  sub.add_option("--profile", m.profile,
                 "Measured profile CSV from `resist profile` (per-layer times and the trainer's other costs; a "
                 "legacy layer,batch,forward_s,backward_s file replaces only the layers it lists)");
  sub.add_option("--profile-basis", m.profile_basis,
                 "The profile's seconds to use: cpu, wall, or auto (CPU seconds of a 1-thread profile: the work "
                 "itself, robust to other load while profiling; wall seconds otherwise)")
      ->capture_default_str();
  sub.add_option("--background-threads", m.background_threads,
                 "Busy threads of other programs on every shared-cores host (platforms with cores_per_node): "
                 "they take their share of the cores")
      ->capture_default_str();
  sub.add_option("--step-spread", m.step_spread,
                 "How far the ranks' times of the same step spread: none (the platform's ddp_step_cv for data "
                 "parallel, no wait at a round's end), profile (the --profile's step_wall_cv, as resist validate "
                 "uses it), or a coefficient of variation such as 0.04. Data-parallel steps and local-step "
                 "rounds then wait for the slowest rank (sim/ddp_model.hpp)")
      ->capture_default_str();
  sub.add_option("--threads", m.threads,
                 "Intra-op threads per worker, as `resist train --threads` (0 = the profile's, else 1): what "
                 "time-sharing a platform's cores (cores_per_node) divides");
  sub.add_option("--gpu-efficiency", m.efficiency,
                 "Override: achieved fraction of the FLOP peak for every GPU kind (0 = platforms/gpus.csv)");
  sub.add_option("--precision,--math", m.math,
                 "Math mode: fp32, tf32 (Ampere and later), fp16 or bf16 (AMP: half-precision convolutions and "
                 "activations, FP32 weights and optimizer; sim/gpu_model.hpp)")
      ->capture_default_str();
  sub.add_option("--fusion", m.fusion,
                 "What the software stack fuses: none (every BatchNorm, ReLU and add its own kernel: PyTorch "
                 "eager, resist train), bn_act (cuDNN fused BN-ReLU and BN-add-ReLU) or conv_bn (BatchNorm "
                 "folded into the convolutions: NVIDIA's MLPerf ResNet-50); sim/gpu_model.hpp")
      ->capture_default_str();
  sub.add_option("--collective-latency-s", m.collective_latency_s, "Override: seconds per collective call per tensor");
  sub.add_option("--group-create-s", m.group_create_s, "Override: seconds per process group created, per member");
  sub.add_option("--group-create-per-peer-s", m.group_create_per_peer_s,
                 "Override: seconds per process group created, per member and other member");
  sub.add_option("--platform-param", m.platform_params,
                 "Override any named platform parameter NAME=VALUE (sim/platform.hpp: collective_latency_s, "
                 "group_create_s, group_create_per_peer_s, comm_compute_slowdown, ddp_step_cv, ...)");
  sub.add_option("--slow-worker", m.slow_workers, "Straggler W=FACTOR (e.g. 3=0.5: worker 3 at half speed)");
  sub.add_flag("--no-reuse", m.no_reuse, "Simulate every round and step, even identical ones");
  sub.add_option("--replay", m.replay,
                 "How finely rings go to SimGrid: spans (a ring phase's steps between two workers as one "
                 "streaming transfer, N per ring: fast at scale) or steps (every ring step a transfer, 2(N-1)N "
                 "per ring: the reference it is checked against; core/collective.hpp)")
      ->capture_default_str();
}

sim::SimOptions sim_options(const ModelArgs& m, const std::string& platform) {
  sim::SimOptions o;
  o.platform = platform;
  o.collective = m.algorithm.empty() ? "nccl" : m.algorithm;
  o.nccl_algo = m.nccl_algo;
  o.nccl_proto = m.nccl_proto;
  o.gpu = m.gpu;
  o.gpu_table = m.gpu_table;
  o.profile = m.profile;
  o.math = m.math;
  o.fusion = m.fusion;
  o.efficiency = m.efficiency;
  o.threads = m.threads;
  o.background_threads = m.background_threads;
  o.profile_basis = m.profile_basis;
  if (m.step_spread == "profile") {
    if (m.profile.empty()) throw InputError("--step-spread profile: no --profile given to read step_wall_cv from");
    o.step_spread_cv = Profile::read(m.profile).step_wall_cv(m.profile);
    if (o.step_spread_cv < 0)
      throw InputError(fmt::format("--step-spread profile: {} has no step_wall_cv (measured by resist profile --ranks "
                                   "N with N > 1)", m.profile));
  } else if (m.step_spread != "none") {
    o.step_spread_cv = parse_double(m.step_spread, "--step-spread (none, profile or a number)", 0, 10);
  }
  if (m.collective_latency_s) o.params["collective_latency_s"] = *m.collective_latency_s;
  if (m.group_create_s) o.params["group_create_s"] = *m.group_create_s;
  if (m.group_create_per_peer_s) o.params["group_create_per_peer_s"] = *m.group_create_per_peer_s;
  for (const auto& [name, value] : parse_platform_params(m.platform_params)) o.params[name] = value;
  for (const auto& s : m.slow_workers) {
    const auto eq = s.find('=');
    if (eq == std::string::npos)
      throw InputError(fmt::format("--slow-worker '{}': expected WORKER=FACTOR, e.g. 3=0.5", s));
    const auto worker = parse_int(s.substr(0, eq), "--slow-worker worker", 0, limits::kWorkers - 1);
    o.speed_factors[static_cast<int>(worker)] = parse_double(s.substr(eq + 1), "--slow-worker factor", 1e-6, 1e6);
  }
  o.reuse = !m.no_reuse;
  if (m.replay != "spans" && m.replay != "steps")
    throw InputError(fmt::format("--replay '{}': expected spans or steps", m.replay));
  o.step_replay = m.replay == "steps";
  o.progress = true; // a bar on a terminal; elsewhere a line every 10 s of a long simulation (replay.cpp)
  return o;
}

struct SimulateArgs {
  RunConfig config;
  std::vector<std::string> protocols{"resist", "local_sgd"};
  std::string schedule;
  std::string platform = "aws_p3_8xlarge";
  ModelArgs model;
  std::string trace, timeline, format = "table";
  bool paper_table = false, list_platforms = false;
  AccuracyOptions accuracy;
  EventArgs events;
  std::vector<std::string> paper_platforms; // 4-worker platform, then 8-worker ones (empty: PaperOptions')
};

Table results_table(const std::vector<sim::SimResult>& results) {
  double local_sgd_s = 0;
  for (const auto& r : results)
    if (r.protocol == "local_sgd") local_sgd_s = r.total_s;
  Table t({"protocol", "collective", "rounds", "total_s", "per_round_s", "compute_s", "comm_s", "overhead_s", "idle_s",
           "bytes", "payload_bytes", "speedup_vs_local_sgd", "sim_wall_s"});
  for (const auto& r : results)
    t.add_row({r.protocol, r.collective, std::int64_t{r.rounds}, r.total_s, r.per_round_s(), r.compute_s, r.comm_s,
               r.overhead_s, r.idle_s, r.wire_bytes, r.payload_bytes,
               local_sgd_s > 0 ? Cell{local_sgd_s / r.total_s} : Cell{std::string("-")}, r.wall_s});
  return t;
}

/// The phases of each result whose schedule has more than one (a local SGD warm-up, then ResIST): a line for
/// people, an object per phase for scripts.
struct PhaseReport {
  std::vector<std::string> lines;
  nlohmann::json json = nlohmann::json::array();
};
PhaseReport phase_report(const std::vector<Schedule>& schedules, const std::vector<sim::SimResult>& results) {
  PhaseReport out;
  for (std::size_t i = 0; i < schedules.size() && i < results.size(); ++i) {
    const auto spans = phase_spans(schedules[i]);
    if (spans.size() < 2 || results[i].round_end_s.size() != schedules[i].rounds.size()) continue;
    std::string line = fmt::format("phases of {}:", results[i].protocol);
    nlohmann::json phases = nlohmann::json::array();
    for (std::size_t k = 0; k < spans.size(); ++k) {
      const double s = phase_seconds(spans[k], results[i].round_end_s);
      line += fmt::format("{} {}: rounds {}-{}, {:.6g} s", k ? ";" : "", phase_name(spans[k].protocol),
                          spans[k].first_round, spans[k].last_round, s);
      phases.push_back({{"phase", phase_name(spans[k].protocol)}, {"protocol", to_string(spans[k].protocol)},
                        {"first_round", spans[k].first_round}, {"last_round", spans[k].last_round}, {"total_s", s}});
    }
    out.lines.push_back(line);
    out.json.push_back({{"protocol", results[i].protocol}, {"phases", phases}});
  }
  return out;
}

/// One line per result whose time is mostly one overhead: what a reader would otherwise miss.
std::vector<std::string> dominance_notes(const std::vector<sim::SimResult>& results) {
  std::vector<std::string> notes;
  for (const auto& r : results) {
    if (!(r.total_s > 0)) continue;
    const double share = r.overhead_s / r.total_s;
    if (share <= 0.5) continue;
    std::string why = r.collective == "reference"
                          ? "process groups created every round and one call per tensor, as the 2021 ResIST code does "
                            "(--algorithm nccl for one flattened NCCL call per exchange, as today's stacks run)"
                          : "fixed costs per collective call and process-group creation (overhead_s)";
    notes.push_back(fmt::format("note: {} spends {:.0f}% of its time in {}", r.protocol, 100 * share, why));
  }
  return notes;
}

void run_paper_table(const SimulateArgs& a, Format format) {
  sim::PaperOptions po;
  if (a.paper_platforms.size() == 1)
    throw InputError("--paper-platforms takes the 4-worker platform, then one or more 8-worker platforms");
  if (!a.paper_platforms.empty()) {
    po.platform4 = a.paper_platforms[0];
    po.platforms8.assign(a.paper_platforms.begin() + 1, a.paper_platforms.end());
  }
  po.options = sim_options(a.model, "");
  if (a.model.algorithm.empty()) po.options.collective = "reference"; // the paper's code
  po.options.progress = false;
  const Table t = sim::paper_wallclock_table(po);
  if (format == Format::table)
    std::cout << "Table 3 of the ResIST paper, simulated: preact_resnet101_cifar, 40 epochs per worker, l = 50, batch 128,\n"
                 "min depth 6 (4 workers) / 4 (8 workers), collectives: "
              << po.options.collective
              << (po.options.efficiency > 0 ? fmt::format(", GPU efficiency {:.2f} (override)", po.options.efficiency)
                                            : fmt::format(", GPU model of platforms/gpus.csv (V100 FP32 {:.2f} of peak, "
                                                          "fitted on ResNet-50), fusion {}",
                                                          sim::GpuTable::builtin().at("V100").fp32_efficiency,
                                                          po.options.fusion))
              << ".\n"
                 "8 workers: the paper does not say on what; aws_p3_8xlarge_2proc = 8 processes on the 4 GPUs of one\n"
                 "p3.8xlarge (fits the published 8/4 time ratios), aws_p3_16xlarge = 8 V100. Published: ResIST README /\n"
                 "arXiv 2107.00961 (its 3.60 is printed for 5486/1532 = 3.58; the error is against the recomputed ratio).\n"
                 "See experiments/sim_paper_wallclock/README.md for the breakdown.\n\n";
  print_table(t, format);
}

void run_simulate(const SimulateArgs& a) {
  const Format format = parse_format(a.format);
  if (a.list_platforms) {
    for (const auto& name : sim::builtin_platform_names()) std::cout << name << "\n";
    return;
  }
  if (a.paper_table) return run_paper_table(a, format);
  for (const std::string* out : {&a.trace, &a.timeline}) // before any work: never one output of two
    if (!out->empty()) check_output_path(*out);
  sim::SimOptions options = sim_options(a.model, a.platform);
  options.timeline = !a.trace.empty() || !a.timeline.empty(); // every event of every round: only when written
  check_event_args(a.events); // before any work
  std::vector<Schedule> schedules;
  if (!a.schedule.empty()) {
    schedules.push_back(read_schedule(a.schedule)); // checks the hash
  } else {
    for (const auto& name : a.protocols) {
      RunConfig c = a.config;
      c.protocol = parse_protocol(name);
      if (c.protocol != Protocol::resist) { // ResIST's own options (its warm-up included) stay with it
        c.min_depth = 0;
        c.local_sgd_warmup_rounds = 0;
        c.local_sgd_warmup_epochs = 0;
      }
      schedules.push_back(make_schedule(c));
    }
  }
  // Curves are read and checked against their schedules (and the figure's paths) before any simulation.
  const auto curves = read_curves(a.accuracy, schedules);
  if (!a.accuracy.plot.empty()) {
    if (curves.empty()) throw InputError("--accuracy-plot needs --accuracy-curve");
    check_output_path(a.accuracy.plot);
    check_output_path(a.accuracy.plot + ".csv");
  }
  if (a.accuracy.extrapolate && curves.empty()) throw InputError("--accuracy-extrapolate needs --accuracy-curve");
  const bool with_events = a.events.active();
  if (with_events && (!a.trace.empty() || !a.timeline.empty() || !curves.empty()))
    throw InputError("--events and --failure-every-s: not with --trace, --timeline or --accuracy-curve (a run with "
                     "events is several simulations; its timeline is not joined)");
  std::vector<sim::SimResult> results;
  EventReport events;
  if (with_events) {
    events = run_with_events(a.events, schedules, options);
    results = events.results;
  } else {
    for (const auto& s : schedules) results.push_back(sim::simulate(s, options));
  }
  if (!a.trace.empty()) sim::write_chrome_trace(a.trace, results);
  if (!a.timeline.empty()) {
    std::vector<TimelineEvent> all;
    for (const auto& r : results) all.insert(all.end(), r.timeline.begin(), r.timeline.end());
    write_timeline(a.timeline, all);
  }
  const Table t = results_table(results);
  const RunConfig& c = schedules.front().config;
  const double epochs_each = static_cast<double>(schedules.front().total_steps) / schedules.front().steps_per_epoch;
  const std::vector<std::string> notes = dominance_notes(results);
  const PhaseReport phases = with_events ? PhaseReport{} : phase_report(schedules, results);
  const TimeToAccuracy tta = curves.empty() ? TimeToAccuracy{} : time_to_accuracy(a.accuracy, curves, results);
  if (format == Format::json) {
    nlohmann::json j{{"platform", a.platform}, {"model", c.model}, {"workers", c.workers},
                     {"local_steps", c.local_steps}, {"batch", c.batch}, {"algorithm", options.collective},
                     {"nccl_algo", options.nccl_algo}, {"nccl_proto", options.nccl_proto},
                     {"epochs_per_worker", epochs_each}, {"global_epochs", epochs_each * c.workers},
                     {"results", t.to_json()}, {"notes", notes}};
    if (!phases.json.empty()) j["phases"] = phases.json;
    if (!curves.empty()) j["time_to_accuracy"] = tta.json;
    if (a.accuracy.extrapolate) j["accuracy_fits"] = tta.fits;
    if (with_events) j["events"] = events.json;
    std::cout << j.dump(2) << "\n";
    return;
  }
  if (format == Format::table)
    std::cout << fmt::format("{} on {}: {} workers, l = {}, batch {}, {} rounds, {}; collectives: {}; times in "
                             "simulated seconds, bytes on the wire (sent + received)\n\n",
                             c.model, a.platform, c.workers, c.local_steps, c.batch, schedules.front().rounds.size(),
                             epochs_convention(c, epochs_each), options.collective);
  print_table(t, format);
  if (format == Format::table) {
    for (const auto& n : notes) std::cout << n << "\n";
    for (const auto& l : phases.lines) std::cout << l << "\n";
  }
  if (with_events) {
    if (format == Format::table) std::cout << "\nTime lost to the events, per protocol (total_s above includes it):\n";
    print_table(events.lost, format);
    if (format == Format::table) std::cout << "\nEvents replayed:\n";
    print_table(events.events, format);
    if (format == Format::table)
      for (const auto& l : events.lines) std::cout << l << "\n";
  }
  if (!curves.empty()) {
    if (format == Format::table) std::cout << "\nTime to accuracy (measured curves re-timed on this platform):\n";
    print_table(tta.table, format);
    if (format == Format::table)
      for (const auto& l : tta.lines) std::cout << l << "\n";
  }
}

/// Splitting --platforms on commas also splits "parametric:nodes=8,gpus_per_node=1": a piece with '='
/// that starts no platform of its own continues the parametric spec before it.
std::vector<std::string> rejoin_parametric(const std::vector<std::string>& pieces) {
  std::vector<std::string> out;
  for (const auto& p : pieces) {
    const bool continues = !out.empty() && out.back().rfind("parametric:", 0) == 0 &&
                           p.find('=') != std::string::npos && p.find(':') == std::string::npos;
    if (continues)
      out.back() += "," + p;
    else
      out.push_back(p);
  }
  return out;
}

struct SweepArgs {
  sim::SweepGrid grid;
  ModelArgs model;
  std::string out, format = "csv";
  int jobs = 0; // 0: the cores
  std::string slice;
  std::vector<std::string> merge;
  EventArgs events;
  std::vector<std::string> curves; // PROTOCOL=PATH (or PATH with one protocol)
};

void run_sweep_command(SweepArgs a) {
  const Format format = parse_format(a.format);
  const bool to_file = !a.out.empty() && a.out != "-";
  if (to_file) check_output_path(a.out);
  Table t({});
  for (const auto& item : a.curves) {
    const auto eq = item.find('=');
    if (eq == std::string::npos && a.grid.protocols.size() != 1)
      throw InputError(fmt::format("--accuracy-curve '{}': name its protocol (PROTOCOL=PATH) when several are swept",
                                   item));
    a.grid.accuracy_curves.emplace_back(eq == std::string::npos ? a.grid.protocols.front() : item.substr(0, eq),
                                        eq == std::string::npos ? item : item.substr(eq + 1));
  }
  if (!a.merge.empty()) {
    if (!a.curves.empty()) throw InputError("--accuracy-curve: not with --merge (the slices' columns are not merged)");
    t = sim::merge_sweeps(a.merge);
  } else {
    if (a.jobs < 0) throw InputError(fmt::format("--jobs {}: must be >= 1 (0 = the cores)", a.jobs));
    const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
    a.grid.jobs = a.jobs > 0 ? a.jobs : static_cast<int>(std::max(1L, cores));
    if (!a.slice.empty()) std::tie(a.grid.slice_index, a.grid.slice_count) = sim::parse_slice(a.slice);
    set_sweep_events(a.events, a.grid);
    a.grid.options = sim_options(a.model, "");
    a.grid.options.progress = false;
    if (to_file) {
      // Finished points go to OUT.partial as they end; a rerun skips them and those of a CSV OUT.
      a.grid.journal = a.out + ".partial";
      check_output_path(a.grid.journal);
      if (format == Format::csv) a.grid.finished.push_back(a.out);
    }
    t = sim::run_sweep(a.grid);
  }
  if (to_file) {
    write_file_atomic(a.out, format == Format::json ? t.to_json().dump(2) + "\n"
                             : format == Format::csv ? t.to_csv() : t.to_text());
    if (!a.grid.journal.empty()) std::remove(a.grid.journal.c_str()); // its rows are all in OUT now
    return;
  }
  print_table(t, format);
}

} // namespace

void add_simulate_commands(CLI::App& app) {
  auto a = std::make_shared<SimulateArgs>();
  CLI::App* sub = app.add_subcommand("simulate", "Predict wall-clock per protocol on a SimGrid platform");
  add_model_options(*sub, a->config.model, a->config.model_options);
  sub->add_option("--protocol,--protocols", a->protocols, "Comma-separated protocols")->delimiter(',')->capture_default_str();
  sub->add_option("--workers,-S", a->config.workers, "Workers S (one sub-network each)")->capture_default_str();
  sub->add_option("--min-depth", a->config.min_depth, "ResIST minimum partitioned blocks per sub-network")
      ->capture_default_str();
  add_training_options(*sub, a->config);
  sub->add_option("--schedule", a->schedule, "Replay this schedule file (resist schedule -o) instead of building one");
  sub->add_option("--platform", a->platform, "Built-in name (--list-platforms), XML/TOML file, or parametric:k=v,...")
      ->capture_default_str();
  sub->add_flag("--list-platforms", a->list_platforms, "List the built-in platforms");
  add_model_args(*sub, a->model);
  sub->add_option("--trace", a->trace, "Write a Chrome-trace / Perfetto JSON timeline (ui.perfetto.dev)");
  sub->add_option("--timeline", a->timeline, "Write the timeline as CSV (or JSON for a .json path)");
  sub->add_option("--accuracy-curve", a->accuracy.curves,
                  "A measured accuracy curve to re-time, PROTOCOL=PATH (or PATH with one protocol; repeat per "
                  "protocol): a `resist train` run directory (its schedule must be the simulated one) or a CSV with "
                  "round, epoch or time_s and acc_pct or accuracy (core/accuracy_curve.hpp). Prints the time to each "
                  "target accuracy per protocol next to the fixed-budget speedup. PROTOCOL=DIR1,DIR2,...: runs of the "
                  "same config but for the seed (anything else refused; protocols with several runs share the seeds): "
                  "the median and range (min-max) over the seeds, each seed's curve timed on this schedule's rounds");
  sub->add_option("--target-accuracy", a->accuracy.targets_pct,
                  "Target test accuracies in percent (default: 90, 95 and 99% of the lowest best accuracy among the "
                  "curves)")
      ->delimiter(',');
  sub->add_option("--accuracy-plot", a->accuracy.plot,
                  "With --accuracy-curve: write test accuracy against predicted wall-clock, one line per protocol "
                  "(PNG; its data beside it as PNG.csv; plots/time_to_accuracy.py)");
  sub->add_flag("--accuracy-extrapolate", a->accuracy.extrapolate,
                "With --accuracy-curve: beyond the measured curve. Fits acc(k) = a - 1/(b k + c) to the learning-rate "
                "phase of each curve's last evaluation (its last quarter held back to measure the fit's error) and "
                "takes a target no evaluation reached from the fit, marked extrapolated, only up to that phase's end: "
                "never across a decay not measured (core/accuracy_fit.hpp)");
  sub->add_flag("--paper-table", a->paper_table,
                "Simulate the paper's Table 3 (CIFAR wall-clock, 4 and 8 workers) next to the published numbers");
  sub->add_option("--paper-platforms", a->paper_platforms, "--paper-table platforms: the 4-worker one, then the 8-worker ones")
      ->delimiter(',')
      ->capture_default_str();
  add_event_args(*sub, a->events);
  add_format_option(*sub, a->format);
  sub->callback([a, sub] {
    if (a->schedule.empty()) check_protocol_options(*sub, a->protocols); // a schedule brings its own protocol
    run_simulate(*a);
  });

  auto s = std::make_shared<SweepArgs>();
  CLI::App* sw = app.add_subcommand("sweep", "Simulate a grid (workers x bandwidth x platform x protocol x l), one row each");
  RunConfig& b = s->grid.base;
  add_model_options(*sw, b.model, b.model_options);
  sw->add_option("--protocol,--protocols", s->grid.protocols, "Comma-separated protocols")->delimiter(',')->capture_default_str();
  sw->add_option("--workers,-S", s->grid.workers, "Comma-separated worker counts")->delimiter(',')->capture_default_str();
  sw->add_option("--bandwidth,--bandwidths", s->grid.bandwidths_GBps,
                 "Comma-separated NIC bandwidths in GB/s (parametric platforms)")->delimiter(',');
  sw->add_option("--platform,--platforms", s->grid.platforms,
                 "Comma-separated platforms (a parametric:k=v,k=v spec keeps its own commas)")
      ->delimiter(',')
      ->capture_default_str();
  sw->add_option("--local-steps,-l", s->grid.local_steps, "Comma-separated local steps l")->delimiter(',')->capture_default_str();
  sw->add_option("--min-depth", b.min_depth, "ResIST minimum depth (raised to 1 where S exceeds the blocks)")->capture_default_str();
  sw->add_option("--batch", b.batch, "Images per worker per step")->capture_default_str();
  sw->add_option("--seed", b.seed, "Seed of the partitions")->capture_default_str();
  auto* rounds = sw->add_option("--rounds", b.rounds, "Run length in rounds (instead of --epochs)");
  auto* sw_epochs = sw->add_option("--epochs", b.epochs, "Epochs per worker")->capture_default_str()->excludes(rounds);
  sw->add_option("--global-epochs", b.global_epochs,
                 "Run length in epochs of all workers' images together (per worker: this / S), so every S of the "
                 "grid sees the same data")
      ->excludes(rounds)
      ->excludes(sw_epochs);
  sw->add_option("--dataset", b.dataset, "cifar10, cifar100, svhn, fashion_mnist, synthetic or imagefolder (JPEG/PNG in DIR/train/CLASS/: train and profile scan --data-dir, other commands need --train-size)")->capture_default_str();
  sw->add_option("--train-size", b.train_size, "Images per epoch (0 = the data set's)")->capture_default_str();
  add_model_args(*sw, s->model);
  sw->add_option("--out,-o", s->out,
                 "Output file (default: standard output). Finished points are appended to OUT.partial as they "
                 "end; rerunning the same command skips them (and the points of an existing CSV OUT)");
  sw->add_option("--jobs,-j", s->jobs, "Simulations at once, one process each (0 = the cores)")->capture_default_str();
  sw->add_option("--slice", s->slice,
                 "Run slice K/N of the grid only (0 <= K < N; e.g. a Slurm array task: "
                 "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT); join the slices' CSVs with --merge");
  sw->add_option("--merge", s->merge, "Join these sweep CSVs (slices) in grid order instead of simulating")
      ->delimiter(',');
  sw->add_flag("--no-progress", [s](std::int64_t) { s->grid.progress = false; }, "No progress bar on stderr");
  sw->add_option("--format", s->format, "Output: csv (default), table or json")->capture_default_str();
  sw->add_option("--accuracy-curve", s->curves,
                 "A measured accuracy curve, PROTOCOL=PATH (repeat per protocol; as in simulate): adds per point "
                 "time_to_<T>pct_s and speedup_at_<T>pct for each target. A curve belongs to one schedule: the sweep "
                 "may vary platforms and bandwidths, not workers or l; points are simulated afresh (not resumed)");
  sw->add_option("--target-accuracy", s->grid.targets_pct,
                 "Target test accuracies in percent (default: 90, 95 and 99% of the lowest best accuracy among the "
                 "curves)")
      ->delimiter(',');
  add_event_args(*sw, s->events);
  sw->callback([s, sw] {
    check_protocol_options(*sw, s->grid.protocols);
    s->grid.platforms = rejoin_parametric(s->grid.platforms);
    run_sweep_command(*s);
  });
}

} // namespace resist::cli
