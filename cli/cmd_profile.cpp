// resist profile: measure this machine for the simulator with the trainer's own code.
//   resist profile --model M --batch B [--threads T] [--ranks K] --out profile.csv
//       per-layer forward/backward seconds and the trainer's costs outside the layers (core/profile.hpp);
//       --ranks K runs K profiling processes at once (what K ranks sharing the cores see), rank 0 writes
//   resist profile --comm --nproc N [--backend gloo] --out this_machine.toml
//       the c10d operations the trainer uses among N local ranks, and a platform of this machine
//   resist profile --input-pipeline --dataset imagefolder --data-dir DIR [--threads T]
//       images per second of the image-folder loader alone (decode + augment), per thread
#include <fmt/format.h>

#include <iostream>
#include <thread>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/model_zoo.hpp"
#include "core/number.hpp"
#include "core/output.hpp"
#include "exec/image_loader_bench.hpp"
#include "exec/profile.hpp"
#include "exec/spawn.hpp"

namespace resist::cli {
namespace {

struct ProfileArgs {
  exec::ProfileOptions layers;
  exec::CommProfileOptions comm;
  std::string protocol = "resist";
  bool comm_mode = false;
  bool input_pipeline = false;
  int nproc = 0;
  std::vector<std::string> sizes;
  std::string out, format = "table";
  bool quiet = false;
};

std::int64_t parse_size(const std::string& text) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::logic_error&) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  const double k = unit.empty() || unit == "B" ? 1 : unit == "K" || unit == "KB" ? 1024 : unit == "M" || unit == "MB" ? 1 << 20
                   : unit == "G" || unit == "GB" ? 1 << 30 : -1;
  if (used == 0 || k < 0 || !(v > 0) || v * k > 2.0 * (1 << 30))
    throw InputError(fmt::format("--sizes '{}': expected a size such as 4K, 1M or 256M (at most 2G)", text));
  return static_cast<std::int64_t>(v * k);
}

bool spawned() { return !exec::current_environment()["RESIST_LOCAL_LAUNCHER"].empty(); }
int own_rank() {
  const auto env = exec::current_environment();
  return env.count("RANK") && !env.at("RANK").empty() ? std::stoi(env.at("RANK")) : 0;
}

void print_profile(const Profile& p, const Model& model, Format format) {
  Table t({"block", "layers", "forward_ms", "backward_ms", "cpu_per_wall"});
  double fwd_total = 0, bwd_total = 0;
  for (const Block& b : model.blocks) {
    double f = 0, bw = 0, cpu = 0;
    for (const Layer& l : b.layers) {
      const ProfileEntry& e = p.layers.at(l.name);
      f += e.forward_s;
      bw += e.backward_s;
      cpu += e.forward_cpu_s + e.backward_cpu_s;
    }
    fwd_total += f;
    bwd_total += bw;
    t.add_row({b.name, static_cast<std::int64_t>(b.layers.size()), 1e3 * f, 1e3 * bw, f + bw > 0 ? cpu / (f + bw) : 0.0});
  }
  t.add_row({std::string("(layers)"), std::int64_t{0}, 1e3 * fwd_total, 1e3 * bwd_total, 0.0});
  for (const auto& name : profile_cost::names()) {
    const auto it = p.costs.find(name);
    if (it == p.costs.end()) continue;
    const ProfileEntry& e = it->second;
    const double w = e.forward_s + e.backward_s;
    t.add_row({name, std::int64_t{0}, 1e3 * e.forward_s, 1e3 * e.backward_s,
               w > 0 ? (e.forward_cpu_s + e.backward_cpu_s) / w : 0.0});
  }
  print_table(t, format);
}

/// Ranges of the options, checked before any rank is started.
void check_profile_numbers(const ProfileArgs& a) {
  const exec::ProfileOptions& o = a.layers;
  check_number(o.threads, "--threads", 0, 4096);
  check_number(o.ranks_sharing, "--ranks", 1, 256);
  check_number(o.repeats, "--repeats", 1, 1000);
  check_number(o.warmup, "--warmup", 0, 100);
  check_number(static_cast<double>(o.test_size), "--test-size", 0, static_cast<double>(limits::kTrainSize));
  check_number(a.comm.timeout_s, "--timeout-s", 0.001, 7 * 24 * 3600.0);
  check_number(o.config.batch, "--batch", 1, limits::kBatch);
}

