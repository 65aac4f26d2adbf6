// The simulator against closed forms: one transfer, a ring all-reduce (alpha-beta: 2(N-1)/N B/bw +
// 2(N-1) latency, within 1%, replayed as spans and as steps), spans against steps where hops differ, a ring
// across unequal hops (its bottleneck), a ring's chain of steps by hand (latency hidden behind a slower hop's
// bytes, or paid hop after hop; a railed ring's channels), and one compute (roofline by hand).
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "core/collective.hpp"
#include "core/error.hpp"
#include "core/layer.hpp"
#include "core/model_zoo.hpp"
#include "sim/collective_bench.hpp"
#include "sim/collective_replay.hpp"
#include "sim/gpu_model.hpp"
#include "sim_test_util.hpp"

using namespace resist;
using namespace resist::sim;

namespace {

/// N single-GPU nodes on a star; every route crosses two NIC links of `bw_GBps` with `latency_us` each,
/// and GPU ports too fast and too close to matter: per-route latency = 2 x latency_us.
std::string uniform_platform(double bw_GBps, double latency_us) {
  return fmt::format("parametric:gpus_per_node=1,intra_bw_GBps=1e6,intra_latency_us=0,nic_bw_GBps={},"
                     "inter_latency_us={},collective_latency_s=0,group_create_s=0,group_create_per_peer_s=0",
                     bw_GBps, latency_us);
}

/// The same run simulated as spans and as steps (o.step_replay is set here): totals within `epsilon`, the
/// workers' mean communication seconds within `comm_epsilon`.
void check_spans_equal_steps(const Schedule& s, SimOptions o, double epsilon, double comm_epsilon) {
  o.step_replay = false;
  const SimResult spans = simulate(s, o);
  o.step_replay = true;
  const SimResult steps = simulate(s, o);
  CHECK(spans.total_s == Approx(steps.total_s).epsilon(epsilon));
  CHECK(spans.comm_s == Approx(steps.comm_s).epsilon(comm_epsilon));
  CHECK(spans.wire_bytes == steps.wire_bytes);
}

} // namespace

TEST_CASE("one transfer there and back takes 2 (latency + B / bw)", "[sim][closed-form]") {
  const Schedule s = test::small_schedule(Protocol::local_sgd, 2, "preact_resnet_small", 0, 1, 1);
  const double bytes = static_cast<double>(make_model(s.config.model).param_bytes());
  SimOptions o;
  o.platform = uniform_platform(10, 5); // 10 GB/s, 10 us per route
  o.collective = "star";                // worker 1 sends B to worker 0, which sends B back
  const SimResult r = simulate(s, o);
  const auto comm = test::events_of(r, 1, Phase::communication);
  REQUIRE(comm.size() == 1);
  const double expected = 2 * (10e-6 + bytes / 10e9);
  CHECK(comm[0].duration_s() == Approx(expected).epsilon(1e-6));
}

TEST_CASE("ring all-reduce lands within 1% of 2(N-1)/N B/bw + 2(N-1) latency", "[sim][closed-form]") {
  // 24 workers: 46 transfers per ring neighbour pair, more than the mailbox lanes (collective_replay.hpp),
  // so every lane carries several and must keep them in step order.
  // Both replays: spans (a ring as N streaming transfers) and steps (every step a transfer).
  for (const bool step_replay : {false, true})
  for (int n : {2, 4, 8, 24}) {
    const Schedule s = test::small_schedule(Protocol::local_sgd, n, "preact_resnet_small", 0, 1, 1);
    const double bytes = static_cast<double>(make_model(s.config.model).param_bytes());
    const double bw = 12.5e9, latency = 2 * 1e-6;
    SimOptions o;
    o.platform = uniform_platform(12.5, 1);
    o.collective = "ring";
    o.step_replay = step_replay;
    INFO((step_replay ? "steps" : "spans"));
    const SimResult r = simulate(s, o);
    const double expected = 2.0 * (n - 1) / n * bytes / bw + 2.0 * (n - 1) * latency;
    for (int w = 0; w < n; ++w) {
      const auto comm = test::events_of(r, w, Phase::communication);
      REQUIRE(comm.size() == 1);
      INFO("workers " << n << ", worker " << w);
      CHECK(comm[0].duration_s() == Approx(expected).epsilon(0.01));
    }
  }
}

TEST_CASE("spans replay rings of equal hops as the step replay does, to rounding", "[sim][closed-form]") {
  // Rings of equal hops: one node's NVSwitch (every hop two NVLink ports), one GPU per node (every hop two
  // NICs). The whole run, each protocol's exchanges. (Unequal hops: the next test, within 0.1%.)
  for (const char* platform : {"parametric:nodes=1,gpus_per_node=8", "parametric:gpus_per_node=1"})
    for (Protocol p : {Protocol::local_sgd, Protocol::data_parallel}) {
      const int workers = 8;
      const Schedule s = test::small_schedule(p, workers, "preact_resnet_small", 0, 2, 2);
      SimOptions o;
      o.platform = platform;
      o.collective = "ring";
      INFO(platform << ", " << to_string(p));
      check_spans_equal_steps(s, o, 1e-9, 1e-9);
    }
}

