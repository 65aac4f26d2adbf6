// The trainer's entry points, free of LibTorch headers so the CLI compiles quickly.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "core/run_config.hpp"
#include "exec/launch_env.hpp"

namespace resist::exec {

struct TrainOptions {
  RunConfig config;              // the run (ignored when schedule_path is set)
  std::string schedule_path;     // train by this schedule file (the one the simulator replays)
  LaunchOverrides launch;        // explicit rank / world / address; otherwise from the environment
  std::string backend = "gloo";  // gloo or nccl
  std::string device = "cpu";    // cpu or cuda
  std::string precision = "fp32"; // fp32, tf32, bf16, fp16 (exec/precision.hpp)
  std::string memory_format = "auto"; // auto, nchw, channels_last (exec/precision.hpp)
  int threads = 0;               // intra-op threads; 0 = cores / ranks on this machine
  double timeout_s = 60;         // rendezvous, store and every collective
  std::string run_dir;           // empty = runs/<schedule hash prefix>
  std::string data_dir;          // empty = the data set's default folder
  std::int64_t test_size = 0;    // first N test images (0 = all)
  int eval_every = 0;            // evaluate every K rounds (0 = only after the last)
  int checkpoint_every = 0;      // checkpoint every K rounds (0 = never)
  bool resume = false;           // continue from the latest checkpoint in run_dir
  // Weights as PyTorch state dicts (exec/state_dict.hpp): torch.load reads them, torchvision's names.
  std::string init_from;         // start from this state dict (before --resume's checkpoint, which wins)
  std::string export_path;       // rank 0 writes the final network here
  bool export_checkpoints = false; // and state_dict.r<round>.pt in run_dir at every checkpoint
  int export_bn_batches = 20;    // training batches that estimate the exported BatchNorm running statistics
  std::string export_logits;     // tests: rank 0 writes a fixed batch and its logits before and after training
  bool progress = true;          // progress bar on rank 0
  bool elastic = false;          // a lost rank: the survivors go on (resist, local_sgd; exec/elastic.hpp)
  int min_workers = 1;           // elastic: fewer survivors stop the run as a non-elastic one
  // Fault injection, for tests only.
  int nan_at_round = -1;                        // rank 0's loss becomes NaN in this round
  std::function<void(int round, int rank)> on_round_start; // called before each round's local steps
};

struct TrainResult {
  std::string run_dir;
  std::string schedule_hash;
  int rounds = 0;
  double epochs_per_worker = 0;  // the whole run's, however long this process trained
  double final_accuracy = -1;    // rank 0 only; fraction
  std::string params_hash;       // rank 0: hash of the final whole model (bit-identity checks)
  bool bytes_match = true;       // every round's measured payload equals core's accounting
};

/// Runs this process's rank of a distributed training job. Throws InputError for bad options (world
/// size other than the schedule's workers, ranks with different schedules, missing data) and Error
/// for failures (a rank died, a timeout, a NaN loss).
TrainResult train(const TrainOptions& options);

struct BenchResult {
  int steps = 0;
  int threads = 0;
  double median_step_s = 0;
  double mean_step_s = 0;
};

/// Times `steps` local SGD steps of the whole network in this process (no communication), after
/// `warmup` untimed steps: the step the trainer runs, for comparison with PyTorch.
BenchResult bench_steps(const TrainOptions& options, int steps, int warmup = 3);

/// Default intra-op threads: cores (or Slurm's CPUs per task) divided by the ranks on this machine.
int default_threads(const LaunchInfo& launch);

} // namespace resist::exec
