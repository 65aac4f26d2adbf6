// resist train: ResIST, local SGD or data parallel on LibTorch + c10d, by the same schedule the
// simulator replays. `--nproc N` starts N local ranks itself; otherwise this process is one rank of a
// job launched by torchrun (--no-python), srun or mpirun, read from the environment.
#include <fmt/format.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/limits.hpp"
#include "core/number.hpp"
#include "core/output.hpp"
#include "core/schedule_io.hpp"
#include "exec/image_folder_scan.hpp"
#include "exec/spawn.hpp"
#include "exec/train.hpp"

namespace resist::cli {
namespace {

struct TrainArgs {
  exec::TrainOptions train;
  std::string protocol = "resist";
  int nproc = 0;
  int rank = -1, world_size = -1;
  int bench = 0;
  bool quiet = false;
  int die_at_round = -1, die_rank = 0, hang_at_round = -1;
  bool workers_given = false;
};

} // namespace

namespace {

/// Ranges of the trainer's own options (the run's are RunConfig's validate()).
void check_train_numbers(const exec::TrainOptions& o) {
  check_number(o.threads, "--threads", 0, 4096);
  check_number(o.timeout_s, "--timeout-s", 0.001, 7 * 24 * 3600.0);
  check_number(static_cast<double>(o.test_size), "--test-size", 0, static_cast<double>(limits::kTrainSize));
  check_number(o.eval_every, "--eval-every", 0, limits::kRounds);
  check_number(o.checkpoint_every, "--checkpoint-every", 0, limits::kRounds);
  check_number(o.min_workers, "--min-workers", 1, limits::kLocalRanks);
  check_number(o.export_bn_batches, "--export-bn-batches", 0, limits::kRounds);
  if (o.export_checkpoints && o.checkpoint_every == 0)
    throw InputError("--export-checkpoints writes a state dict at every checkpoint: set --checkpoint-every");
  if (!o.init_from.empty()) check_input_file(o.init_from, "--init-from state dict"); // its names: every rank
  if (!o.export_path.empty()) check_output_path(o.export_path);
  if (!o.export_logits.empty()) check_output_path(o.export_logits);
  std::error_code ec;
  if (!o.run_dir.empty() && std::filesystem::exists(o.run_dir, ec) && !std::filesystem::is_directory(o.run_dir, ec))
    throw InputError(fmt::format("--run-dir '{}' exists and is not a folder", o.run_dir));
  if (o.resume && !o.run_dir.empty() && !std::filesystem::is_directory(o.run_dir, ec))
    throw InputError(fmt::format("--resume: no run folder '{}'", o.run_dir));
}

} // namespace

void launch_local_ranks(int n, bool elastic) {
  const auto exits = exec::spawn_local_ranks(own_argv(), n, 5.0, elastic);
  const std::string failures = exec::describe_failures(exits);
  if (failures.empty()) return;
  int finished = 0; // elastic: the run finished when its survivors did
  for (const auto& e : exits) finished += e.exit_code == 0;
  if (elastic && finished > 0) {
    std::cerr << fmt::format("resist train: the run finished on {} of {} ranks (lost: {})\n", finished, n, failures);
    return;
  }
  bool all_input = true; // every rank that failed on its own failed on bad input (exit 2)
  for (const auto& e : exits)
    if (e.exit_code != 0 && !e.stopped_by_launcher && e.exit_code != 2) all_input = false;
  std::string msg = fmt::format("{} local ranks: {}", n, failures);
  // The rank that failed on its own says why, in its words: first one whose line is not a peer's failure (it
  // may exit after a peer that noticed it, e.g. rank 0 failing to write model.pt while rank 1 waits for it).
  const exec::RankExit* own = nullptr;
  for (const auto& e : exits)
    if (e.exit_code != 0 && !e.message.empty() && e.message.find(exec::kPeerFailed) == std::string::npos) {
      own = &e;
      break;
    }
  for (const auto& e : exits)
    if (!own && e.exit_code != 0 && !e.stopped_by_launcher && !e.message.empty()) own = &e;
  if (own) msg = fmt::format("rank {} of {}: {}", own->rank, n, own->message);
  if (all_input) throw InputError(msg);
  throw Error(msg);
}

namespace {

/// What every rank would check first, checked once by the launcher before it starts them.
void check_before_spawn(const TrainArgs& a) {
  const exec::TrainOptions& o = a.train;
  if (a.nproc > limits::kLocalRanks)
    throw InputError(fmt::format("--nproc {}: more than the limit of {} ranks", a.nproc, limits::kLocalRanks));
  if (o.schedule_path.empty()) {
    validate(o.config);
  } else {
    const Schedule s = read_schedule(o.schedule_path);
    if (s.config.workers != a.nproc)
      throw InputError(fmt::format("--nproc {} but the schedule '{}' has {} workers: one rank per worker", a.nproc,
                                   o.schedule_path, s.config.workers));
  }
  if (o.backend != "gloo" && o.backend != "nccl")
    throw InputError(fmt::format("unknown backend '{}' (known: gloo, nccl)", o.backend));
  if (o.device != "cpu" && o.device != "cuda")
    throw InputError(fmt::format("unknown device '{}' (known: cpu, cuda)", o.device));
  check_train_numbers(o);
  if (o.elastic) {
    const Protocol p = o.schedule_path.empty() ? o.config.protocol : read_schedule(o.schedule_path).config.protocol;
    if (p != Protocol::resist && p != Protocol::local_sgd)
      throw InputError(fmt::format("--elastic: protocol {} cannot go on without a lost rank (only resist and "
                                   "local_sgd can)", to_string(p)));
    if (o.min_workers > a.nproc)
      throw InputError(fmt::format("--min-workers {}: more than the {} ranks of --nproc", o.min_workers, a.nproc));
  }
}

/// " after a local SGD warm-up of K rounds" (or E epochs), or nothing: the summary line names the phases.
std::string warmup_note(const RunConfig& c) {
  if (c.local_sgd_warmup_rounds > 0) return fmt::format(" after a local SGD warm-up of {} rounds", c.local_sgd_warmup_rounds);
  if (c.local_sgd_warmup_epochs > 0) return fmt::format(" after a local SGD warm-up of {:g} epochs", c.local_sgd_warmup_epochs);
  return "";
}

void run(TrainArgs& a) {
  exec::TrainOptions& o = a.train;
  o.config.protocol = parse_protocol(a.protocol);
  // imagefolder: the scanned folder's size and classes go into the config, hence into the schedule.
  if (o.schedule_path.empty()) exec::resolve_image_folder(o.config, o.data_dir);
  if (a.rank >= 0) o.launch.rank = a.rank;
  if (a.world_size >= 0) o.launch.world_size = a.world_size;
  o.progress = !a.quiet;
  check_number(a.nproc, "--nproc", 0, limits::kLocalRanks);
  if (a.bench > 0) {
    const exec::BenchResult b = exec::bench_steps(o, a.bench);
    std::cout << nlohmann::json{{"median_step_s", b.median_step_s}, {"mean_step_s", b.mean_step_s},
                                {"steps", b.steps}, {"threads", b.threads}, {"model", o.config.model},
                                {"batch", o.config.batch}}.dump()
              << "\n";
    return;
  }
  const bool spawned = !exec::current_environment()["RESIST_LOCAL_LAUNCHER"].empty();
  if (a.nproc > 0 && !a.workers_given) o.config.workers = a.nproc;
  if (a.nproc > 0 && o.config.workers != a.nproc)
    throw InputError(fmt::format("--nproc {} starts {} ranks but --workers is {}: one rank per worker", a.nproc,
                                 a.nproc, o.config.workers));
  if (a.nproc > 0 && !spawned) {
    check_before_spawn(a); // one message from the launcher, not one per rank
    return launch_local_ranks(a.nproc, o.elastic);
  }
  if (a.nproc == 0 && !a.workers_given && o.schedule_path.empty()) // under torchrun / srun / mpirun
    o.config.workers = exec::resolve_launch(exec::current_environment(), o.launch).world_size;
  if (a.die_at_round >= 0 || a.hang_at_round >= 0)
    o.on_round_start = [die = a.die_at_round, hang = a.hang_at_round, who = a.die_rank](int round, int rank) {
      if (rank != who) return;
      if (round == die) ::raise(SIGKILL); // a crash, as abrupt as a real one
      if (round == hang) ::raise(SIGSTOP); // a hung rank: peers must time out
    };
  check_train_numbers(o);
  const exec::TrainResult r = exec::train(o);
  if (r.final_accuracy >= 0)
    std::cout << fmt::format("resist train: {} on {} workers, {} rounds, {}: test accuracy {:.2f}% ({}; payload bytes "
                             "{} core's accounting; run directory {})\n",
                             a.protocol + warmup_note(o.config), o.config.workers, r.rounds, epochs_convention(o.config, r.epochs_per_worker),
                             100 * r.final_accuracy, o.config.dataset,
                             r.bytes_match ? "equal to" : "DIFFER from", r.run_dir);
}

} // namespace

void add_train_commands(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  exec::TrainOptions& o = a->train;
  CLI::App* sub = app.add_subcommand("train", "Train with ResIST, local SGD or data parallel (LibTorch + c10d)");
  add_run_options(*sub, o.config, a->protocol);
  sub->footer("Multi-node runs (torchrun, srun, mpirun, --master-addr) trust their network, as torchrun does: the "
              "rendezvous port (MASTER_PORT) and Gloo's ports are open to it, unauthenticated; run them on a trusted "
              "network only.");
  sub->add_option("--schedule", o.schedule_path, "Train by this schedule file (resist schedule --out) instead");
  sub->add_option("--nproc", a->nproc, "Start this many local ranks (rendezvous through a private file, Gloo on loopback: no port beyond this machine)");
  sub->add_option("--rank", a->rank, "This process's rank (default: from the launcher's environment)");
  sub->add_option("--world-size", a->world_size, "Ranks in the job (default: from the environment)");
  sub->add_option("--master-addr", o.launch.master_addr, "Rendezvous host (default: MASTER_ADDR or derived)");
  sub->add_option("--master-port", o.launch.master_port, "Rendezvous port (default: MASTER_PORT or derived)");
  sub->add_option("--backend", o.backend, "gloo (CPU) or nccl (GPU, CUDA builds only)")->capture_default_str();
  sub->add_option("--device", o.device, "cpu or cuda")->capture_default_str();
  sub->add_option("--precision", o.precision,
                  "fp32, tf32 (CUDA), bf16 or fp16 (CUDA; dynamic loss scaling): autocast for bf16/fp16, weights, "
                  "averaging and optimizer in fp32")
      ->capture_default_str();
  sub->add_option("--memory-format", o.memory_format,
                  "auto (channels-last on CUDA in tf32/bf16/fp16, NCHW otherwise), nchw or channels_last")
      ->capture_default_str();
  sub->add_option("--threads", o.threads, "Intra-op threads per rank (0 = cores / local ranks)")->capture_default_str();
  sub->add_option("--timeout-s", o.timeout_s, "Seconds before a missing or hung rank fails the others")
      ->capture_default_str();
  sub->add_option("--run-dir", o.run_dir, "Output folder (default runs/<schedule hash prefix>)");
  sub->add_option("--data-dir", o.data_dir, "Data set folder (default: the data set's usual place)");
  sub->add_option("--test-size", o.test_size, "Evaluate on the first N test images (0 = all)")->capture_default_str();
  sub->add_option("--eval-every", o.eval_every, "Evaluate every K rounds (0 = after the last only)")
      ->capture_default_str();
  sub->add_option("--checkpoint-every", o.checkpoint_every, "Checkpoint every K rounds (0 = never)")
      ->capture_default_str();
  sub->add_flag("--resume", o.resume, "Continue from the latest checkpoint in --run-dir");
  sub->add_flag("--elastic", o.elastic,
                "A rank that dies or hangs does not end the run: the survivors agree within --timeout-s, re-plan "
                "the rounds left for themselves and go on (resist, local_sgd; events.csv records the loss)");
  sub->add_option("--min-workers", o.min_workers, "With --elastic: fewer survivors stop the run (resumable from "
                  "its last checkpoint)")->capture_default_str();
  sub->add_option("--init-from", o.init_from,
                  "Start from this PyTorch state dict (torch.save(model.state_dict(), FILE); torchvision's names "
                  "for resnet18..152; names and shapes must match the model)");
  sub->add_option("--export", o.export_path,
                  "Write the final network to FILE as a PyTorch state dict (torch.load; torchvision's resnet*() "
                  "load_state_dict), BatchNorm running statistics included");
  sub->add_flag("--export-checkpoints", o.export_checkpoints,
                "Also write state_dict.r<round>.pt in --run-dir at every checkpoint (--checkpoint-every)");
  sub->add_option("--export-bn-batches", o.export_bn_batches,
                  "Training batches that estimate the exported BatchNorm running statistics (the trainer itself "
                  "normalizes with batch statistics)")
      ->capture_default_str();
  sub->add_flag("--quiet,-q", a->quiet, "No progress bar");
  sub->add_option("--bench-steps", a->bench, "Time N local SGD steps of the whole model in this process, print JSON");
  // Fault injection for the test suite (hidden).
  sub->add_option("--fault-die-at-round", a->die_at_round)->group("");
  sub->add_option("--fault-hang-at-round", a->hang_at_round)->group("");
  sub->add_option("--fault-rank", a->die_rank)->group("");
  sub->add_option("--fault-nan-at-round", o.nan_at_round)->group("");
  sub->add_option("--export-logits", o.export_logits)->group(""); // tests/exec/state_dict.py
  sub->callback([a, sub] {
    a->workers_given = sub->get_option("--workers")->count() > 0;
    if (a->train.schedule_path.empty()) check_protocol_options(*sub, {a->protocol}); // a schedule brings its own
    run(*a);
  });
}

} // namespace resist::cli
