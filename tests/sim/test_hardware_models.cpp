// The hardware models of issue 8 against hand-computed cases: DDP's barrier and copies, NCCL's choice,
// NVLS, the hierarchical all-reduce, tree and NVLS-tree through the nccl-tests-style benchmark, one link per
// NIC, group creation, the host input pipeline.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "core/comm.hpp"
#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "sim/collective_bench.hpp"
#include "sim/comm_pattern.hpp"
#include "sim/ddp_model.hpp"
#include "sim/gpu_model.hpp"
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
  // A round of 4 steps: the round's spread is cv / sqrt(4) = 0.05.
  CHECK(round_barrier_factor(2, 0.1, 4) == Approx(1 + 0.05 / std::sqrt(M_PI)).epsilon(1e-6));
  CHECK(round_barrier_factor(1, 0.1, 4) == 1);
  CHECK(round_barrier_factor(4, 0.1, 0) == 1);
  // A 25 MB bucket read and written once at 800 GB/s: 2 x 25e6 / 800e9 = 62.5 us.
  CHECK(bucket_copy_s(25'000'000, 800e9) == Approx(62.5e-6));
}

TEST_CASE("NCCL's choice: ring / NVLS on one node, tree / NVLS-tree on 2 nodes, ring at scale for large sizes",
          "[sim][nccl]") {
  // What NCCL is published to pick (the tuner's arithmetic by hand: tests/sim/test_nccl_tuner.cpp).
  auto all = [](int n, std::int64_t bytes) {
    std::vector<int> w;
    for (int i = 0; i < n; ++i) w.push_back(i);
    return Exchange{"x", bytes, w, w, 1};
  };
  auto nodes_of = [](int nodes, int per_node) {
    std::vector<int> node_of;
    for (int i = 0; i < nodes * per_node; ++i) node_of.push_back(i / per_node);
    return node_of;
  };
  const std::int64_t large = 8LL << 30, small = 1 << 20;
  // HGX H100-like: NVLS, 8 NICs, ports of 370 GB/s, NICs of 48 GB/s (as achieved); DGX A100-like: no NVLS.
  NcclHardware h100{true, 8, 370e9, 48e9}, a100{false, 8, 246.6e9, 24e9};
  h100.compute_capability = 90;
  const std::vector<int> one_node(8, 0);
  auto algo = [](const NcclCall& c) { return c.algorithm; };
  // One node: NVLS on Hopper at large sizes (NVIDIA/nccl-tests#212), ring LL at small ones; A100: ring.
  CHECK(algo(nccl_call(all(8, large), one_node, h100)) == Algorithm::nvls);
  CHECK(nccl_call(all(8, 64 << 10), one_node, h100).protocol == NcclProto::ll);
  CHECK(algo(nccl_call(all(8, large), one_node, a100)) == Algorithm::ring);
  // 2 nodes x 8: tree (A100) and NVLS-tree (H100), beyond the NICs (NVIDIA/nccl-tests#196, #309).
  const auto two = nodes_of(2, 8);
  CHECK(algo(nccl_call(all(16, large), two, a100)) == Algorithm::tree);
  CHECK(algo(nccl_call(all(16, large), two, h100)) == Algorithm::nvls_tree);
  // NCCL_ALGO=^tree,nvlstree: the ring, at the NICs.
  CHECK(algo(nccl_call(all(16, large), two, a100, NcclEnable::parse("^tree,nvlstree", ""))) == Algorithm::ring);
  // 12 nodes x 8, A100: the ring at 8 GiB (nccl-tests#160), a tree at 1 MiB (log2 latency).
  const auto twelve = nodes_of(12, 8);
  CHECK(algo(nccl_call(all(96, large), twelve, a100)) == Algorithm::ring);
  CHECK(algo(nccl_call(all(96, small), twelve, a100)) == Algorithm::tree);
  CHECK(algo(nccl_call(all(24, large), nodes_of(3, 8), a100)) == Algorithm::ring);
  // One GPU per node, 8 nodes: a tree at 64 KiB (LL: 6.8 + 2 x 3 x 5.0 us against the ring's 6.6 + 14 x 5.0),
  // the ring at 8 GiB.
  const NcclHardware single{false, 1, 0, 24e9};
  CHECK(algo(nccl_call(all(8, 64 << 10), nodes_of(8, 1), single)) == Algorithm::tree);
  CHECK(algo(nccl_call(all(8, large), nodes_of(8, 1), single)) == Algorithm::ring);
  // Not an all-reduce: ring.
  const Exchange move{"b", 100, {1, 2}, {0, 3}, 1};
  CHECK(algo(nccl_call(move, one_node, h100)) == Algorithm::ring);
  CHECK(parse_collective("nccl").name() == "nccl");
  CHECK(parse_collective("nvlstree").algorithm == Algorithm::nvls_tree);
  CHECK_THROWS_AS(parse_collective("nvls-tree"), InputError);
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
  // nccl on H100 picks NVLS at 8 GPUs, so it is the NVLS time with NCCL's latency and the pipeline's fill
  // on top (25 us and a 128 KiB chunk per operation: tens of us of 11 ms); on A100 the ring, NCCL's latency
  // in place of the hops'.
  CHECK(bench_time_s(switch_node("H100"), 8, "nccl", bytes) ==
        Approx(bench_time_s(switch_node("H100"), 8, "nvls", bytes)).epsilon(0.03));
  CHECK(bench_time_s(switch_node("A100"), 8, "nccl", bytes) ==
        Approx(bench_time_s(switch_node("A100"), 8, "ring", bytes)).epsilon(0.01));
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
  // One GPU per node, 2 NICs: the GPU's own two NICs carry its channel together (as NCCL spreads a GPU's
  // channels over its NICs): 2 workers, B each way at 20 GB/s: 50 ms. With one NIC: 0.1 s.
  const std::string single = "parametric:gpus_per_node=1,intra_bw_GBps=1e6,intra_latency_us=0,nic_bw_GBps=10,"
                             "nics_per_node=2,inter_latency_us=0,collective_latency_s=0";
  CHECK(bench_time_s(single, 2, "ring", bytes) == Approx(1.0 * bytes / 20e9).epsilon(0.01));
  std::string one_nic = single;
  one_nic.replace(one_nic.find("nics_per_node=2"), 15, "nics_per_node=1");
  CHECK(bench_time_s(one_nic, 2, "ring", bytes) == Approx(1.0 * bytes / 10e9).epsilon(0.01));
}

