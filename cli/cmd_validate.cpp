// resist validate --run-dir DIR: holds the simulator against a real run of the same schedule. Reads the
// run's schedule (hash checked against its config), takes the run's profile and platform (or measures this
// machine with `resist profile` when they are absent, saying so), simulates with the collective pattern
// the trainer used and the threads it ran with, and compares round by round and phase by phase
// (core/validation.hpp). Writes DIR/validation.csv and DIR/validation.png (plots/validation.py). An elastic
// run's losses are replayed too (cli/validate_events.hpp; DIR/validation_elastic.json).
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/plot.hpp"
#include "cli/time_to_accuracy.hpp"
#include "cli/validate_events.hpp"
#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/model_zoo.hpp"
#include "core/limits.hpp"
#include "core/number.hpp"
#include "core/output.hpp"
#include "core/profile.hpp"
#include "core/schedule_io.hpp"
#include "core/timeline.hpp"
#include "core/validation.hpp"
#include "sim/platform.hpp"
#include "sim/gpu_model.hpp"
#include "sim/simulate.hpp"

namespace resist::cli {
namespace {

namespace fs = std::filesystem;

struct ValidateArgs {
  std::vector<std::string> run_dirs;
  std::string profile, platform, format = "table", basis = "auto", background = "0", gpu, gpu_sharing = "auto";
  std::string step_variation = "profile", recovery = "measured";
  std::vector<double> targets_pct; // --target-accuracy; empty = the curve's defaults
  bool no_plot = false, remeasure = false, speed_probe = false;
};

std::string read_run_file(const std::string& path) { return read_input_file(path, "run file"); }

nlohmann::json read_json(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_run_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("'{}' is not valid JSON: {}", path, e.what()));
  }
  if (!j.is_object()) throw InputError(fmt::format("'{}': a JSON object expected", path));
  return j;
}

// Seconds of a run beyond ~3 years are not a measurement (1e308 would make every error infinite).
constexpr double kRunSecondsMax = 1e8;

/// A number summary.json always holds (exec/trainer.cpp writes it whole at a run's end).
double summary_seconds(const nlohmann::json& summary, const std::string& path, const char* key, bool positive) {
  const auto it = summary.find(key);
  if (it == summary.end() || !it->is_number())
    throw InputError(fmt::format("{}: no number {} (is it a finished `resist train` run?)", path, key));
  const double v = it->get<double>();
  check_number(v, fmt::format("{}: {}", path, key), 0, kRunSecondsMax);
  if (positive && !(v > 0)) throw InputError(fmt::format("{}: {} {}: must be > 0", path, key, v));
  return v;
}