// The loader alone, on this machine's cores: what the simulator's input_img_per_s is made of.
void run_input_pipeline(ProfileArgs& a) {
  exec::ProfileOptions& o = a.layers;
  const Format format = parse_format(a.format);
  if (o.config.dataset != "imagefolder")
    throw InputError(fmt::format("--input-pipeline times the image-folder loader: pass --dataset imagefolder "
                                 "--data-dir DIR (got --dataset {})", o.config.dataset));
  exec::resolve_image_folder(o.config, o.data_dir);
  const Model model = make_model(o.config.model, o.config.model_options);
  const int threads = o.threads > 0 ? o.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const double load_start = exec::load_average_1m();
  const exec::ImageLoaderBench b =
      exec::bench_image_loader(exec::scan_image_folder(exec::image_folder_split(o.data_dir, true)), model.image_size,
                               o.config.batch, o.repeats, threads, o.config.seed);
  Table t({"image_size", "batch", "batches", "threads", "images_per_s", "images_per_s_per_thread", "images_per_cpu_s",
           "load_avg_1m_start", "load_avg_1m_end"});
  t.add_row({std::int64_t{model.image_size}, std::int64_t{o.config.batch}, std::int64_t{o.repeats},
             std::int64_t{threads}, b.images_per_s, b.images_per_s / threads, b.images_per_cpu_s, load_start,
             exec::load_average_1m()});
  print_table(t, format);
  // Per CPU second is per core on a machine of one's own; the wall rate per thread says so when it agrees.
  if (format == Format::table)
    std::cout << fmt::format("for the simulator: --platform-param input_img_per_s=<{:.0f} x the cores a node's "
                             "loaders get> (images per CPU second; sim/input_pipeline.hpp)\n", b.images_per_cpu_s);
}

void run_layers(ProfileArgs& a) {
  exec::ProfileOptions& o = a.layers;
  o.config.protocol = parse_protocol(a.protocol);
  exec::resolve_image_folder(o.config, o.data_dir); // imagefolder: its size and classes
  const Format format = parse_format(a.format);
  const Model model = make_model(o.config.model, o.config.model_options); // bad names fail before spawning
  if (o.ranks_sharing > 1 && !spawned()) return launch_local_ranks(o.ranks_sharing);
  const bool writer = own_rank() == 0;
  o.progress = writer && !a.quiet;
  const Profile p = exec::measure_profile(o);
  if (!writer) return;
  if (!a.out.empty()) write_file_atomic(a.out, p.to_csv());
  if (format == Format::csv && a.out.empty()) {
    std::cout << p.to_csv();
    return;
  }
  print_profile(p, model, format);
  if (!a.out.empty() && format == Format::table)
    std::cout << fmt::format("wrote {} ({} layers, {} threads, {} rank(s) sharing the machine); use it with "
                             "`resist simulate --profile {}`\n", a.out, p.layers.size(), p.threads(),
                             p.ranks_sharing(), a.out);
}

void run_comm(ProfileArgs& a) {
  const Format format = parse_format(a.format);
  for (const auto& s : a.sizes) a.comm.sizes_bytes.push_back(parse_size(s));
  if (a.nproc < 2 && !spawned()) throw InputError(fmt::format("--comm needs --nproc >= 2 (got {})", a.nproc));
  if (a.nproc > 64) throw InputError(fmt::format("--nproc {}: at most 64 local ranks", a.nproc));
  if (a.comm.backend != "gloo" && a.comm.backend != "nccl")
    throw InputError(fmt::format("unknown backend '{}' (known: gloo, nccl)", a.comm.backend));
  if (!spawned()) return launch_local_ranks(a.nproc);
  const exec::CommProfile p = exec::measure_comm(a.comm);
  if (own_rank() != 0) return;
  const std::string toml_path = a.out.empty() ? "this_machine.toml" : a.out;
  const std::string csv_path = toml_path.substr(0, toml_path.rfind('.')) + ".comm.csv";
  write_file_atomic(csv_path, p.samples_csv());
  write_file_atomic(toml_path, p.platform_toml());
  Table t({"op", "ranks", "bytes", "median_s", "min_s"});
  for (const auto& s : p.samples) t.add_row({s.op, static_cast<std::int64_t>(s.ranks), s.bytes, s.median_s, s.min_s});
  print_table(t, format);
  if (format == Format::table)
    std::cout << fmt::format("fit: link {:.3g} GB/s, latency {:.3g} us per port, {:.3g} s per call; median |error| on "
                             "its samples: all-reduce {:.1f}%, send/recv {:.1f}%; process groups as measured (the "
                             "group_create rows)\nwrote {} and {}; use it with `resist simulate --platform {}`\n",
                             p.link_bw_GBps, p.link_latency_us, p.collective_latency_s, p.allreduce_fit_error_pct,
                             p.sendrecv_fit_error_pct, toml_path, csv_path, toml_path);
}

} // namespace