TEST_CASE("tree and NVLS-tree on 2 nodes: B per node through the NICs, beyond the ring's NIC limit", "[sim][nccl]") {
  // 2 nodes x 2 GPUs, 2 NICs of 10 GB/s, NVLink and the fabric far faster, no latency. The ring puts
  // 1.5 B through the node's 2 NICs (75 ms at 1 GB); the tree B (50 ms): each GPU heads one channel and
  // sends a quarter of each piece up one tree and a quarter down the other.
  const std::string p = "parametric:gpus_per_node=2,intra_bw_GBps=1e6,intra_latency_us=0,nic_bw_GBps=10,"
                        "nics_per_node=2,inter_latency_us=0,collective_latency_s=0";
  const std::int64_t bytes = 1'000'000'000;
  CHECK(bench_time_s(p, 4, "tree", bytes) == Approx(bytes / 20e9).epsilon(0.02));
  // NVLS-tree on H100 nodes: the same B across (the NVLS phases on 1e6 GB/s ports are negligible); nccl
  // takes it there (NVLS-tree per byte 1 / 20 GB/s against the ring's 1.5 / 20 GB/s).
  const std::string h = p + ",gpu=H100";
  CHECK(bench_time_s(h, 4, "nvlstree", bytes) == Approx(bytes / 20e9).epsilon(0.02));
  CHECK(bench_time_s(h, 4, "nccl", bytes) == Approx(bench_time_s(h, 4, "nvlstree", bytes)).epsilon(0.01));
}

