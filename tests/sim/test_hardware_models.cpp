// The hardware models of issue 8 against hand-computed cases: DDP's barrier and copies, NCCL's choice,
// NVLS and the hierarchical all-reduce through the nccl-tests-style benchmark, one link per NIC, group
// creation, the host input pipeline.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"
#include "sim/collective_bench.hpp"
#include "sim/comm_pattern.hpp"
#include "sim/ddp_model.hpp"
#include "sim/input_pipeline.hpp"
#include "sim_test_util.hpp"

using namespace resist;
using namespace resist::sim;

TEST_CASE("DDP barrier: expected maximum of N standard normals by hand", "[sim][ddp]") {
  CHECK(expected_max_standard_normal(1) == 0);
  CHECK(expected_max_standard_normal(2) == Approx(1 / std::sqrt(M_PI)).epsilon(1e-6)); // 0.5642
  CHECK(expected_max_standard_normal(3) == Approx(1.5 / std::sqrt(M_PI)).epsilon(1e-6)); // 0.8463
  CHECK(expected_max_standard_normal(8) == Approx(1.4236).epsilon(1e-3));
  CHECK(ddp_barrier_factor(2, 0.1) == Approx(1 + 0.1 / std::sqrt(M_PI)).epsilon(1e-6));
  // A 25 MB bucket read and written once at 800 GB/s: 2 x 25e6 / 800e9 = 62.5 us.
  CHECK(bucket_copy_s(25'000'000, 800e9) == Approx(62.5e-6));
}

TEST_CASE("NCCL's choice: NVLS on Hopper NVSwitch nodes where it beats the ring, the ring across nodes",
          "[sim][nccl]") {
  auto all = [](int n) {
    std::vector<int> w;
    for (int i = 0; i < n; ++i) w.push_back(i);
    return Exchange{"x", 1 << 20, w, w, 1};
  };
  const std::vector<int> one_node(8, 0), two_nodes{0, 0, 0, 0, 1, 1, 1, 1};
  // Per byte: ring 2(N-1)/N, NVLS (1 + 1/N) / 0.834: N = 3 ring (1.333 < 1.599), N = 4 NVLS (1.499 <= 1.5).
  CHECK(choose_nccl_algorithm(all(3), one_node, true) == Algorithm::ring);
  CHECK(choose_nccl_algorithm(all(4), one_node, true) == Algorithm::nvls);
  CHECK(choose_nccl_algorithm(all(8), one_node, false) == Algorithm::ring);
  CHECK(choose_nccl_algorithm(all(8), two_nodes, true) == Algorithm::ring);
  const Exchange move{"b", 100, {1}, {0, 3}, 1};
  CHECK(choose_nccl_algorithm(move, one_node, true) == Algorithm::ring);
  CHECK(parse_collective("nccl").name() == "nccl");
  CHECK_THROWS_AS(parse_collective("nvlstree"), InputError);
}

namespace {

/// One node of `n` GPUs on a switch: ports of 100 GB/s line rate at efficiency 0.5, 1 us each, no fixed costs.
std::string switch_node(const char* gpu) {
  return fmt::format("parametric:gpus_per_node=8,gpu={},intra_bw_GBps=100,intra_efficiency=0.5,intra_latency_us=1,"
                     "collective_latency_s=0",
                     gpu);
}

double bench_time_s(const std::string& platform, int n, const std::string& algorithm, std::int64_t bytes) {
  CollectiveBenchOptions o;
  o.platform = platform;
  o.workers = n;
  o.collective = algorithm;
  o.sizes_bytes = {bytes};
  return bench_allreduce(o).front().time_s;
}

} // namespace

TEST_CASE("the all-reduce benchmark: ring and NVLS against their closed forms", "[sim][nccl]") {
  const std::int64_t bytes = 400'000'000;
  const double bw = 50e9, hop_s = 2e-6; // 100 GB/s x 0.5; a route crosses two ports
  for (int n : {4, 8}) {
    INFO("GPUs " << n);
    // Ring: 2(N-1) steps of B/N: 2(N-1)/N B / bw + 2(N-1) hops.
    CHECK(bench_time_s(switch_node("A100"), n, "ring", bytes) ==
          Approx(2.0 * (n - 1) / n * bytes / bw + 2.0 * (n - 1) * hop_s).epsilon(0.01));
    // NVLS: every port carries B (1 + 1/N) / 0.834 each way, in 2 steps.
    CHECK(bench_time_s(switch_node("H100"), n, "nvls", bytes) ==
          Approx((1 + 1.0 / n) * bytes / kNvlsEfficiency / bw + 2 * hop_s).epsilon(0.01));
  }
  // nccl on H100 picks NVLS at 8 GPUs, so it is the NVLS time; on A100 the ring.
  CHECK(bench_time_s(switch_node("H100"), 8, "nccl", bytes) ==
        Approx(bench_time_s(switch_node("H100"), 8, "nvls", bytes)));
  CHECK(bench_time_s(switch_node("A100"), 8, "nccl", bytes) ==
        Approx(bench_time_s(switch_node("A100"), 8, "ring", bytes)));
}

