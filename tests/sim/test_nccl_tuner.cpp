// NCCL's tuner (sim/nccl_tuner.hpp) against hand-computed values from NCCL 2.27.7's tables: latencies,
// bandwidths per protocol, the protocol switches by size, the channel ramp, NCCL_ALGO / NCCL_PROTO.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "sim/collective_replay.hpp"
#include "sim/comm_pattern.hpp"
#include "sim/nccl_tests_output.hpp"
#include "sim/nccl_tuner.hpp"

using namespace resist;
using namespace resist::sim;

namespace {

NcclComm one_node(int cc, bool nvls, double busbw) {
  NcclComm c;
  c.ranks = 8;
  c.nodes = 1;
  c.ppn = 8;
  c.compute_capability = cc;
  c.nvls = nvls;
  c.ring_busbw_GBps = c.tree_busbw_GBps = busbw;
  c.nvls_busbw_GBps = 300;
  return c;
}

} // namespace

TEST_CASE("NCCL tuner, one node: latency and bandwidth of each protocol by hand", "[sim][nccl]") {
  const NcclComm h100 = one_node(90, true, 370);
  CHECK(h100.channels() == 19); // ceil(370 / 20)
  CHECK(h100.comm_channels() == 38);
  // Ring Simple: 8.4 + 14 x 3.4 us; 370 x 8 / 14 GB/s.
  auto m = nccl_pair_model(h100, Algorithm::ring, NcclProto::simple);
  CHECK(m.latency_us == Approx(56.0));
  CHECK(m.algbw_GBps == Approx(370.0 * 8 / 14));
  // LL: 6.6 + 14 x 0.6; min(llMaxBw 141 (Hopper, 1 node), 370 / 2) x 8 / 14.
  m = nccl_pair_model(h100, Algorithm::ring, NcclProto::ll);
  CHECK(m.latency_us == Approx(15.0));
  CHECK(m.algbw_GBps == Approx(141.0 * 8 / 14));
  // LL128: 14 + 14 x 1.9; min(0.92 x 370, 19 channels x 36.7) x 8 / 14.
  m = nccl_pair_model(h100, Algorithm::ring, NcclProto::ll128);
  CHECK(m.latency_us == Approx(40.6));
  CHECK(m.algbw_GBps == Approx(0.92 * 370 * 8 / 14));
  // NVLS: 25 us, 300 x 5 / 6; Simple only; no tree on one node; no NVLS-tree either.
  m = nccl_pair_model(h100, Algorithm::nvls, NcclProto::simple);
  CHECK(m.latency_us == Approx(25.0));
  CHECK(m.algbw_GBps == Approx(250.0));
  CHECK(nccl_pair_model(h100, Algorithm::nvls, NcclProto::ll).algbw_GBps == 0);
  CHECK(nccl_pair_model(h100, Algorithm::tree, NcclProto::simple).algbw_GBps == 0);
  CHECK(nccl_pair_model(h100, Algorithm::nvls_tree, NcclProto::simple).algbw_GBps == 0);
  // The switch: LL 15 + x / 80.57 against NVLS 25 + x / 250 (us, x in kB): LL up to 1.19 MB.
  NcclCall c = nccl_choose(h100, 1 << 20);
  CHECK(c.algorithm == Algorithm::ring);
  CHECK(c.protocol == NcclProto::ll);
  CHECK(c.time_s == Approx((15.0 + 1048576 / (141.0 * 8 / 14 * 1000)) * 1e-6));
  c = nccl_choose(h100, 2 << 20);
  CHECK(c.algorithm == Algorithm::nvls);
  CHECK(c.protocol == NcclProto::simple);
  // The pipeline's fill: NVLS's 2 stages, one chunk time of one of its 16 channels x 8 heads; 2 MiB keeps
  // a 16 KiB chunk (128 KiB halved while the message holds under 64, 8, 2 chunks per operation).
  CHECK(c.chunk_bytes == 16384);
  CHECK(c.concurrent_ops == 128);
  CHECK(c.fill_s == Approx(16384 / (250e9 / 128)));
  CHECK(c.latency_s == Approx(25e-6 + c.fill_s));
  CHECK(c.bandwidth_factor == 1);
  // 8 GiB: the full 128 KiB chunk.
  CHECK(nccl_choose(h100, 8LL << 30).chunk_bytes == 131072);
}