TEST_CASE("PCIe nodes with and without NVLink bridges, against their closed forms", "[sim][nccl]") {
  // 4 GPUs on PCIe links of 20 GB/s, no latency: the ring puts 2(N-1)/N B = 1.5 B through each GPU's link
  // (one hop out, one in, split duplex): 1.5 x 1 GB / 20 GB/s = 75 ms, bridges or not (the ring still
  // crosses PCIe twice). Two bridged GPUs: B each way over the 100 GB/s bridge, 10 ms; without it 50 ms.
  const std::string pcie = "parametric:gpus_per_node=4,gpu=A100,intra_link=pcie,intra_bw_GBps=20,intra_latency_us=0,"
                           "collective_latency_s=0";
  const std::string bridged = pcie + ",nvlink_bridge_GBps=100";
  const std::int64_t bytes = 1'000'000'000;
  CHECK(bench_time_s(pcie, 4, "ring", bytes) == Approx(1.5 * bytes / 20e9).epsilon(0.01));
  CHECK(bench_time_s(bridged, 4, "ring", bytes) == Approx(1.5 * bytes / 20e9).epsilon(0.01));
  CHECK(bench_time_s(pcie, 2, "ring", bytes) == Approx(1.0 * bytes / 20e9).epsilon(0.01));
  CHECK(bench_time_s(bridged, 2, "ring", bytes) == Approx(1.0 * bytes / 100e9).epsilon(0.01));
  // NCCL over PCIe: no LL128 (it needs NVLink), NCCL's PCI latencies.
  CollectiveBenchOptions o;
  o.platform = pcie;
  o.workers = 4;
  o.sizes_bytes = {64 << 10, 1 << 20, 16 << 20, 256 << 20};
  for (const auto& r : bench_allreduce(o)) {
    INFO(r.bytes);
    CHECK(r.algorithm == "ring");
    CHECK(r.protocol != "LL128");
    CHECK(r.busbw_GBps <= r.ring_bound_busbw_GBps * 1.000001);
  }
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
  // Measured sizes (resist profile --comm: 11.5, 21.8, 46.1 ms for 2, 3, 4 Gloo ranks here) replace the form;
  // beyond 4 members each more member adds the last step, 46.1 - 21.8 = 24.3 ms.
  p.group_create_measured_s = {0.0115, 0.0218, 0.0461};
  CHECK(group_create_member_s(2, p) == Approx(0.0115));
  CHECK(group_create_member_s(4, p) == Approx(0.0461));
  CHECK(group_create_member_s(6, p) == Approx(0.0461 + 2 * 0.0243));
  CHECK(group_create_member_s(1, p) == Approx(0.01)); // no group of one was measured: the form
  p.group_create_measured_s = {0.0115};
  CHECK(group_create_member_s(3, p) == Approx(2 * 0.0115)); // one size: in proportion to the peers
  // A platform file carries them as a TOML array; an empty one or a negative value is refused.
  const PlatformDesc d = parse_parametric("gpus_per_node = 4\n[params]\ngroup_create_measured_s = [0.0115, 0.0218]\n",
                                          true, "t.toml");
  CHECK(d.group_create_measured_s == std::vector<double>{0.0115, 0.0218});
  CHECK_THROWS_AS(parse_parametric("[params]\ngroup_create_measured_s = []\n", true, "t.toml"), InputError);
  CHECK_THROWS_AS(parse_parametric("[params]\ngroup_create_measured_s = [-1]\n", true, "t.toml"), InputError);
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

TEST_CASE("fat-tree by hand: nodes of one leaf meet at its switch, others share the leaves' uplinks", "[sim][closed-form]") {
  // Nodes of one GPU and one 25 GB/s NIC, 2 nodes per leaf, uplinks of 2 x 25 / oversubscription. A star
  // all-reduce of B through worker 0: B up to it from everyone (step 0), B back down (step 1).
  const std::int64_t bytes = std::int64_t{1} << 30;
  auto star_s = [&](int workers, double oversubscription) {
    CollectiveBenchOptions o;
    o.platform = fmt::format("parametric:gpus_per_node=1,nics_per_node=1,nic_bw_GBps=25,nic_efficiency=1,"
                             "inter_latency_us=0,topology=fat-tree,nodes_per_leaf=2,oversubscription={},"
                             "collective_latency_s=0",
                             oversubscription);
    o.workers = workers;
    o.collective = "star";
    o.sizes_bytes = {bytes};
    return bench_allreduce(o).front().time_s;
  };
  const double b = static_cast<double>(bytes);
  // Same leaf: worker 1's route never crosses an uplink, however thin: 2 x B / 25 GB/s.
  CHECK(star_s(2, 100) == Approx(2 * b / 25e9).epsilon(1e-6));
  // 4 workers, no oversubscription: worker 0's NIC carries 3 flows each way, 25 / 3 GB/s each.
  CHECK(star_s(4, 1) == Approx(2 * b / (25e9 / 3)).epsilon(1e-6));
  // Oversubscribed 4:1: each uplink is 12.5 GB/s, shared by workers 2 and 3: 6.25 GB/s each, each step.
  CHECK(star_s(4, 4) == Approx(2 * b / 6.25e9).epsilon(1e-6));
}

TEST_CASE("DDP: NCCL beside backward costs comm_compute_slowdown x the overlapped seconds, by hand", "[sim][ddp]") {
  // 2 workers, a link so slow (1 MB/s) that the first bucket's all-reduce (1 MiB cap, the last blocks'
  // gradients) outlasts the rest of backward: the overlapped seconds per step are exactly the backward after
  // that bucket is ready plus the later buckets' copies in, and the step then waits for the all-reduces, so
  // the debt adds to it in full: per step k x X.
  const Schedule s = test::small_schedule(Protocol::data_parallel, 2, "preact_resnet_small", 0, 3, 2);
  const Model m = make_model("preact_resnet_small");
  const std::vector<GradientBucket> buckets = gradient_buckets(m);
  REQUIRE(buckets.size() >= 2);
  const GpuKind& a100 = GpuTable::builtin().at("A100");
  const std::vector<StepTime> t = block_step_times(m, a100, MathMode::fp32, s.config.batch);
  const double barrier = ddp_barrier_factor(2, 0.0193), mem_Bps = 2039e9 * 0.83;
  double overlapped_s = 0;
  for (int b = buckets.front().ready_after_block - 1; b >= 0; --b)
    overlapped_s += t[static_cast<std::size_t>(b)].backward_s * barrier;
  for (std::size_t j = 1; j < buckets.size(); ++j) overlapped_s += bucket_copy_s(buckets[j].bytes, mem_Bps);
  REQUIRE(overlapped_s > 0);
  SimOptions o;
  o.platform = "parametric:nodes=1,gpus_per_node=2,gpu=A100,intra_bw_GBps=0.001";
  o.collective = "ring";
  o.params["collective_latency_s"] = 0;
  o.params["ddp_step_cv"] = 0.0193;
  o.params["comm_compute_slowdown"] = 0;
  const double base_s = simulate(s, o).total_s;
  const double steps = s.config.rounds * s.config.local_steps;
  for (double k : {0.25, 1.0}) {
    o.params["comm_compute_slowdown"] = k;
    INFO("slowdown " << k);
    CHECK(simulate(s, o).total_s - base_s == Approx(steps * k * overlapped_s).epsilon(1e-6));
  }
  // A fast link: each all-reduce ends while backward still runs, so only its own seconds are owed, more than
  // nothing (a segment that merely starts beside it is not the measure) and less than the backward after it.
  o.platform = "parametric:nodes=1,gpus_per_node=2,gpu=A100,intra_bw_GBps=100";
  o.params["comm_compute_slowdown"] = 0;
  const double fast_s = simulate(s, o).total_s;
  o.params["comm_compute_slowdown"] = 1;
  const double owed_s = simulate(s, o).total_s - fast_s;
  CHECK(owed_s > 0);
  CHECK(owed_s < steps * overlapped_s);
}