TEST_CASE("across nodes: the flat ring and the hierarchical all-reduce against their closed forms", "[sim][nccl]") {
  // 2 nodes x 4 GPUs, 4 NICs of 10 GB/s each (a link each), fast NVLink: the ring (4 channels, one per
  // NIC) sends 2(N-1)/N B through the node's 4 NICs together, the hierarchical B/4 per rail on 4 rails.
  const std::string p = "parametric:gpus_per_node=4,intra_bw_GBps=1000,intra_latency_us=0,nic_bw_GBps=10,"
                        "nics_per_node=4,inter_latency_us=0,collective_latency_s=0";
  const std::int64_t bytes = 800'000'000;
  CHECK(bench_time_s(p, 8, "ring", bytes) == Approx(2.0 * 7 / 8 * bytes / 40e9).epsilon(0.02));
  // Per rail: ring of 2 nodes on B/4: B/4 each way over one 10 GB/s NIC; the NVLink phases are negligible.
  CHECK(bench_time_s(p, 8, "hierarchical", bytes) == Approx(bytes / 4.0 / 10e9).epsilon(0.05));
}

TEST_CASE("one link per NIC: a flow gets one NIC's rate, the ring's channels all of them", "[sim][nccl]") {
  // 2 nodes x 2 GPUs, 2 NICs of 10 GB/s (GPU g uses NIC g), NVLink and the fabric far faster, no latency.
  const std::string p = "parametric:gpus_per_node=2,intra_bw_GBps=1e6,intra_latency_us=0,nic_bw_GBps=10,"
                        "nics_per_node=2,inter_latency_us=0,collective_latency_s=0";
  const std::int64_t bytes = 1'000'000'000;
  // Star through worker 0 (node 0, NIC 0): workers 2 and 3 send B each into NIC 0 (2 B / 10 GB/s), then
  // worker 0 sends B to each of them out of NIC 0 (2 B / 10 GB/s): 0.4 s. One 20 GB/s link would give 0.2 s.
  CHECK(bench_time_s(p, 4, "star", bytes) == Approx(4.0 * bytes / 10e9).epsilon(0.01));
  // Ring over 4 in 2 channels, one per NIC: 2(N-1)/N B = 1.5 B through 2 x 10 GB/s: 75 ms.
  CHECK(bench_time_s(p, 4, "ring", bytes) == Approx(1.5 * bytes / 20e9).epsilon(0.01));
  // One GPU per node, 2 NICs: one channel, one NIC: 2 workers, B each way at 10 GB/s: 0.1 s.
  const std::string single = "parametric:gpus_per_node=1,intra_bw_GBps=1e6,intra_latency_us=0,nic_bw_GBps=10,"
                             "nics_per_node=2,inter_latency_us=0,collective_latency_s=0";
  CHECK(bench_time_s(single, 2, "ring", bytes) == Approx(1.0 * bytes / 10e9).epsilon(0.01));
}

TEST_CASE("process-group creation per member by hand: store barrier, legacy per-peer, communicator set-up",
          "[sim][groups]") {
  PlatformParams p;
  p.group_create_s = 0.01;
  p.group_init_s = 1.02; // NVIDIA/nccl#534: 2.04 s at 8 ranks = 1.02 x (8/2)^0.5
  CHECK(group_create_member_s(1, p) == Approx(0.01));                   // no communicator for one member
  CHECK(group_create_member_s(2, p) == Approx(0.01 + 1.02));
  CHECK(group_create_member_s(8, p) == Approx(0.01 + 2.04));
  CHECK(group_create_member_s(32, p) == Approx(0.01 + 4.08));           // #534 measured 4.06
  p.group_init_s = 0;
  p.group_create_per_peer_s = 0.07;                                     // the p3 platforms' linear form
  CHECK(group_create_member_s(4, p) == Approx(0.01 + 3 * 0.07));
}

TEST_CASE("host input pipeline: a node's images per second shared by its workers, hidden up to the GPU step",
          "[sim][input]") {
  // 8 workers on a node decoding 8000 img/s, batch 256: 256 x 8 / 8000 = 0.256 s per step.
  CHECK(input_wait_s(0.1, 256, 8, 8000) == Approx(0.156));
  CHECK(input_wait_s(0.3, 256, 8, 8000) == 0);  // the GPU is slower: prefetching hides the pipeline
  CHECK(input_wait_s(0.1, 256, 8, 0) == 0);     // unbounded (the default)
  // Local SGD, 4 workers, 3 rounds of 2 steps of batch 32, a node decoding 16 img/s: the pipeline, not the
  // GPU (milliseconds), sets every round's compute: 2 steps x 32 x (workers on the node) / 16.
  const Schedule s = test::small_schedule(Protocol::local_sgd, 4);
  for (int per_node : {4, 2}) {
    SimOptions o;
    o.platform = fmt::format("parametric:gpus_per_node={},gpu=V100,collective_latency_s=0", per_node);
    o.params["input_img_per_s"] = 16;
    const SimResult r = simulate(s, o);
    for (int w = 0; w < 4; ++w) {
      const auto compute = test::events_of(r, w, Phase::compute);
      REQUIRE(compute.size() == 1);
      CHECK(compute.front().end_s - compute.front().start_s == Approx(2.0 * 32 * per_node / 16));
    }
  }
}