TEST_CASE("spans replay unequal hops and pipelined pieces as the step replay does to 0.1%", "[sim][closed-form]") {
  // Where a ring's hops differ (NVLink and NICs), its channels run side by side (railed), or several rings
  // overlap (the hierarchical all-reduce's pieces), spans must still give the step replay's time: the issue
  // of simulating at scale allows 0.1%; measured to 5e-4 at most (experiments/sim_speed/replay_compare.sh).
  struct Case {
    const char* platform;
    int workers;
    const char* algorithm;
  };
  const std::string two_by_eight = "parametric:gpus_per_node=8,nics_per_node=8,intra_bw_GBps=300,nic_bw_GBps=25,"
                                   "inter_latency_us=2.5,intra_latency_us=1,topology=star";
  const std::string one_nic = "parametric:gpus_per_node=8,nics_per_node=1,intra_bw_GBps=300,nic_bw_GBps=25,"
                              "inter_latency_us=2.5,intra_latency_us=1,topology=star";
  const std::string pairs = "parametric:gpus_per_node=2,nics_per_node=2,intra_bw_GBps=300,nic_bw_GBps=25,"
                            "inter_latency_us=2.5,intra_latency_us=1,topology=star";
  const Case cases[] = {{two_by_eight.c_str(), 16, "ring"},         {one_nic.c_str(), 12, "ring"},
                        {two_by_eight.c_str(), 16, "hierarchical"}, {pairs.c_str(), 4, "hierarchical"},
                        {pairs.c_str(), 8, "hierarchical"},         {two_by_eight.c_str(), 32, "ring"}};
  for (const Case& c : cases)
    for (std::int64_t bytes : {std::int64_t{1} << 20, std::int64_t{1} << 28}) {
      CollectiveBenchOptions o;
      o.platform = c.platform;
      o.workers = c.workers;
      o.collective = c.algorithm;
      o.sizes_bytes = {bytes};
      const double spans_s = bench_allreduce(o).at(0).time_s;
      o.step_replay = true;
      const double steps_s = bench_allreduce(o).at(0).time_s;
      INFO(c.platform << ", " << c.workers << " workers, " << c.algorithm << ", " << bytes << " B");
      CHECK(spans_s == Approx(steps_s).epsilon(1e-3));
    }
  // A whole ResIST run across nodes: its sub-network exchanges are rings over some of the workers.
  const Schedule s = test::small_schedule(Protocol::resist, 16, "preact_resnet_small", 1, 2, 2);
  SimOptions o;
  o.platform = two_by_eight;
  o.collective = "hierarchical";
  // Its exchanges start unevenly: where one side of a ring starts later, its steps follow each other as
  // soon as they are on the wire (its data arrived long ago), so that side's receivers finish a hop's
  // latency earlier than the other's; spans end a ring phase together. The run's time agrees; the workers'
  // communication seconds within 0.2% (1.6e-3 measured).
  check_spans_equal_steps(s, o, 1e-3, 2e-3);
}

TEST_CASE("a ring across unequal hops runs at its bottleneck hop", "[sim][closed-form]") {
  // 12 GPUs on nodes of 8: a flat ring (the nodes differ) with 10 NVLink hops and 2 NIC hops. NCCL's
  // pipelined ring moves 2(N-1)/N B through every hop, so the NIC decides: 2(N-1)/N B / NIC rate, and
  // NVLink a hundred times faster changes nothing. (Before connections sent their steps in order, the
  // step replay got slower instead: SimGrid shared a link among a ring's queued steps.)
  const std::int64_t bytes = std::int64_t{1} << 30;
  double previous_s = 0;
  for (double intra_GBps : {300.0, 30000.0}) {
    CollectiveBenchOptions o;
    o.platform = fmt::format("parametric:gpus_per_node=8,nics_per_node=8,intra_bw_GBps={},nic_bw_GBps=25,"
                             "inter_latency_us=2.5,intra_latency_us=1,topology=star,collective_latency_s=0",
                             intra_GBps);
    o.workers = 12;
    o.collective = "ring";
    o.sizes_bytes = {bytes};
    const auto rows = bench_allreduce(o);
    REQUIRE(rows.size() == 1);
    const double bound_s = 2.0 * 11 / 12 * static_cast<double>(bytes) / 25e9;
    INFO("NVLink " << intra_GBps << " GB/s");
    CHECK(rows[0].time_s == Approx(bound_s).epsilon(0.002));
    if (previous_s > 0) CHECK(rows[0].time_s == Approx(previous_s).epsilon(1e-9));
    previous_s = rows[0].time_s;
  }
}