/// Runs this binary with `args` (its output to our stderr, so stdout stays the report's).
void run_self(const std::vector<std::string>& args) {
  std::string shown = "resist";
  for (const auto& a : args) shown += " " + a;
  std::cerr << "validate: " << shown << "\n";
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw Error("validate: cannot start `resist profile`");
  if (pid == 0) {
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    std::vector<char*> argv{const_cast<char*>("resist")};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(fmt::format("validate: `{}` failed (exit {})", shown, WIFEXITED(status) ? WEXITSTATUS(status) : -1));
}

struct EvalRows {
  int evaluations = 0;
  std::int64_t images = 0; // per evaluation (the last row's)
};
EvalRows read_evals(const std::string& path) {
  EvalRows out;
  std::istringstream in(read_run_file(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.rfind("round,", 0) == 0) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    if (f.size() < 4) throw InputError(fmt::format("{}: malformed row '{}'", path, line));
    ++out.evaluations;
    out.images = parse_int(f[3], fmt::format("{} images", path), 0, limits::kTrainSize);
  }
  return out;
}

/// A run directory's own files, read and checked whole before anything is measured or written.
struct RunDir {
  std::string dir;
  Schedule sched;
  std::string hash;
  nlohmann::json config, summary;
  std::vector<TimelineEvent> measured;
  EvalRows evals;
  ElasticRecord elastic; // present when the run lost workers
  double startup_s = 0, train_wall_s = 0, eval_s = 0;
};

RunDir read_run_dir(const std::string& dir) {
  if (!fs::is_directory(dir)) throw InputError(fmt::format("--run-dir '{}': no such directory", dir));
  // The trainer writes timeline.csv, rounds.csv and eval.csv together (exec/run_files.cpp; eval.csv holds only
  // its header when nothing was evaluated), summary.json at the end: a run without one of them is not whole.
  for (const char* f : {"schedule.json", "config.json", "timeline.csv", "eval.csv", "summary.json"})
    if (!fs::exists(fs::path(dir) / f))
      throw InputError(fmt::format("--run-dir '{}': no {} (is it a finished `resist train` run directory?)", dir, f));
  const auto path = [&](const char* f) { return (fs::path(dir) / f).string(); };
  check_output_path(path("validation.csv"));
  check_output_path(path("validation_elastic.json"));
  RunDir r;
  r.dir = dir;
  r.sched = read_schedule(path("schedule.json"));
  r.hash = schedule_hash(r.sched);
  r.config = read_json(path("config.json"));
  r.summary = read_json(path("summary.json"));
  const std::string run_hash = r.config.value("schedule_hash", std::string("(none)"));
  if (run_hash != r.hash)
    throw InputError(fmt::format("--run-dir '{}': its config.json was trained by schedule {}, but its schedule.json is {}",
                                 dir, run_hash, r.hash));
  r.startup_s = summary_seconds(r.summary, path("summary.json"), "startup_s", false);
  r.train_wall_s = summary_seconds(r.summary, path("summary.json"), "train_wall_s", true);
  r.eval_s = summary_seconds(r.summary, path("summary.json"), "eval_s", false);
  const std::string timeline = read_run_file(path("timeline.csv"));
  try {
    r.measured = timeline_from_csv(timeline);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", path("timeline.csv"), e.what()));
  }
  // Every round the schedule has must have been measured: a round without events would compare as 0 s.
  const int rounds = static_cast<int>(r.sched.rounds.size());
  std::vector<bool> seen(static_cast<std::size_t>(rounds), false);
  for (const TimelineEvent& e : r.measured)
    if (e.round >= 0 && e.round < rounds) seen[static_cast<std::size_t>(e.round)] = true;
  for (int round = 0; round < rounds; ++round)
    if (!seen[static_cast<std::size_t>(round)])
      throw InputError(fmt::format("{}: no events of round {} (the schedule has {} rounds)", path("timeline.csv"),
                                   round, rounds));
  r.evals = read_evals(path("eval.csv"));
  r.elastic = read_elastic_record(dir, r.sched, r.summary);
  return r;
}

/// One run directory's comparison, ready to be written and printed once every directory has been checked.
struct Outcome {
  Validation v;
  double predicted_total_s = 0, measured_total_s = 0;
  std::optional<ElasticPrediction> elastic;
  std::string dir;
  std::string report;     // stdout
  std::string plot_title; // validation.png's
};

Outcome validate_dir(const RunDir& run, const ValidateArgs& a, Format format) {
  const std::string& dir = run.dir;
  const Schedule& sched = run.sched;
  const std::string& hash = run.hash;
  const nlohmann::json& config = run.config;
  const nlohmann::json& summary = run.summary;
  const RunConfig& c = sched.config;
  const Model model = make_model(c.model, c.model_options);
  const nlohmann::json train = config.value("train", nlohmann::json::object());
  const nlohmann::json measured = config.value("measured", nlohmann::json::object());
  const int threads = train.value("threads", 1);
  const int cores = measured.value("cores", 2);
  const int local_ranks = std::max(1, measured.value("local_world_size", c.workers));
  check_number(threads, "config.json train.threads", 1, 4096);
  check_number(cores, "config.json measured.cores", 1, 4096);
  check_number(local_ranks, "config.json measured.local_world_size", 1, limits::kLocalRanks);
  const std::string collective = measured.value("collective", std::string("c10d"));
  // Ranks on CUDA share the GPUs (local rank r on GPU r mod count, as the trainer assigns them). How much
  // that costs depends on how busy one rank keeps its GPU: on an H100, two fp32 ranks of
  // preact_resnet101_cifar each ran at half speed (+6%), two bf16 ranks (launch-bound) at 93% of full
  // speed. So the profile is measured as on the CPU, by as many processes at once as the run had ranks
  // per machine, and carries the sharing. A profile of one rank alone (given, or --gpu-sharing model)
  // is simulated with the ranks time-sharing each GPU instead (a one-core SimGrid host per GPU): right for
  // ranks that keep the GPU busy, too slow for launch-bound ones.
  const bool cuda = train.value("device", std::string("cpu")) == "cuda";
  const int gpus = cuda ? std::max(1, std::min(local_ranks, measured.value("cuda_devices", 1))) : 0;
  if (a.gpu_sharing != "auto" && a.gpu_sharing != "model" && a.gpu_sharing != "profile")
    throw InputError(fmt::format("--gpu-sharing '{}': auto, model or profile", a.gpu_sharing));
  if (a.step_variation != "profile" && a.step_variation != "platform")
    throw InputError(fmt::format("--step-variation '{}': profile or platform", a.step_variation));
  if (a.speed_probe && summary.value("speed_probe_cpu_s", std::vector<double>{}).empty()) // before any measuring
    throw InputError(fmt::format("--speed-probe: {}/summary.json has no speed probe (trained by an older resist, or "
                                 "on a GPU)", dir));
  // The GPU's kind sets its memory bandwidth (the gradients' copies); the compute comes from the profile.
  std::string gpu_kind = a.gpu;
  if (!gpu_kind.empty()) (void)sim::GpuTable::builtin().at(gpu_kind); // a bad --gpu fails before any measuring
  if (cuda && gpu_kind.empty()) {
    const std::string name = measured.value("gpu_name", std::string());
    for (const std::string& k : sim::GpuTable::builtin().names()) // the longest kind the name holds
      if (k != "cpu" && name.find(k) != std::string::npos && k.size() > gpu_kind.size()) gpu_kind = k;
  }

  // The profile and the platform: given, the run's own, or measured now.
  std::string profile = a.profile.empty() ? (fs::path(dir) / "profile.csv").string() : a.profile;
  if (a.profile.empty() && (a.remeasure || !fs::exists(profile))) {
    std::cerr << fmt::format("validate: no profile in {}; measuring this machine ({}, batch {}, {} thread(s), {} "
                             "rank(s) at once)\n", dir, c.model, c.batch, threads,
                             local_ranks);
    // The run's protocol: the profile builds a schedule of it (a fully connected net has no ResIST schedule).
    std::vector<std::string> args{"profile", "--protocol", to_string(c.protocol), "--model", c.model, "--in-channels", std::to_string(model.in_channels), "--image-size",
              std::to_string(model.image_size), "--classes", std::to_string(model.classes), "--batch",
              std::to_string(c.batch), "--dataset", c.dataset, "--train-size", std::to_string(c.train_size),
              "--threads", std::to_string(threads), "--ranks",
              std::to_string(cuda && a.gpu_sharing == "model" ? 1 : local_ranks), "--test-size",
              std::to_string(train.value("test_size", 0)), "--precision",
              train.value("precision", std::string("fp32")), "--device", train.value("device", std::string("cpu")),
              "--memory-format", train.value("memory_format", std::string("nchw")), "--quiet", "--out", profile};
    const std::string data_dir = train.value("data_dir", std::string()); // imagefolder has no default folder
    if (!data_dir.empty()) args.insert(args.end(), {"--data-dir", data_dir});
    run_self(args);
  }
  std::string platform = a.platform.empty() ? (fs::path(dir) / "platform.toml").string() : a.platform;
  if (a.platform.empty() && (a.remeasure || !fs::exists(platform))) {
    if (c.workers < 2) throw InputError("validate: a 1-worker run has no communication to measure; pass --platform");
    std::cerr << fmt::format("validate: no platform in {}; measuring this machine's c10d collectives ({} ranks)\n",
                             dir, c.workers);
    run_self({"profile", "--comm", "--nproc", std::to_string(c.workers), "--threads", std::to_string(threads),
              "--backend", train.value("backend", std::string("gloo")), "--repeats", "5", "--quiet", "--out", platform});
  }
  const Profile prof = Profile::read(profile).with_basis(a.basis);
  prof.check_against(model);
  const std::string run_precision = train.value("precision", std::string("fp32"));
  if (!prof.get("precision").empty() && prof.get("precision") != run_precision)
    throw InputError(fmt::format("the profile {} was measured in {}, the run trained in {}", profile,
                                 prof.get("precision"), run_precision));
  const std::string run_format = train.value("memory_format", std::string("nchw"));
  if (!prof.get("memory_format").empty() && prof.get("memory_format") != run_format)
    throw InputError(fmt::format("the profile {} was measured {}, the run trained {}", profile,
                                 prof.get("memory_format"), run_format));

  // Other programs' busy threads while the run ran: from its load averages (auto) or as given.
  double background = 0;
  if (a.background == "auto") {
    background = background_threads_from_load(summary.value("load_avg_start", -1.0), summary.value("load_avg_end", -1.0),
                                              run.startup_s + run.train_wall_s,
                                              static_cast<double>(local_ranks) * threads);
  } else {
    background = parse_double(a.background, "--background-threads (auto or a number)", 0, 1024);
  }

  // auto: modelled when the profile was measured by fewer processes than the run had local ranks.
  const bool model_sharing =
      cuda && local_ranks > gpus &&
      (a.gpu_sharing == "model" || (a.gpu_sharing == "auto" && prof.ranks_sharing() < local_ranks));
  const int gpus_shared = model_sharing ? gpus : 0;
  if (cuda && a.background == "auto") background = 0; // other programs' threads do not slow the GPU
  sim::SimOptions o;
  // A data-parallel step, and a round's sync, wait for the slowest rank: the spread the profile measured
  // among its processes at the same step (time-sharing the cores, as the run's ranks did).
  double step_cv = -1; // -1: the platform's
  if (a.step_variation == "profile") {
    step_cv = prof.step_wall_cv(profile);
    if (step_cv >= 0) o.step_spread_cv = step_cv;
  }
  // The machine's speed when the run ran over its speed when the profile was measured, from the same
  // fixed benchmark (exec/speed_probe.hpp): a shared VM drifts by 5-20% over minutes.
  double speed = 1;
  if (a.speed_probe) {
    double prof_probe_s = 0, run_probe_s = 0; // the run's were checked to exist before any measuring
    std::stringstream pp(prof.get("speed_probe_cpu_s")); // "start;end"
    std::vector<double> prof_probes;
    for (std::string v; std::getline(pp, v, ';');)
      prof_probes.push_back(parse_double(v, fmt::format("{}: speed_probe_cpu_s", profile), 1e-9, 1e3));
    if (prof_probes.empty())
      throw InputError(fmt::format("--speed-probe: {} has no speed probe (measured by an older resist, or on a GPU)", profile));
    for (double v : prof_probes) prof_probe_s += v / static_cast<double>(prof_probes.size());
    const auto probes = summary.value("speed_probe_cpu_s", std::vector<double>{});
    for (double v : probes) run_probe_s += v / static_cast<double>(probes.size());
    if (!(run_probe_s > 0)) throw InputError(fmt::format("--speed-probe: {}/summary.json: speed probes must be > 0", dir));
    speed = prof_probe_s / run_probe_s;
    for (int w = 0; w < c.workers; ++w) o.speed_factors[w] = speed;
  }
  o.background_threads = background;
  o.platform = platform;
  o.collective = collective;
  o.profile = profile;
  o.profile_basis = a.basis;
  o.threads = model_sharing ? 1 : threads; // time-sharing a GPU: one stream of kernels per rank
  o.shared_devices = gpus_shared;
  o.gpu = gpu_kind;
  o.timeline = true;
  const sim::SimResult r = sim::simulate(sched, o);

  // Startup: the profile's wall seconds (its processes started together as the run's ranks did), slower
  // beside other programs' load, then the world group. Evaluation: rank 0's forward over the test images.
  const sim::PlatformDesc desc = sim::platform_for(o);
  auto param = [&](const char* k) { return desc.params.count(k) ? desc.params.at(k) : 0.0; };
  const double share = std::max(1.0, (std::max<double>(local_ranks, cores) + background) / std::max(local_ranks, cores));
  // A profile measured by as many ranks as the run has workers timed their rendezvous too; otherwise the
  // platform's group creation stands in for it.
  const bool rendezvous_measured = prof.get("startup_includes_rendezvous") == "1" && prof.ranks_sharing() == c.workers;
  const double startup_pred =
      prof.cost(profile_cost::startup, c.batch).forward_s * share +
      (rendezvous_measured ? 0.0 : param("group_create_s") + param("group_create_per_peer_s") * (c.workers - 1));
  const EvalRows& ev = run.evals;
  const double eval_pred = ev.evaluations * static_cast<double>(ev.images) *
                           prof.cost(profile_cost::eval_image, c.batch).forward_s *
                           std::max(1.0, (threads + background) / cores) / speed; // rank 0 alone, beside the others' load
  const double measured_total = run.startup_s + run.train_wall_s;
  Outcome out;
  out.dir = dir;
  out.v = compare_timelines(r.timeline, run.measured, static_cast<int>(sched.rounds.size()), c.workers,
                            {{"startup", startup_pred, run.startup_s, 0}, {"evaluation", eval_pred, run.eval_s, 0}},
                            measured_total);
  out.predicted_total_s = out.v.parts.back().predicted_s;
  out.measured_total_s = out.v.parts.back().measured_s;
  if (run.elastic.present())
    out.elastic = predict_elastic(run.elastic, run.measured, o, {a.recovery, train.value("timeout_s", 60.0)},
                                  out.predicted_total_s, out.measured_total_s);

  const Validation& v = out.v;
  // Time to the run's own accuracy targets, measured (rounds' seconds, evaluation apart) and predicted.
  const MeasuredTimeToAccuracy tta = validate_time_to_accuracy(dir, sched, r.round_end_s, a.targets_pct);
  if (format == Format::json) {
    nlohmann::json j = v.to_json();
    j["time_to_accuracy"] = tta.json;
    j["run_dir"] = dir;
    j["schedule_hash"] = hash;
    j["protocol"] = to_string(c.protocol);
    j["workers"] = c.workers;
    j["threads"] = threads;
    j["load_avg_start"] = summary.value("load_avg_start", -1.0);
    j["load_avg_end"] = summary.value("load_avg_end", -1.0);
    j["background_threads"] = background;
    j["step_cv"] = step_cv >= 0 ? step_cv : param("ddp_step_cv");
    j["step_cv_from"] = step_cv >= 0 ? "profile" : "platform";
    j["speed_factor"] = speed; // 1 unless --speed-probe
    j["gpus_time_shared"] = gpus_shared; // > 0: GPU time-sharing modelled (0: a CPU run, or measured by the profile)
    if (out.elastic) j["elastic"] = out.elastic->json;
    out.report = j.dump(2) + "\n";
  } else {
    Table t({"round", "predicted_s", "measured_s", "error_pct", "compute_p", "compute_m", "comm_p", "comm_m",
             "overhead_p", "overhead_m", "idle_p", "idle_m"});
    for (const auto& rc : v.rounds)
      t.add_row({static_cast<std::int64_t>(rc.round), rc.predicted.total_s, rc.measured.total_s, rc.error_pct,
                 rc.predicted.compute_s, rc.measured.compute_s, rc.predicted.communication_s,
                 rc.measured.communication_s, rc.predicted.overhead_s, rc.measured.overhead_s, rc.predicted.idle_s,
                 rc.measured.idle_s});
    out.report = format == Format::csv ? t.to_csv() : t.to_text();
    if (format == Format::table) {
      Table parts({"part", "predicted_s", "measured_s", "error_pct"});
      for (const auto& p : v.parts) parts.add_row({p.name, p.predicted_s, p.measured_s, p.error_pct});
      out.report += "\n" + parts.to_text();
      if (!tta.table.rows().empty())
        out.report += "\ntime to accuracy (the run's targets; seconds of its rounds, evaluation excluded):\n" +
                      tta.table.to_text();
      for (double t : tta.not_reached_pct)
        out.report += fmt::format("target {:g}%: not reached by the run's evaluations\n", t);
      out.report += fmt::format(
          "\n{} on {} workers ({} thread(s) each, {} cores), {} rounds; load average {:.2f} at start, {:.2f} at end "
          "(simulated with {:.1f} busy threads of other programs)\n"
          "round error: median {:+.1f}% (|median| of |errors| {:.1f}%), p90 {:.1f}%, max {:.1f}%; whole run {:+.1f}%\n"
          "median part of the round error per phase (percent of the measured round): compute {:+.1f}, communication "
          "{:+.1f}, overhead {:+.1f}, idle {:+.1f}\n"
          "ranks' step spread {:.1f}% ({}){}\n{}",
          to_string(c.protocol), c.workers, threads, cores, v.rounds.size(), summary.value("load_avg_start", -1.0),
          summary.value("load_avg_end", -1.0), background, v.median_round_error_pct, v.median_abs_round_error_pct,
          v.p90_round_error_pct, v.max_round_error_pct, v.total_error_pct, v.median_phase_error_pct.compute_s,
          v.median_phase_error_pct.communication_s, v.median_phase_error_pct.overhead_s, v.median_phase_error_pct.idle_s,
          100 * (step_cv >= 0 ? step_cv : param("ddp_step_cv")), step_cv >= 0 ? "the profile's: data-parallel steps and round ends wait for the slowest rank"
                       : "the platform's ddp_step_cv: data-parallel steps only",
          a.speed_probe ? fmt::format("; speed probe: the run's core at {:.3f} of the profile's", speed) : std::string(),
          !cuda ? std::string()
          : model_sharing
              ? fmt::format("on CUDA: {} rank(s) per node modelled time-sharing {} GPU(s), from a profile of {} "
                            "rank(s)\n", local_ranks, gpus, prof.ranks_sharing())
              : fmt::format("on CUDA: GPU sharing as measured by the profile ({} rank(s) at once)\n",
                            prof.ranks_sharing()));
      if (out.elastic) out.report += out.elastic->text;
    }
  }
  out.plot_title = fmt::format("{} {} x{}", to_string(c.protocol), c.model, c.workers);
  return out;
}

/// Writes DIR/validation.csv, prints the report and plots validation.png.
void write_outcome(const Outcome& out, const ValidateArgs& a, Format format) {
  const std::string csv = (fs::path(out.dir) / "validation.csv").string();
  write_file_atomic(csv, out.v.rows_csv());
  if (out.elastic)
    write_file_atomic((fs::path(out.dir) / "validation_elastic.json").string(), out.elastic->json.dump(2) + "\n");
  std::cout << out.report;
  if (!a.no_plot) {
    const std::string png = (fs::path(out.dir) / "validation.png").string();
    if (run_plot("validation.py", {csv, png, out.plot_title})) {
      if (format == Format::table) std::cout << fmt::format("wrote {} and {}\n", csv, png);
    } else {
      std::cerr << "validate: no plot (python3 with matplotlib is needed: apt-get install python3-matplotlib)\n";
    }
  }
}

void run(const ValidateArgs& a) {
  const Format format = parse_format(a.format);
  if (a.run_dirs.empty() || a.run_dirs.size() > 2) throw InputError("give --run-dir once, or twice to compare two runs");
  check_targets(a.targets_pct);
  if (a.recovery != "measured" && a.recovery != "model")
    throw InputError(fmt::format("--recovery '{}': measured or model", a.recovery));
  // Every directory's files are read and checked, then every comparison made, before anything is written.
  std::vector<RunDir> runs;
  std::vector<Outcome> outs;
  for (int pass = 0; pass < 2; ++pass)
    for (std::size_t i = 0; i < a.run_dirs.size(); ++i) {
      try {
        if (pass == 0) runs.push_back(read_run_dir(a.run_dirs[i]));
        else outs.push_back(validate_dir(runs[i], a, format));
      } catch (const nlohmann::json::exception& e) {
        throw InputError(fmt::format("--run-dir '{}': a field of config.json or summary.json has the wrong type ({})",
                                     a.run_dirs[i], e.what()));
      }
    }
  for (const Outcome& out : outs) write_outcome(out, a, format);
  if (outs.size() == 2 && format == Format::table) {
    const double p = outs[0].predicted_total_s / outs[1].predicted_total_s;
    const double m = outs[0].measured_total_s / outs[1].measured_total_s;
    const double pr = outs[0].v.predicted_sum.total_s / outs[1].v.predicted_sum.total_s;
    const double mr = outs[0].v.measured_sum.total_s / outs[1].v.measured_sum.total_s;
    std::cout << fmt::format("\ntime ratio {} / {}: rounds predicted {:.3f}, measured {:.3f} (error {:+.1f}%); whole run "
                             "predicted {:.3f}, measured {:.3f} (error {:+.1f}%)\n",
                             outs[0].dir, outs[1].dir, pr, mr, error_pct(pr, mr), p, m, error_pct(p, m));
  }
}

} // namespace

