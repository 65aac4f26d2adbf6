// Who am I in a distributed job: rank, world size and rendezvous address, read from the environment
// the launcher set (torchrun, Slurm, Open MPI, MPICH/PMI, our own `resist train --nproc`), or from
// explicit flags. A pure function of a map, so every launcher is tested with fake environments.
#pragma once
#include <map>
#include <optional>
#include <string>

namespace resist::exec {

using EnvMap = std::map<std::string, std::string>;

/// The process environment as a map.
EnvMap current_environment();

struct LaunchInfo {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;     // ranks on this machine (default thread count = cores / this)
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  bool agent_store = false;     // torchrun's agent hosts the TCPStore: every rank is a client
  std::string store_file;       // our --nproc launcher: a FileStore in its private folder (RESIST_STORE_FILE)
  std::string store_prefix;     // key prefix inside the agent store ("/worker/attempt_<restart>")
  int cpus_per_task = 0;        // Slurm's SLURM_CPUS_PER_TASK (0 = unknown)
  std::string source = "single"; // cli, resist, torchrun, env, slurm, openmpi, pmi, single
};

/// Flags that override the environment (resist train --rank --world-size --master-addr --master-port).
struct LaunchOverrides {
  std::optional<int> rank;
  std::optional<int> world_size;
  std::string master_addr; // empty = from the environment
  int master_port = 0;     // 0 = from the environment
};

/// Resolves the launch in priority order: explicit flags > our local launcher (RESIST_LOCAL_LAUNCHER)
/// > torchrun (TORCHELASTIC_RUN_ID / GROUP_RANK) > plain env:// (RANK, WORLD_SIZE) > Slurm (SLURM_PROCID,
/// SLURM_NTASKS) > Open MPI (OMPI_COMM_WORLD_*) > MPICH/Intel MPI (PMI_RANK, PMI_SIZE) > one process.
/// Throws InputError for malformed numbers, a rank outside [0, world), or a multi-rank job without a
/// rendezvous address where none can be derived.
LaunchInfo resolve_launch(const EnvMap& env, const LaunchOverrides& overrides = {});

/// First host of a Slurm host list: "node[03-05,9]" -> "node03", "a1,b2" -> "a1", "gpu7" -> "gpu7".
std::string first_slurm_host(const std::string& nodelist);

} // namespace resist::exec
