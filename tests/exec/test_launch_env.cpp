// Launcher environments, as torchrun, srun, mpirun and our --nproc set them (fake maps).
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "exec/launch_env.hpp"

using namespace resist;
using namespace resist::exec;

TEST_CASE("no launcher: one process on loopback", "[exec][launch]") {
  const LaunchInfo l = resolve_launch({});
  CHECK(l.source == "single");
  CHECK(l.rank == 0);
  CHECK(l.world_size == 1);
  CHECK(l.master_addr == "127.0.0.1");
}

TEST_CASE("torchrun: ranks, local sizes, master, and the agent store (every rank a client)", "[exec][launch]") {
  EnvMap env = {{"RANK", "3"},          {"WORLD_SIZE", "8"},   {"LOCAL_RANK", "1"},   {"LOCAL_WORLD_SIZE", "2"},
                {"GROUP_RANK", "1"},    {"MASTER_ADDR", "n0"}, {"MASTER_PORT", "29400"},
                {"TORCHELASTIC_RUN_ID", "job7"}, {"TORCHELASTIC_RESTART_COUNT", "2"}};
  LaunchInfo l = resolve_launch(env);
  CHECK(l.source == "torchrun");
  CHECK(l.rank == 3);
  CHECK(l.world_size == 8);
  CHECK(l.local_rank == 1);
  CHECK(l.local_world_size == 2);
  CHECK(l.master_addr == "n0");
  CHECK(l.master_port == 29400);
  CHECK_FALSE(l.agent_store);
  env["TORCHELASTIC_USE_AGENT_STORE"] = "True";
  l = resolve_launch(env);
  CHECK(l.agent_store);
  CHECK(l.store_prefix == "/worker/attempt_2");
}

TEST_CASE("Slurm: SLURM_PROCID / SLURM_NTASKS, first node of the list, port from the job id", "[exec][launch]") {
  EnvMap env = {{"SLURM_PROCID", "5"},         {"SLURM_NTASKS", "8"},      {"SLURM_LOCALID", "1"},
                {"SLURM_NNODES", "2"},         {"SLURM_JOB_ID", "123456"}, {"SLURM_CPUS_PER_TASK", "6"},
                {"SLURM_JOB_NODELIST", "gpu[07-08]"}};
  LaunchInfo l = resolve_launch(env);
  CHECK(l.source == "slurm");
  CHECK(l.rank == 5);
  CHECK(l.world_size == 8);
  CHECK(l.local_rank == 1);
  CHECK(l.local_world_size == 4);
  CHECK(l.cpus_per_task == 6);
  CHECK(l.master_addr == "gpu07");
  CHECK(l.master_port == 20000 + 123456 % 20000);
  env["MASTER_ADDR"] = "head";
  env["MASTER_PORT"] = "1234";
  l = resolve_launch(env);
  CHECK(l.master_addr == "head");
  CHECK(l.master_port == 1234);
  CHECK(first_slurm_host("a1,b2") == "a1");
  CHECK(first_slurm_host("node[3,5-9]") == "node3");
  CHECK(first_slurm_host("solo") == "solo");
}

TEST_CASE("Open MPI: OMPI_COMM_WORLD_*, loopback on one node, MASTER_ADDR required across nodes", "[exec][launch]") {
  EnvMap env = {{"OMPI_COMM_WORLD_RANK", "2"}, {"OMPI_COMM_WORLD_SIZE", "4"}, {"OMPI_COMM_WORLD_LOCAL_RANK", "2"},
                {"OMPI_COMM_WORLD_LOCAL_SIZE", "4"}};
  LaunchInfo l = resolve_launch(env);
  CHECK(l.source == "openmpi");
  CHECK(l.rank == 2);
  CHECK(l.world_size == 4);
  CHECK(l.master_addr == "127.0.0.1");
  env["OMPI_COMM_WORLD_LOCAL_SIZE"] = "2"; // two nodes
  CHECK_THROWS_AS(resolve_launch(env), InputError);
  env["MASTER_ADDR"] = "10.0.0.1";
  l = resolve_launch(env);
  CHECK(l.master_addr == "10.0.0.1");
  CHECK(l.local_world_size == 2);
}

TEST_CASE("MPICH / Intel MPI: PMI_RANK, PMI_SIZE", "[exec][launch]") {
  const LaunchInfo l = resolve_launch({{"PMI_RANK", "1"}, {"PMI_SIZE", "2"}});
  CHECK(l.source == "pmi");
  CHECK(l.rank == 1);
  CHECK(l.world_size == 2);
}

TEST_CASE("priority: flags > our launcher > torchrun > env:// > Slurm > Open MPI", "[exec][launch]") {
  EnvMap env = {{"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "2"}, {"OMPI_COMM_WORLD_RANK", "0"},
                {"OMPI_COMM_WORLD_SIZE", "2"}};
  CHECK(resolve_launch(env).source == "slurm");
  env["RANK"] = "1";
  env["WORLD_SIZE"] = "2";
  CHECK(resolve_launch(env).source == "env");
  env["TORCHELASTIC_RUN_ID"] = "x";
  CHECK(resolve_launch(env).source == "torchrun");
  env["RESIST_LOCAL_LAUNCHER"] = "1";
  CHECK(resolve_launch(env).source == "resist");
  LaunchOverrides cli;
  cli.rank = 0;
  cli.world_size = 3;
  cli.master_port = 4321;
  const LaunchInfo l = resolve_launch(env, cli);
  CHECK(l.source == "cli");
  CHECK(l.rank == 0);
  CHECK(l.world_size == 3);
  CHECK(l.master_port == 4321);
}

TEST_CASE("malformed launcher values are input errors", "[exec][launch]") {
  CHECK_THROWS_AS(resolve_launch({{"RANK", "x"}, {"WORLD_SIZE", "2"}}), InputError);
  CHECK_THROWS_AS(resolve_launch({{"RANK", "2"}, {"WORLD_SIZE", "2"}}), InputError);
  CHECK_THROWS_AS(resolve_launch({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "70000"}}), InputError);
}

TEST_CASE("our launcher: the ranks' store is its file (no port), no agent store, no key prefix", "[exec][launch]") {
  EnvMap env = {{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}, {"RESIST_LOCAL_LAUNCHER", "1"}};
  CHECK(resolve_launch(env).store_file.empty()); // without the file: a TCPStore that rank 0 serves
  env["RESIST_STORE_FILE"] = "/tmp/resist-launch-x/store";
  const LaunchInfo l = resolve_launch(env);
  CHECK(l.source == "resist");
  CHECK(l.store_file == "/tmp/resist-launch-x/store");
  CHECK_FALSE(l.agent_store);
  CHECK(l.store_prefix.empty());
  env.erase("RESIST_LOCAL_LAUNCHER"); // only our launcher's ranks read the variable
  CHECK(resolve_launch(env).store_file.empty());
}