void add_validate_command(CLI::App& app) {
  auto a = std::make_shared<ValidateArgs>();
  CLI::App* sub = app.add_subcommand(
      "validate", "Hold the simulator against a real run: simulate a `resist train` run directory's own schedule "
                  "on this machine's profile and platform, compare round by round and phase by phase");
  sub->add_option("--run-dir", a->run_dirs, "A `resist train` run directory (twice: also the time ratio of the two)")
      ->required();
  sub->add_option("--profile", a->profile, "Profile CSV (default: RUN_DIR/profile.csv, measured when absent)");
  sub->add_option("--platform", a->platform, "Platform (default: RUN_DIR/platform.toml, measured when absent)");
  sub->add_option("--gpu-sharing", a->gpu_sharing,
                  "CUDA runs with more local ranks than GPUs: profile (the profile, measured by that many processes "
                  "at once, carries it), model (time-share each GPU; with a profile of one rank), or auto (model "
                  "when the profile was measured by fewer processes than the run had local ranks)")
      ->capture_default_str();
  sub->add_option("--gpu", a->gpu,
                  "A CUDA run's GPU kind (platforms/gpus.csv; default: from its config.json's gpu_name): its memory "
                  "bandwidth prices the gradients' copies");
  sub->add_option("--profile-basis", a->basis, "The profile's cpu or wall seconds, or auto (as resist simulate)")
      ->capture_default_str();
  sub->add_option("--background-threads", a->background,
                  "Busy threads of other programs while the run ran: 0 (an otherwise idle machine), a number, or "
                  "auto: estimated from the run's load averages at start and end less its own threads (coarse: "
                  "the kernel's 1-minute average still holds what ran before the run)")
      ->capture_default_str();
  sub->add_option("--step-variation", a->step_variation,
                  "The ranks' spread at the same step (a data-parallel step and a round's sync wait for the slowest "
                  "rank): profile (its step_wall_cv, measured among its processes; data-parallel steps and rounds) "
                  "or platform (its ddp_step_cv; data-parallel steps only)")
      ->capture_default_str();
  sub->add_flag("--speed-probe", a->speed_probe,
                "Scale the profile by the machine's speed during the run over its speed during the profile (the "
                "same fixed benchmark, run by both)");
  sub->add_option("--recovery", a->recovery,
                  "An elastic run's losses (events.csv, schedule.N.json) are replayed by the simulator: each loss "
                  "priced as measured (its span in the run's timeline: failed collective, agreement, new group) or "
                  "model (the run's --timeout-s to detect it, the platform's group creation to rebuild)")
      ->capture_default_str();
  sub->add_flag("--remeasure", a->remeasure, "Measure the profile and platform again even when the run has them");
  sub->add_option("--target-accuracy", a->targets_pct,
                  "Target test accuracies in percent for the time-to-accuracy comparison (default: 90, 95 and 99% "
                  "of the run's best accuracy)")
      ->delimiter(',');
  sub->add_flag("--no-plot", a->no_plot, "Do not write validation.png");
  add_format_option(*sub, a->format);
  sub->callback([a] { run(*a); });
}

} // namespace resist::cli