TEST_CASE("a ring's chain of steps by hand: a slow hop's bytes hide latency, fast hops pay it", "[sim][closed-form]") {
  // Four hops, two of them NICs (latency 5, wire 10 per step) and two NVLink (1, 1); 6 steps (N = 4). A
  // hop's step k starts once the steps k - 1 into its source have arrived and its own step k - 1 is on the
  // wire, and arrives latency + wire later. The longest chain keeps to a NIC, whose next step follows its
  // last onto the wire: 6 x 10 + 5 = 65, where waiting for each step to arrive would give 6 x (5 + 10) = 90.
  const std::vector<RingHop> nic_bound{{0, 1, 1, 1}, {1, 2, 5, 10}, {2, 3, 1, 1}, {3, 0, 5, 10}};
  RingChain c = ring_chain(nic_bound, 6);
  CHECK(c.chain_s == Approx(65).epsilon(1e-12));
  // A NIC's connection is free once its sixth step is on the wire: it started at 50 (5 x 10), so 60.
  CHECK(c.free_s[1] == Approx(60).epsilon(1e-12));
  // Latency-bound (wire 0.1): the chain goes hop after hop, each step paying its hop's latency and wire,
  // NIC, NVLink, NIC, ...: 3 x (5 + 0.1) + 3 x (1 + 0.1) = 18.6 (staying on a NIC: 6 x 0.1 + 5 = 5.6).
  const std::vector<RingHop> latency_bound{{0, 1, 1, 0.1}, {1, 2, 5, 0.1}, {2, 3, 1, 0.1}, {3, 0, 5, 0.1}};
  CHECK(ring_chain(latency_bound, 6).chain_s == Approx(18.6).epsilon(1e-12));
  // Equal hops: the closed form, steps x (latency + wire).
  const std::vector<RingHop> equal{{0, 1, 2, 3}, {1, 2, 2, 3}, {2, 0, 2, 3}};
  CHECK(ring_chain(equal, 4).chain_s == Approx(20).epsilon(1e-12));
  // NCCL's 8 slots: one hop of latency 80 in a ring of 16 (others 0), wire 1 each, 30 steps. Going round
  // pays 80 once per 16 steps; the slow hop itself can have only 8 steps in flight, so its step k waits for
  // its step k - 8 to arrive: k = 0, 8, 16, 24 at 0, 81, 162, 243; then 5 more on the wire (29 at 248),
  // arriving at 248 + 81 = 329.
  std::vector<RingHop> slots;
  for (int i = 0; i < 16; ++i) slots.push_back({i, (i + 1) % 16, i == 0 ? 80.0 : 0.0, 1.0});
  CHECK(ring_chain(slots, 30).chain_s == Approx(329).epsilon(1e-12));
}

TEST_CASE("a railed ring's channels by hand: a NIC hop is fed by NVLink, not by the NIC before it", "[sim][closed-form]") {
  // 2 nodes x 2 GPUs, 2 channels (core/collective.cpp railed_ring_exchange): channel 0 leaves a node from
  // position 1, channel 1 from position 0. Each GPU sends the channel leaving there over its NIC (latency 5,
  // wire 10 per step) to the next node, the other over NVLink (1, 1) to its neighbour. Workers: node A 0, 1;
  // node B 2, 3. What reaches a NIC hop's source over the other node's NIC is the other channel: 6 steps
  // chain NIC, NVLink, NIC, ... (3 x 15 + 3 x 2 = 51) or stay on a NIC (6 x 10 + 5 = 65): 65. With the
  // channels merged (no masks) a NIC feeds the next NIC: 6 x 15 = 90.
  const std::uint64_t c0 = 1, c1 = 2;
  std::vector<RingHop> railed{{0, 1, 1, 1, c0}, {0, 3, 5, 10, c1}, {1, 0, 1, 1, c1}, {1, 2, 5, 10, c0},
                              {2, 3, 1, 1, c0}, {2, 1, 5, 10, c1}, {3, 2, 1, 1, c1}, {3, 0, 5, 10, c0}};
  CHECK(ring_chain(railed, 6).chain_s == Approx(65).epsilon(1e-12));
  for (auto& h : railed) h.channels = 0;
  CHECK(ring_chain(railed, 6).chain_s == Approx(90).epsilon(1e-12));
  // The expansion carries those masks: on 2 nodes of 2 GPUs with 2 NICs each, every transfer leaving a node
  // carries one channel, every transfer inside it the other.
  const Exchange e{"allreduce", 1 << 20, {0, 1, 2, 3}, {0, 1, 2, 3}, 1};
  const auto transfers = expand_exchange(e, Algorithm::ring, {0, 0, 1, 1}, 2, Granularity::spans);
  REQUIRE(transfers.size() == 8);
  for (const Transfer& t : transfers) {
    const bool leaves = t.src / 2 != t.dst / 2;
    INFO(t.src << " -> " << t.dst);
    CHECK(t.channels == (t.src % 2 == 0 ? (leaves ? c1 : c0) : (leaves ? c0 : c1)));
  }
}