void add_profile_command(CLI::App& app) {
  auto a = std::make_shared<ProfileArgs>();
  CLI::App* sub = app.add_subcommand(
      "profile", "Measure this machine for the simulator: per-layer times and the trainer's other costs, or "
                 "(--comm) its c10d collectives and a platform file");
  add_run_options(*sub, a->layers.config, a->protocol);
  sub->add_option("--device", a->layers.device, "cpu or cuda")->capture_default_str();
  sub->add_option("--precision", a->layers.precision, "fp32, tf32 (CUDA), bf16 or fp16 (CUDA), as resist train")
      ->capture_default_str();
  sub->add_option("--memory-format", a->layers.memory_format,
                  "auto (channels-last on CUDA in tf32/bf16/fp16), nchw or channels_last, as resist train")
      ->capture_default_str();
  sub->add_option("--threads", a->layers.threads, "Intra-op threads per rank, as resist train sets them (0 = cores / ranks)")
      ->capture_default_str();
  sub->add_option("--ranks", a->layers.ranks_sharing,
                  "Processes profiling at once, as that many ranks would share the cores or device")
      ->capture_default_str();
  sub->add_option("--repeats", a->layers.repeats, "Timed repetitions (median); --comm: per size")->capture_default_str();
  sub->add_option("--warmup", a->layers.warmup, "Untimed repetitions first")->capture_default_str();
  sub->add_option("--data-dir", a->layers.data_dir, "Data set folder (default: the data set's usual place)");
  sub->add_option("--test-size", a->layers.test_size, "Test images the run loads (startup cost; 0 = all)")
      ->capture_default_str();
  sub->add_option("--out", a->out, "Write the profile CSV (--comm: the platform TOML, and its samples as .comm.csv)");
  sub->add_flag("--comm", a->comm_mode, "Measure c10d operations among --nproc local ranks instead, write a platform");
  sub->add_option("--nproc", a->nproc, "--comm: local ranks");
  sub->add_flag("--input-pipeline", a->input_pipeline,
                "Time the image-folder loader alone (--dataset imagefolder --data-dir DIR): images/s with --threads "
                "threads (0 = the cores), --repeats batches of --batch; per thread it gives the simulator's "
                "input_img_per_s");
  sub->add_option("--backend", a->comm.backend, "--comm: gloo, or nccl (CUDA builds)")->capture_default_str();
  sub->add_option("--sizes", a->sizes, "--comm: message sizes (default 4K,16K,...,256M)")->delimiter(',');
  sub->add_option("--timeout-s", a->comm.timeout_s, "--comm: seconds before a missing rank fails the others")
      ->capture_default_str();
  sub->add_flag("--quiet,-q", a->quiet, "No progress bar");
  add_format_option(*sub, a->format);
  sub->callback([a, sub] {
    check_protocol_options(*sub, {a->protocol});
    check_profile_numbers(*a);
    if (a->input_pipeline) {
      run_input_pipeline(*a);
    } else if (a->comm_mode) {
      a->comm.repeats = std::min(a->layers.repeats, 15);
      a->comm.threads = std::max(1, a->layers.threads);
      run_comm(*a);
    } else {
      run_layers(*a);
    }
  });
}

} // namespace resist::cli