TEST_CASE("NCCL tuner, one A100 node: LL, then LL128, then Simple as the size grows", "[sim][nccl]") {
  const NcclComm a100 = one_node(80, false, 230);
  // LL 15 us / min(87.7, 115) x 8/14 = 50.11; LL128 40.6 / min(211.6, 12 x 20) x 8/14 = 120.91;
  // Simple 56 / 131.43 GB/s. LL -> LL128 at 25.6 / (1/50.11 - 1/120.91) = 2.19 MB, LL128 -> Simple at
  // 15.4 / (1/120.91 - 1/131.43) = 23.3 MB.
  CHECK(nccl_choose(a100, 1 << 20).protocol == NcclProto::ll);
  CHECK(nccl_choose(a100, 4 << 20).protocol == NcclProto::ll128);
  CHECK(nccl_choose(a100, 16 << 20).protocol == NcclProto::ll128);
  CHECK(nccl_choose(a100, 32 << 20).protocol == NcclProto::simple);
  // What LL costs the links against Simple: 50.11 / 131.43 (the flags: half the wire), full channels at 1 MiB
  // (LL: 512 threads x 8 B x 8 ranks = 32 KiB per channel; 32 channels' worth, 24 exist).
  const NcclCall ll = nccl_choose(a100, 1 << 20);
  CHECK(ll.channels == 24);
  CHECK(ll.bandwidth_factor == Approx(87.7 / 230));
  // The channel ramp: Simple at 256 KiB fills 256 KiB / (512 x 64 B) = 8 of the 24 channels.
  CHECK(nccl_call_channels(a100, Algorithm::ring, NcclProto::simple, 256 << 10) == 8);
  CHECK(nccl_call_channels(a100, Algorithm::ring, NcclProto::ll, 64 << 10) == 2);
  CHECK(nccl_call_channels(a100, Algorithm::ring, NcclProto::simple, 100) == 1);
  const NcclCall simple_small = nccl_choose(a100, 256 << 10, NcclEnable::parse("", "Simple"));
  CHECK(simple_small.protocol == NcclProto::simple);
  CHECK(simple_small.bandwidth_factor == Approx(8.0 / 24));
  // No NVLink inside the node (PCIe): no LL128.
  NcclComm pcie = a100;
  pcie.nvlink = false;
  CHECK(nccl_pair_model(pcie, Algorithm::ring, NcclProto::ll128).algbw_GBps == 0);
  CHECK(nccl_pair_model(pcie, Algorithm::ring, NcclProto::simple).latency_us == Approx(8.4 + 14 * 5.7));
}

