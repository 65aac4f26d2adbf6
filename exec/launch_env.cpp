#include "exec/launch_env.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>

#include "core/error.hpp"
#include "core/number.hpp"

extern char** environ;

namespace resist::exec {

EnvMap current_environment() {
  EnvMap env;
  for (char** e = environ; e && *e; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

namespace {

const std::string* find(const EnvMap& env, const char* key) {
  const auto it = env.find(key);
  return it == env.end() || it->second.empty() ? nullptr : &it->second;
}

int to_int(const EnvMap& env, const char* key, int fallback) {
  const std::string* v = find(env, key);
  if (!v) return fallback;
  return static_cast<int>(parse_int(*v, fmt::format("environment variable {}", key), 0, 1'000'000'000));
}

bool truthy(const std::string* v) {
  if (!v) return false;
  std::string s;
  for (char c : *v) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "true" || s == "1" || s == "yes";
}

// MASTER_ADDR / MASTER_PORT when the launcher sets them (torchrun, ours, env://, or the user for MPI).
void read_master(const EnvMap& env, LaunchInfo& info) {
  if (const std::string* a = find(env, "MASTER_ADDR")) info.master_addr = *a;
  info.master_port = to_int(env, "MASTER_PORT", info.master_port);
}

bool from_torchrun(const EnvMap& env, LaunchInfo& info) {
  if (!find(env, "TORCHELASTIC_RUN_ID") && !find(env, "GROUP_RANK")) return false;
  info.source = "torchrun";
  info.rank = to_int(env, "RANK", 0);
  info.world_size = to_int(env, "WORLD_SIZE", 1);
  info.local_rank = to_int(env, "LOCAL_RANK", 0);
  info.local_world_size = to_int(env, "LOCAL_WORLD_SIZE", 1);
  read_master(env, info);
  // Mirrors torch.distributed's env:// rendezvous: under the agent store nobody serves, and keys live
  // under a per-restart prefix so a restarted attempt does not read the previous attempt's keys.
  if (truthy(find(env, "TORCHELASTIC_USE_AGENT_STORE"))) {
    info.agent_store = true;
    info.store_prefix = fmt::format("/worker/attempt_{}", to_int(env, "TORCHELASTIC_RESTART_COUNT", 0));
  }
  return true;
}

bool from_plain_env(const EnvMap& env, LaunchInfo& info, const char* source) {
  if (!find(env, "RANK") || !find(env, "WORLD_SIZE")) return false;
  info.source = source;
  info.rank = to_int(env, "RANK", 0);
  info.world_size = to_int(env, "WORLD_SIZE", 1);
  info.local_rank = to_int(env, "LOCAL_RANK", info.rank);
  info.local_world_size = to_int(env, "LOCAL_WORLD_SIZE", info.world_size);
  read_master(env, info);
  return true;
}

bool from_slurm(const EnvMap& env, LaunchInfo& info) {
  if (!find(env, "SLURM_PROCID") || (!find(env, "SLURM_NTASKS") && !find(env, "SLURM_NPROCS"))) return false;
  info.source = "slurm";
  info.rank = to_int(env, "SLURM_PROCID", 0);
  info.world_size = find(env, "SLURM_NTASKS") ? to_int(env, "SLURM_NTASKS", 1) : to_int(env, "SLURM_NPROCS", 1);
  info.local_rank = to_int(env, "SLURM_LOCALID", 0);
  const int nodes = std::max(1, to_int(env, "SLURM_NNODES", 1));
  info.local_world_size = std::max(1, (info.world_size + nodes - 1) / nodes);
  info.cpus_per_task = to_int(env, "SLURM_CPUS_PER_TASK", 0);
  const std::string* list = find(env, "SLURM_STEP_NODELIST");
  if (!list) list = find(env, "SLURM_JOB_NODELIST");
  if (!list) list = find(env, "SLURM_NODELIST");
  if (list) info.master_addr = first_slurm_host(*list);
  // Every task of the job computes the same port from the job id, so no one has to publish it.
  info.master_port = 20000 + to_int(env, "SLURM_JOB_ID", 9500) % 20000;
  read_master(env, info); // an explicit MASTER_ADDR / MASTER_PORT wins
  return true;
}

bool from_mpi(const EnvMap& env, LaunchInfo& info, const char* rank_key, const char* size_key,
              const char* local_rank_key, const char* local_size_key, const char* source) {
  if (!find(env, rank_key) || !find(env, size_key)) return false;
  info.source = source;
  info.rank = to_int(env, rank_key, 0);
  info.world_size = to_int(env, size_key, 1);
  info.local_rank = to_int(env, local_rank_key, 0);
  info.local_world_size = to_int(env, local_size_key, info.world_size);
  const bool one_node = info.local_world_size == info.world_size;
  if (!find(env, "MASTER_ADDR") && !one_node && info.world_size > 1)
    throw InputError(fmt::format("{} launched {} ranks on several nodes but MASTER_ADDR is not set: pass "
                                 "-x MASTER_ADDR=<rank 0's host> -x MASTER_PORT=<free port> to mpirun",
                                 source, info.world_size));
  read_master(env, info);
  return true;
}

} // namespace

std::string first_slurm_host(const std::string& nodelist) {
  std::string out;
  for (std::size_t i = 0; i < nodelist.size(); ++i) {
    const char c = nodelist[i];
    if (c == ',') break;
    if (c == '[') { // "node[03-05,9]": the prefix plus the first number of the range
      for (++i; i < nodelist.size() && nodelist[i] != '-' && nodelist[i] != ',' && nodelist[i] != ']'; ++i)
        out += nodelist[i];
      break;
    }
    out += c;
  }
  return out;
}

LaunchInfo resolve_launch(const EnvMap& env, const LaunchOverrides& cli) {
  LaunchInfo info;
  if (truthy(find(env, "RESIST_LOCAL_LAUNCHER")) && from_plain_env(env, info, "resist")) {
    if (const std::string* f = find(env, "RESIST_STORE_FILE")) info.store_file = *f; // no port: see spawn.hpp
  } else if (from_torchrun(env, info)) {
  } else if (from_plain_env(env, info, "env")) {
  } else if (from_slurm(env, info)) {
  } else if (from_mpi(env, info, "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
                      "OMPI_COMM_WORLD_LOCAL_SIZE", "openmpi")) {
  } else if (from_mpi(env, info, "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS", "pmi")) {
  } else {
    read_master(env, info);
  }
  if (cli.rank || cli.world_size) {
    info.source = "cli";
    if (cli.rank) info.rank = *cli.rank;
    if (cli.world_size) info.world_size = *cli.world_size;
    if (info.local_world_size > info.world_size) info.local_world_size = info.world_size;
  }
  if (!cli.master_addr.empty()) info.master_addr = cli.master_addr;
  if (cli.master_port > 0) info.master_port = cli.master_port;
  if (info.world_size < 1) throw InputError(fmt::format("world size {} (from {}): need at least 1", info.world_size, info.source));
  if (info.rank < 0 || info.rank >= info.world_size)
    throw InputError(fmt::format("rank {} is outside [0, {}) (from {})", info.rank, info.world_size, info.source));
  if (info.master_port < 1 || info.master_port > 65535)
    throw InputError(fmt::format("master port {} (from {}): must be in 1..65535", info.master_port, info.source));
  info.local_world_size = std::max(1, info.local_world_size);
  return info;
}

} // namespace resist::exec