TEST_CASE("roofline of a compute-bound convolution by hand", "[sim][closed-form]") {
  GpuKind v100 = GpuTable::builtin().at("V100");
  v100.fp32_efficiency = 0.5;
  v100.half_efficiency = 0.25;
  v100.mem_efficiency = 0.8;
  // 3x3 conv, 256 -> 256 channels on 8x8: 256*256*9*64 MACs per image.
  const Layer conv = make_conv("c", 256, 256, 3, 1, 1, 8, 8);
  const int batch = 128;
  const double macs = 256.0 * 256 * 9 * 64, weight_bytes = 4 * 256.0 * 256 * 9;
  const StepTime t = roofline_layer_time(conv, v100, MathMode::fp32, batch);
  const double flops_per_s = 15.7e12 * 0.5, bytes_per_s = 900e9 * 0.8;
  CHECK(t.forward_s == Approx(2 * macs * batch / flops_per_s + 5e-6).epsilon(1e-9));
  CHECK(t.backward_s == Approx(4 * macs * batch / flops_per_s + 2 * 5e-6).epsilon(1e-9));
  CHECK(t.update_s == Approx(5 * weight_bytes / bytes_per_s).epsilon(1e-9));
  // AMP: FP16 tensor cores (125 TFLOP/s x 0.25), FP32 master weights: the update also casts the weights
  // (read 4, write 2 bytes) and unscales the gradients (read, write 4).
  const StepTime h = roofline_layer_time(conv, v100, MathMode::fp16, batch);
  CHECK(h.forward_s == Approx(2 * macs * batch / (125e12 * 0.25) + 5e-6).epsilon(1e-9));
  CHECK(h.update_s == Approx(8.5 * weight_bytes / bytes_per_s).epsilon(1e-9));
  // TF32 on a GPU without it runs FP32 (as PyTorch does); BF16 on V100 is refused.
  CHECK(roofline_layer_time(conv, v100, MathMode::tf32, batch).forward_s == Approx(t.forward_s));
  CHECK_THROWS_AS(roofline_layer_time(conv, v100, MathMode::bf16, batch), InputError);
}

TEST_CASE("memory-bound layers by hand: bytes over bandwidth, half of them under AMP, ReLU own or fused",
          "[sim][closed-form]") {
  GpuKind a100 = GpuTable::builtin().at("A100");
  a100.mem_efficiency = 0.5;
  const Layer bn = make_batchnorm("bn", 64, 56, 56);
  const int batch = 32;
  const double act = static_cast<double>(bn.input_bytes + bn.output_bytes) * batch;
  const double bytes_per_s = 2039e9 * 0.5, params = 4 * 2 * 64.0;
  const StepTime t = roofline_layer_time(bn, a100, MathMode::tf32, batch);
  CHECK(t.forward_s == Approx((act + params) / bytes_per_s + 5e-6).epsilon(1e-9));
  CHECK(t.backward_s == Approx(2 * (act + params) / bytes_per_s + 2 * 5e-6).epsilon(1e-9)); // data + weight grad
  const StepTime h = roofline_layer_time(bn, a100, MathMode::bf16, batch);
  CHECK(h.forward_s == Approx((act / 2 + params) / bytes_per_s + 5e-6).epsilon(1e-9));
  const Layer relu = make_relu("r", 64, 56, 56);
  CHECK(roofline_layer_time(relu, a100, MathMode::fp32, batch).forward_s == Approx(act / bytes_per_s + 5e-6).epsilon(1e-9));
  CHECK(roofline_layer(relu, a100, MathMode::fp32, batch, FusedRole::folded).time.total_s() == 0);
}

TEST_CASE("a worker's simulated compute equals steps x the sum of its blocks' roofline", "[sim][closed-form]") {
  const Schedule s = test::small_schedule(Protocol::local_sgd, 2, "preact_resnet_small", 0, 1, 3);
  SimOptions o;
  o.platform = "parametric:gpus_per_node=2,gpu=A100";
  const SimResult r = simulate(s, o);
  double step = 0;
  for (const auto& b : block_step_times(make_model(s.config.model), GpuTable::builtin().at("A100"), MathMode::fp32,
                                        s.config.batch))
    step += b.total_s();
  const auto compute = test::events_of(r, 0, Phase::compute);
  REQUIRE(compute.size() == 1);
  CHECK(compute[0].duration_s() == Approx(3 * step).epsilon(1e-9));
}