TEST_CASE("NCCL tuner, 2 nodes of 8 A100: tree beyond the NICs, the ring's plateau factor, net latency",
          "[sim][nccl]") {
  NcclComm c;
  c.ranks = 16;
  c.nodes = 2;
  c.ppn = 8;
  c.compute_capability = 80;
  c.ring_busbw_GBps = 192; // 8 NICs of 24 GB/s
  c.tree_busbw_GBps = 240; // the search's tree: up to 2x the NICs, here the port
  CHECK(c.channels() == 10);
  // Ring Simple: 8.4 + 28 x 3.4 + 2 inter-node steps x 14; x 1.4 from 20 channels x 16 ranks x 64 B.
  auto m = nccl_pair_model(c, Algorithm::ring, NcclProto::simple);
  CHECK(m.latency_us == Approx(131.6));
  CHECK(m.algbw_GBps == Approx(192.0 * 16 / 30));
  const std::int64_t big = 8LL << 30;
  CHECK(nccl_pair_time_s(c, Algorithm::ring, NcclProto::simple, big) ==
        Approx((131.6 * 1.4 + static_cast<double>(big) / (1000 * 102.4)) * 1e-6));
  CHECK(nccl_pair_time_s(c, Algorithm::ring, NcclProto::simple, 20479) ==
        Approx((131.6 + 20479 / (1000 * 102.4)) * 1e-6));
  // Tree Simple: min(0.92 x 240, 10 x 23.6) / 2; 8.4 + 2 (7 x 4.0 + 1 x 14).
  m = nccl_pair_model(c, Algorithm::tree, NcclProto::simple);
  CHECK(m.latency_us == Approx(92.4));
  CHECK(m.algbw_GBps == Approx(110.4));
  // Tree LL128: min(220.8 x 120/128, 10 x 20) / 2; 14 + 2 (7 x 1.25 + 8.5). Tree LL: min(220.8 / 3.8, 39) / 2.
  m = nccl_pair_model(c, Algorithm::tree, NcclProto::ll128);
  CHECK(m.algbw_GBps == Approx(100.0));
  CHECK(m.latency_us == Approx(48.5));
  CHECK(nccl_pair_model(c, Algorithm::tree, NcclProto::ll).algbw_GBps == Approx(19.5));
  // Ring LL across nodes: the post overhead (1 us) beats the NVLink hop's 0.6: 6.6 + 28 x 1.0 + 2 x 2.7.
  CHECK(nccl_pair_model(c, Algorithm::ring, NcclProto::ll).latency_us == Approx(40.0));
  // 8 GiB: tree (92.4 + 77,807 us) beats the ring (184.2 + 83,886); NCCL_ALGO=^tree keeps the ring.
  CHECK(nccl_choose(c, big).algorithm == Algorithm::tree);
  CHECK(nccl_choose(c, big, NcclEnable::parse("^tree", "")).algorithm == Algorithm::ring);
  // 32 MiB: the tree's correction by size (Simple 0.7, LL128 0.9): tree LL128 48.5 + 372.8 us is fastest.
  const NcclCall mid = nccl_choose(c, 32 << 20);
  CHECK(mid.algorithm == Algorithm::tree);
  CHECK(mid.protocol == NcclProto::ll128);
  CHECK(mid.bandwidth_factor == Approx(100.0 * 0.9 / 110.4));
  // The network's reported latency, twice for Simple (the flush): 8.4 + 28 x 3.4 + 2 (14 + 2 x 10).
  c.net_latency_us = 10;
  CHECK(nccl_pair_model(c, Algorithm::ring, NcclProto::simple).latency_us == Approx(171.6));
}

TEST_CASE("NCCL tuner, one GPU per node: the tree's network latency for every algorithm", "[sim][nccl]") {
  NcclComm c;
  c.ranks = 8;
  c.nodes = 8;
  c.ppn = 1;
  c.compute_capability = 80;
  c.ring_busbw_GBps = c.tree_busbw_GBps = 24;
  // 14 steps, all across nodes, at the tree's network latency: Simple 14, LL 5.0.
  CHECK(nccl_pair_model(c, Algorithm::ring, NcclProto::simple).latency_us == Approx(8.4 + 14 * 14.0));
  CHECK(nccl_pair_model(c, Algorithm::ring, NcclProto::ll).latency_us == Approx(6.6 + 14 * 5.0));
  // Uneven nodes: rings only.
  c.ppn = 0;
  CHECK(nccl_choose(c, 1 << 20).algorithm == Algorithm::ring);
}

TEST_CASE("NCCL_ALGO / NCCL_PROTO syntax", "[sim][nccl]") {
  const NcclEnable e = NcclEnable::parse("ring,NVLS", "^ll128");
  CHECK(e.ring);
  CHECK(e.nvls);
  CHECK_FALSE(e.tree);
  CHECK_FALSE(e.nvls_tree);
  CHECK(e.ll);
  CHECK_FALSE(e.ll128);
  CHECK(e.simple);
  const NcclEnable all = NcclEnable::parse("", "");
  CHECK((all.tree && all.nvls_tree && all.ll128));
  CHECK_THROWS_AS(NcclEnable::parse("rings", ""), InputError);
  CHECK_THROWS_AS(NcclEnable::parse("", "LL256"), InputError);
  CHECK_THROWS_AS(NcclEnable::parse("^ring,tree,nvls,nvlstree", ""), InputError);
  CHECK_THROWS_AS(NcclEnable::parse("^", ""), InputError);
}

