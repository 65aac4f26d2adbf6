// The simulator's entry point: a schedule (core) on a platform, replayed on SimGrid, summarized.
// Each call runs in a child process with its own SimGrid engine (SimGrid allows one engine per process
// and its clock never resets), so calls are independent and deterministic: same inputs, same result.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/comm.hpp"
#include "core/schedule.hpp"
#include "core/timeline.hpp"

namespace resist::sim {

/// A factor on one worker over rounds [first_round, end_round) of the simulated schedule (its own numbering):
/// how sim/elastic_replay.hpp replays a straggler or a degraded link that appears mid-run.
struct WorkerRounds {
  int worker = 0;
  int first_round = 0;
  int end_round = 0;
  double factor = 1;
};

struct SimOptions {
  std::string platform = "aws_p3_8xlarge"; // built-in name, XML/TOML path, or parametric:...
  std::string collective = "nccl";         // nccl, reference, c10d or an algorithm (comm_pattern.hpp)
  std::string nccl_algo, nccl_proto;       // nccl: NCCL_ALGO / NCCL_PROTO restrictions (nccl_tuner.hpp)
  std::string gpu;                         // every worker's GPU kind instead of the platform's
  std::string gpu_table;                   // GPU table file instead of the built-in platforms/gpus.csv
  std::string profile;                     // measured per-layer profile CSV (takes precedence)
  std::string profile_basis = "auto";      // its cpu or wall seconds (core/profile.hpp with_basis)
  std::string math = "fp32";               // fp32, tf32, fp16 or bf16 (gpu_model.hpp MathMode)
  std::string fusion = "none";             // none, bn_act or conv_bn (gpu_model.hpp Fusion)
  double efficiency = 0;                   // achieved fraction of the FLOP peak for every kind (0 = the table's)
  std::map<std::string, double> params;    // overrides of the platform's fixed costs (platform.hpp)
  std::map<int, double> speed_factors;     // worker -> speed factor (1 = nominal, 0.5 = half speed)
  std::vector<WorkerRounds> round_speed;   // compute speed factors on top of those, for some rounds only
  std::vector<WorkerRounds> round_link;    // bandwidth factors of a worker's own links (those every route
                                           // to and from it crosses), for some rounds only
  double step_spread_cv = 0;               // > 0: the ranks' spread at the same step, measured (a profile's
                                           // step_wall_cv): the data-parallel step barrier takes it instead of
                                           // the platform's ddp_step_cv, and local-step rounds wait for their
                                           // slowest worker too (ddp_model.hpp round_barrier_factor)
  double background_threads = 0;           // busy threads of other programs on every shared-cores host
                                           // (cores_per_node / compute_host): they take their share
  int threads = 0;                         // intra-op threads per worker (0 = the profile's, else 1):
                                           // what time-sharing a platform's cores divides
  int shared_devices = 0;                  // > 0: each node's workers time-share this many devices (GPU ranks
                                           // beyond its GPUs; parametric platforms: sets cores_per_node)
  double nic_bw_GBps = 0;                  // parametric platforms: NIC bandwidth instead of theirs (0 = theirs)
  bool reuse = true;                       // simulate identical rounds and data-parallel steps once
  bool step_replay = false;                // every ring step a SimGrid transfer (else spans: collective.hpp)
  bool timeline = true;                    // keep every worker's events
  bool progress = false;                   // progress bar on stderr (when it is a terminal)
};

struct SimResult {
  std::string protocol;
  std::string collective;
  std::string platform;
  int workers = 0;
  int rounds = 0;
  int simulated_rounds = 0;       // rounds actually run on SimGrid (the others reused an identical one)
  double total_s = 0;             // simulated wall-clock of the whole run
  double compute_s = 0;           // mean over workers of seconds in each phase
  double comm_s = 0;
  double overhead_s = 0;
  double idle_s = 0;              // waiting for the slowest worker at round ends
  std::int64_t wire_bytes = 0;    // sum over workers of bytes sent + received on the wire
  std::int64_t payload_bytes = 0; // core's payload rule (comm.hpp), the paper's Table 1 measure
  std::vector<WorkerBytes> worker_bytes; // wire bytes per worker, as handed to SimGrid
  std::vector<std::string> worker_names; // host (GPU kind x speed factor)
  std::vector<TimelineEvent> timeline;
  std::vector<double> round_end_s;       // simulated seconds at the end of each round (cumulative)
  double group_rebuild_s = 0;     // the platform's cost of creating a process group of all the workers (per
                                  // member: what re-forming the group after a lost worker costs)
  double wall_s = 0;              // host seconds the simulation took

  double per_round_s() const { return rounds ? total_s / rounds : 0; }
};

struct PlatformDesc;
/// The platform the options name, with their overrides applied. Throws InputError.
PlatformDesc platform_for(const SimOptions& options);

/// Simulates one schedule. Throws InputError for a bad platform, GPU kind, profile or option.
SimResult simulate(const Schedule& schedule, const SimOptions& options);

/// One simulation of simulate_many: pointers to what the caller keeps alive.
struct SimRun {
  const Schedule* schedule = nullptr;
  const SimOptions* options = nullptr;
};
/// Simulates every run, at most `jobs` at once (a child process each, so they use that many cores), and
/// calls done(i, result) in this process as each ends, in the order they end. Throws as simulate() does;
/// after a failure no new run starts.
void simulate_many(const std::vector<SimRun>& runs, int jobs, const std::function<void(std::size_t, SimResult)>& done);

/// The same in this process (it must hold no other SimGrid engine, now or before): what the child runs.
SimResult simulate_in_process(const Schedule& schedule, const SimOptions& options);

} // namespace resist::sim