TEST_CASE("nccl_comm: the search's bandwidths from the platform's links", "[sim][nccl]") {
  std::vector<int> w;
  for (int i = 0; i < 16; ++i) w.push_back(i);
  std::vector<int> node_of;
  for (int i = 0; i < 16; ++i) node_of.push_back(i / 8);
  NcclHardware hw{true, 8, 370e9, 48e9};
  hw.compute_capability = 90;
  const NcclComm c = nccl_comm(Exchange{"x", 1, w, w, 1}, node_of, hw);
  CHECK(c.nodes == 2);
  CHECK(c.ppn == 8);
  CHECK(c.ring_busbw_GBps == Approx(370)); // min(port 370, 8 NICs x 48 = 384)
  CHECK(c.tree_busbw_GBps == Approx(370)); // min(port, 2 x 384)
  CHECK(c.nvls_inter_busbw_GBps == Approx(768));
  // 2 nodes of H100: NVLS-tree (25 + 2 x 14 us; min(300 x 0.834, 768) x 5/6) at 8 GiB, as nccl-tests#309.
  CHECK(nccl_call(Exchange{"x", 8LL << 30, w, w, 1}, node_of, hw).algorithm == Algorithm::nvls_tree);
  // A delivery beyond the contributors runs core's ring (its protocol NCCL's).
  const Exchange move{"b", 100 << 20, {1, 2}, {0, 1, 2, 3}, 1};
  CHECK(nccl_call(move, node_of, hw).algorithm == Algorithm::ring);
  CHECK(nccl_call(Exchange{"one", 100, {3}, {3, 4}, 1}, node_of, hw).latency_s == 0);
}

TEST_CASE("nccl-tests all_reduce_perf output: rows, ranks, refusals", "[sim][nccl]") {
  // Two formats: with the root column (nccl-tests 2.11+) and without; ranks from the "# Rank" lines.
  const std::string with_root = "# nThread 1 nGpus 1 minBytes 8 maxBytes 8589934592 step: 2(factor)\n"
                                "#  Rank  0 Group  0 Pid  1 on host0 device  0 [0x07] NVIDIA H100\n"
                                "#  Rank  1 Group  0 Pid  2 on host0 device  1 [0x08] NVIDIA H100\n"
                                "#       size         count      type   redop    root     time   algbw   busbw #wrong\n"
                                "     8388608       2097152     float     sum      -1    123.4   67.98   67.98      0"
                                "    120.0   69.90   69.90      0\n"
                                "# Avg bus bandwidth    : 67.98\n";
  const NcclTestsOutput a = parse_nccl_tests(with_root, "a.txt");
  REQUIRE(a.rows.size() == 1);
  CHECK(a.rows[0].bytes == 8388608);
  CHECK(a.rows[0].time_us == Approx(123.4));
  CHECK(a.rows[0].busbw_GBps == Approx(67.98));
  CHECK(a.ranks == 2);
  // No root column, no rank lines: 16 ranks from busbw / algbw = 1.875.
  const NcclTestsOutput b =
      parse_nccl_tests("  33554432   8388608   float   sum   211.5  158.62  297.41  0  210.0  159.8  299.6  0\n", "b.txt");
  CHECK(b.rows[0].time_us == Approx(211.5));
  CHECK(b.ranks == 16);
  CHECK_THROWS_AS(parse_nccl_tests("# nothing here\n", "c.txt"), InputError);
  CHECK_THROWS_AS(parse_nccl_tests("  1024  256  float  sum  fast  1.0  1.0  0\n", "d.txt"), InputError);
  CHECK_THROWS_AS(parse_nccl_tests("  1024  256  float\n", "e.txt"), InputError);
}

TEST_CASE("a replay's latency floor: the longest chain of route latencies by phase", "[sim][nccl]") {
  // 0 -> 1 (phase 0), then 1 -> 2 and 0 -> 2 (phase 1): 1 -> 2 waits for 0 -> 1; latencies 1, 2, 5 us.
  const std::vector<Transfer> t{{0, 1, 100, 0}, {1, 2, 100, 1}, {0, 2, 100, 1}};
  const RouteOf route = [](int src, int dst) {
    RouteInfo r;
    r.bandwidth_Bps = 1e9;
    r.latency_s = src == 0 && dst == 1 ? 1e-6 : src == 1 ? 2e-6 : 5e-6;
    return r;
  };
  CHECK(latency_floor_s(t, 3, route) == Approx(5e-6)); // max(1 + 2, 5)
  const std::vector<Transfer> chain{{0, 1, 100, 0}, {1, 2, 100, 1}};
  CHECK(latency_floor_s(chain, 3, route) == Approx(3e-6));
}
