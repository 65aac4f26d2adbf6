// Communication accounting: the paper's Table 1, closed forms per protocol and per wire algorithm.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "core/collective.hpp"
#include "core/comm.hpp"
#include "core/model_zoo.hpp"
#include "core/paper_tables.hpp"
#include "core/partition.hpp"

using namespace resist;

namespace {
const Model& reference_model() {
  static const Model m = make_model("preact_resnet101_cifar", {0, 0, 100});
  return m;
}
std::int64_t resist_round_bytes(int s, int min_depth) {
  const auto blocks = partitionable_blocks(reference_model(), {});
  const auto now = resist_partition_for_round(blocks, s, min_depth, 1, 0);
  const auto next = resist_partition_for_round(blocks, s, min_depth, 1, 1);
  return total_bytes(payload_bytes(resist_plan(reference_model(), now, next), s));
}
} // namespace

TEST_CASE("the paper's Table 1 is reproduced within 0.001 GB", "[core]") {
  for (const auto& row : paper::kTable1) {
    INFO("S=" << row.workers << " min depth " << row.min_depth);
    const double lsgd_gb = total_bytes(payload_bytes(local_sgd_plan(reference_model(), row.workers), row.workers)) / 1e9;
    CHECK(lsgd_gb == Approx(row.local_sgd_gb).margin(0.001));
    CHECK(resist_round_bytes(row.workers, row.min_depth) / 1e9 == Approx(row.resist_gb).margin(0.001));
  }
}

TEST_CASE("payload closed forms per protocol", "[core]") {
  const Model& m = reference_model();
  const auto blocks = partitionable_blocks(m, {});
  const std::int64_t model_bytes = 41'396'900LL * 4;
  const std::int64_t block_bytes = 1'180'672LL * 4;
  const std::int64_t shared = shared_param_bytes(m, blocks);
  CHECK(shared == model_bytes - 22 * block_bytes);
  for (int s : {2, 4, 8}) {
    CHECK(total_bytes(payload_bytes(local_sgd_plan(m, s), s)) == 2 * s * model_bytes);
    CHECK(total_bytes(payload_bytes(data_parallel_plan(m, s, 50), s)) == 50 * 2 * s * model_bytes);
  }
  CHECK(resist_round_bytes(4, 6) == 2 * 4 * shared + 2 * 24 * block_bytes);
  // Every worker sends what it trained and receives what it trains next.
  const auto now = resist_partition_for_round(blocks, 4, 0, 3, 0);
  const auto next = resist_partition_for_round(blocks, 4, 0, 3, 1);
  const auto per = payload_bytes(resist_plan(m, now, next), 4);
  for (int w = 0; w < 4; ++w) {
    CHECK(per[static_cast<std::size_t>(w)].sent == shared + static_cast<std::int64_t>(now.worker_blocks[static_cast<std::size_t>(w)].size()) * block_bytes);
    CHECK(per[static_cast<std::size_t>(w)].received == shared + static_cast<std::int64_t>(next.worker_blocks[static_cast<std::size_t>(w)].size()) * block_bytes);
  }
}

TEST_CASE("gradient buckets cover the model in DDP order", "[core]") {
  const Model& m = reference_model();
  const auto buckets = gradient_buckets(m);
  std::int64_t sum = 0;
  for (const auto& b : buckets) sum += b.bytes;
  CHECK(sum == m.param_bytes());
  CHECK(buckets.front().bytes >= (1 << 20));
  for (std::size_t i = 1; i < buckets.size(); ++i) CHECK(buckets[i].ready_after_block <= buckets[i - 1].ready_after_block);
}

TEST_CASE("ring all-reduce wire bytes are 2(N-1)/N B per worker", "[core]") {
  for (int n : {2, 3, 4, 7, 8}) {
    const std::int64_t b = 1'000'003; // not divisible: chunks differ by one byte
    Exchange e{"x", b, {}, {}, 1};
    for (int w = 0; w < n; ++w) e.contributors.push_back(w), e.receivers.push_back(w);
    const auto per = wire_bytes(CommPlan{{e}}, n, Algorithm::ring);
    std::int64_t total = 0;
    for (int w = 0; w < n; ++w) {
      CHECK(per[static_cast<std::size_t>(w)].sent == ring_allreduce_sent_bytes(b, n, w));
      CHECK(static_cast<double>(per[static_cast<std::size_t>(w)].sent) == Approx(2.0 * (n - 1) / n * b).margin(2));
      total += per[static_cast<std::size_t>(w)].sent - per[static_cast<std::size_t>(w)].received;
    }
    CHECK(total == 0);
    // 2(N-1) steps of N transfers.
    CHECK(expand_exchange(e, Algorithm::ring).size() == static_cast<std::size_t>(2 * (n - 1) * n));
  }
}

TEST_CASE("star and hierarchical wire bytes", "[core]") {
  const Exchange all{"x", 100, {0, 1, 2, 3}, {0, 1, 2, 3}, 1};
  const auto star = wire_bytes(CommPlan{{all}}, 4, Algorithm::star);
  CHECK(star[0].received == 300); // root receives 3 copies and sends 3 copies
  CHECK(star[0].sent == 300);
  CHECK(star[2].sent == 100);
  CHECK(star[2].received == 100);
  // Two nodes of two: leaders 0 and 2 reduce locally, ring between them, broadcast locally.
  const auto lead = wire_bytes(CommPlan{{all}}, 4, Algorithm::leader, {0, 0, 1, 1});
  CHECK(lead[1].sent == 100);
  CHECK(lead[1].received == 100);
  CHECK(lead[0].sent == 100 + 100); // ring of 2 leaders: B, plus the local broadcast
  // NCCL's form on the same nodes, B = 160 in 4 pipelined pieces of 40: reduce-scatter in the node (20),
  // ring of 2 per rail on the 20-byte chunk (20), all-gather in the node (20): 240 = 1.5 B each way, of
  // which B/2 = 80 cross the network.
  const Exchange big{"x", 160, {0, 1, 2, 3}, {0, 1, 2, 3}, 1};
  const auto hier = wire_bytes(CommPlan{{big}}, 4, Algorithm::hierarchical, {0, 0, 1, 1});
  for (int w = 0; w < 4; ++w) {
    CHECK(hier[static_cast<std::size_t>(w)].sent == 240);
    CHECK(hier[static_cast<std::size_t>(w)].received == 240);
  }
  std::int64_t across = 0;
  for (const Transfer& t : expand_exchange(big, Algorithm::hierarchical, {0, 0, 1, 1}))
    across += (t.src / 2 != t.dst / 2) ? t.bytes : 0;
  CHECK(across == 4 * 80);
  // NVLS on one node of 4, B = 120: each port carries B (1 + 1/4) = 150 each way, in 2 steps.
  const Exchange nv{"x", 120, {0, 1, 2, 3}, {0, 1, 2, 3}, 1};
  const auto nvls = wire_bytes(CommPlan{{nv}}, 4, Algorithm::nvls, {0, 0, 0, 0});
  CHECK(nvls[2].sent == 150);
  CHECK(nvls[2].received == 150);
  CHECK(expand_exchange(nv, Algorithm::nvls).size() == 2 * 4 * 3);
  // ResIST block moving from holder 1 to next holders {0, 3}.
  const Exchange block{"b", 10, {1}, {0, 3}, 1};
  const auto moved = wire_bytes(CommPlan{{block}}, 4, Algorithm::ring);
  CHECK(moved[1].sent == 20);
  CHECK(moved[0].received == 10);
  CHECK(moved[3].received == 10);
}

TEST_CASE("IST's slices go up to worker 0 and come down from it under every algorithm", "[core]") {
  const Model m = make_model("mlp_fmnist");
  const CommPlan plan = ist_plan(m, ist_partition_for_round(m, 3, 1, 0), ist_partition_for_round(m, 3, 1, 1));
  for (Algorithm a : {Algorithm::ring, Algorithm::star, Algorithm::hierarchical, Algorithm::leader}) {
    INFO(to_string(a));
    for (const Exchange& e : plan.exchanges) {
      if (e.label == "shared") continue;
      const auto t = expand_exchange(e, a, {0, 0, 1});
      const int w = e.contributors.empty() ? e.receivers.front() : e.contributors.front();
      if (w == 0) {
        CHECK(t.empty()); // the server's own slice does not move
        continue;
      }
      REQUIRE(t.size() == 1);
      CHECK(t[0].bytes == e.bytes);
      CHECK(t[0].src == (e.receivers.empty() ? w : 0));
      CHECK(t[0].dst == (e.receivers.empty() ? 0 : w));
    }
  }
}

TEST_CASE("railed ring across nodes: one channel per NIC, same bytes per worker, spread over the NICs", "[core]") {
  // 2 nodes x 4 workers, B = 800 in 4 channels of 200; every channel is a ring over N = 8 in chunks of 25.
  const Exchange e{"x", 800, {0, 1, 2, 3, 4, 5, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7}, 1};
  const std::vector<int> node_of{0, 0, 0, 0, 1, 1, 1, 1};
  const auto railed = expand_exchange(e, Algorithm::ring, node_of, 4);
  // Per worker and channel 2 x 200 - 25 - 25 = 350; 4 channels: 1400 = 2(N-1)/N B, as one ring.
  for (const auto& w : wire_bytes(CommPlan{{e}}, 8, Algorithm::ring, node_of, 4)) {
    CHECK(w.sent == 1400);
    CHECK(w.received == 1400);
  }
  // Two transfers per worker and step (in the node, to the next node), 2(N-1) = 14 steps.
  CHECK(railed.size() == 2 * 8 * 14);
  // Node 0 -> node 1: each of its 4 GPUs (hence NICs) carries one channel's 14 chunks of 25 = 350.
  std::vector<std::int64_t> across(8, 0);
  for (const Transfer& t : railed)
    if (node_of[static_cast<std::size_t>(t.src)] != node_of[static_cast<std::size_t>(t.dst)]) {
      CHECK((t.dst % 4) == (t.src + 1) % 4); // local position p + 1 on the next node
      across[static_cast<std::size_t>(t.src)] += t.bytes;
    }
  for (int w = 0; w < 8; ++w) CHECK(across[static_cast<std::size_t>(w)] == 350);
  // One rail: the plain ring, whose one crossing per node (worker 3 -> 4) carries all 1400.
  CHECK(expand_exchange(e, Algorithm::ring, node_of, 1).size() == expand_exchange(e, Algorithm::ring).size());
  std::int64_t from3 = 0;
  for (const Transfer& t : expand_exchange(e, Algorithm::ring, node_of, 1)) from3 += t.src == 3 && t.dst == 4 ? t.bytes : 0;
  CHECK(from3 == 1400);
  // Two rails on 4 workers per node: channels enter at local 0 and 2, leave from 3 and 1.
  std::vector<std::int64_t> across2(8, 0);
  for (const Transfer& t : expand_exchange(e, Algorithm::ring, node_of, 2))
    if (node_of[static_cast<std::size_t>(t.src)] != node_of[static_cast<std::size_t>(t.dst)])
      across2[static_cast<std::size_t>(t.src)] += t.bytes;
  CHECK(across2 == std::vector<std::int64_t>{0, 700, 0, 700, 0, 700, 0, 700});
}

TEST_CASE("spans: a ring phase's steps between two workers as one transfer, the same bytes on every pair", "[core]") {
  // Per (source, destination) pair, spans must carry exactly what the steps carry, for every algorithm
  // whose rings they shorten; a flat ring of N becomes N transfers of 2(N-1) steps.
  auto pair_bytes = [](const std::vector<Transfer>& ts) {
    std::map<std::pair<int, int>, std::int64_t> out;
    for (const Transfer& t : ts) out[{t.src, t.dst}] += t.bytes;
    return out;
  };
  const std::vector<int> all{0, 1, 2, 3, 4, 5, 6, 7};
  const std::vector<int> node_of{0, 0, 0, 0, 1, 1, 1, 1};
  const Exchange e{"x", 1003, all, all, 1}; // not a multiple of anything: uneven chunks
  for (Algorithm a : {Algorithm::ring, Algorithm::hierarchical, Algorithm::leader, Algorithm::star})
    for (int rails : {1, 2, 4}) {
      INFO(to_string(a) << ", rails " << rails);
      const auto steps = expand_exchange(e, a, node_of, rails, Granularity::steps);
      const auto spans = expand_exchange(e, a, node_of, rails, Granularity::spans);
      CHECK(pair_bytes(spans) == pair_bytes(steps));
      CHECK(spans.size() <= steps.size());
      for (const Transfer& t : spans) CHECK(t.steps >= 1);
    }
  const auto flat = expand_exchange(e, Algorithm::ring, {}, 1, Granularity::spans);
  REQUIRE(flat.size() == 8);
  for (const Transfer& t : flat) {
    CHECK(t.step == 0);
    CHECK(t.steps == 14);
    CHECK(t.dst == (t.src + 1) % 8);
    CHECK(t.bytes == ring_allreduce_sent_bytes(1003, 8, t.src));
  }
  // The hierarchical form keeps its pipeline: per piece, reduce-scatter spans of L-1 steps, then the rail
  // rings' spans of 2(M-1), then all-gather spans of L-1, each starting where the previous one ended.
  for (const Transfer& t : expand_exchange(e, Algorithm::hierarchical, node_of, 1, Granularity::spans)) {
    const bool across = node_of[static_cast<std::size_t>(t.src)] != node_of[static_cast<std::size_t>(t.dst)];
    CHECK(t.steps == (across ? 2 : 3));
    // Pieces start L - 1 = 3 steps apart: reduce-scatter at 3j, rail ring at 3j + 3, all-gather at 3j + 5.
    CHECK((t.step % 3) == (across ? 0 : t.step % 3 == 2 ? 2 : 0));
  }
  // Receivers of a ring phase wait for every span of smaller last step: the all-gather of piece 0
  // (first step 3 + 2 = 5) follows its rail ring (steps 3..4), not the later pieces' rails.
  const auto hier = expand_exchange(e, Algorithm::hierarchical, node_of, 1, Granularity::spans);
  for (const Transfer& t : hier)
    if (node_of[static_cast<std::size_t>(t.src)] != node_of[static_cast<std::size_t>(t.dst)] && t.step == 3)
      CHECK(t.last_step() == 4);
}

TEST_CASE("NCCL's double binary tree: parents by hand (src/graph/trees.cc's illustrations)", "[core]") {
  // 2 nodes: tree 0 rooted at 0, tree 1 (mirror) at 1.
  CHECK(nccl_tree_parent(2, 0, 0) == -1);
  CHECK(nccl_tree_parent(2, 0, 1) == 0);
  CHECK(nccl_tree_parent(2, 1, 0) == 1);
  CHECK(nccl_tree_parent(2, 1, 1) == -1);
  // 14 ranks, tree 0: 0 -> 8 -> {4, 12}; 4 -> {2, 6}; 12 -> {10, 13}; 2 -> {1, 3}; ...
  const std::vector<int> up14{-1, 2, 4, 2, 8, 6, 4, 6, 0, 10, 12, 10, 8, 12};
  for (int r = 0; r < 14; ++r) CHECK(nccl_tree_parent(14, 0, r) == up14[static_cast<std::size_t>(r)]);
  // Tree 1 mirrors it (even count): rank 13 - r's parent is 13 - (r's parent).
  for (int r = 0; r < 14; ++r) CHECK(nccl_tree_parent(14, 1, 13 - r) == (up14[r] < 0 ? -1 : 13 - up14[r]));
  // 13 ranks (odd): tree 1 is tree 0 shifted by one rank (root 1; tree 0's 8 -> 0, 4 -> 8, 2 -> 4 become
  // 9 -> 1, 5 -> 9, 3 -> 5).
  CHECK(nccl_tree_parent(13, 1, 1) == -1);
  CHECK(nccl_tree_parent(13, 1, 9) == 1);
  CHECK(nccl_tree_parent(13, 1, 5) == 9);
  CHECK(nccl_tree_parent(13, 1, 3) == 5);
}

TEST_CASE("tree across nodes: chains in the node, the double binary tree across, by hand", "[core]") {
  // 2 nodes x 2 workers, 2 rails: channel 0's head is local 0 (chain 1 -> 0), channel 1's local 1 (0 -> 1).
  // B = 160 in 8 pieces of 20: 10 per channel, 5 per channel and tree.
  const Exchange e{"x", 160, {0, 1, 2, 3}, {0, 1, 2, 3}, 1};
  const std::vector<int> node_of{0, 0, 1, 1};
  const auto tree = expand_exchange(e, Algorithm::tree, node_of, 2);
  // Per piece: 4 chain transfers up, 2 trees x 2 heads x (up, down) across, 4 chain transfers down.
  CHECK(tree.size() == 8 * (4 + 8 + 4));
  auto has = [&](int src, int dst, std::int64_t bytes, int step) {
    return std::any_of(tree.begin(), tree.end(), [&](const Transfer& t) {
      return t.src == src && t.dst == dst && t.bytes == bytes && t.step == step;
    });
  };
  // Piece 0. Up the chain (step 0): each worker hands the channel it does not head, both trees, to its peer.
  CHECK(has(0, 1, 10, 0));
  CHECK(has(1, 0, 10, 0));
  CHECK(has(2, 3, 10, 0));
  // Tree 0 (root node 0): node 1's heads send up at step 1, get the result at step 2; tree 1 the reverse.
  CHECK(has(2, 0, 5, 1));
  CHECK(has(0, 2, 5, 2));
  CHECK(has(0, 2, 5, 1));
  CHECK(has(2, 0, 5, 2));
  CHECK(has(3, 1, 5, 1));
  // Down the chain (step 3), away from each head.
  CHECK(has(0, 1, 10, 3));
  CHECK(has(3, 2, 10, 3));
  // Piece 7 is shifted by 7 steps.
  CHECK(has(1, 3, 5, 8));
  CHECK(has(2, 3, 10, 10));
  // Per worker 30 per piece (10 up the chain, 10 down, 5 + 5 across): 240 = 1.5 B; across, B per node.
  std::int64_t across = 0;
  for (const Transfer& t : tree) across += node_of[t.src] != node_of[t.dst] && node_of[t.src] == 0 ? t.bytes : 0;
  CHECK(across == 160);
  for (const auto& w : wire_bytes(CommPlan{{e}}, 4, Algorithm::tree, node_of, 2)) {
    CHECK(w.sent == 240);
    CHECK(w.received == 240);
  }
  // 2 nodes x 4 workers, a channel per GPU (4 rails), B = 320: in the node 2(c-1)/c B = 480 per worker
  // (3 channels of 10 per piece each way), across 5 + 5 per piece = 80 per worker, B per node.
  const Exchange e8{"x", 320, {0, 1, 2, 3, 4, 5, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7}, 1};
  const std::vector<int> node8{0, 0, 0, 0, 1, 1, 1, 1};
  for (const auto& w : wire_bytes(CommPlan{{e8}}, 8, Algorithm::tree, node8, 4)) CHECK(w.sent == 480 + 80);
  // One node: the chain alone, up at step j and down at j + 1.
  const Exchange one{"x", 160, {0, 1}, {0, 1}, 1};
  const auto chain = expand_exchange(one, Algorithm::tree, {0, 0}, 2);
  CHECK(chain.size() == 8 * 4);
  CHECK(std::all_of(chain.begin(), chain.end(), [](const Transfer& t) { return t.bytes == 10 && t.step <= 8; }));
  // Uneven nodes: the ring.
  const Exchange odd{"x", 90, {0, 1, 2}, {0, 1, 2}, 1};
  CHECK(expand_exchange(odd, Algorithm::tree, {0, 0, 1}, 2).size() == expand_exchange(odd, Algorithm::ring).size());
}

TEST_CASE("NVLS-tree: NVLS reduce, the tree across nodes per rail, NVLS broadcast, by hand", "[core]") {
  // 2 nodes x 2 workers, B = 160 in 8 pieces of 20: NVLS transfers of ceil(20 x 3 / 4) = 15 at steps j
  // (reduce) and j + 3 (broadcast); local p owns chunk p (10) and sends it across in halves of 5.
  const Exchange e{"x", 160, {0, 1, 2, 3}, {0, 1, 2, 3}, 1};
  const std::vector<int> node_of{0, 0, 1, 1};
  const auto t = expand_exchange(e, Algorithm::nvls_tree, node_of, 2);
  CHECK(t.size() == 8 * (4 + 8 + 4));
  std::int64_t nvls_bytes = 0, across = 0;
  std::vector<int> inside_at(11, 0), across_at(11, 0); // transfers per step
  for (const Transfer& x : t) {
    const bool inside = node_of[x.src] == node_of[x.dst];
    CHECK(x.bytes == (inside ? 15 : 5));
    ++(inside ? inside_at : across_at).at(static_cast<std::size_t>(x.step));
    (inside ? nvls_bytes : across) += x.src == 0 ? x.bytes : 0;
  }
  // Step 0: piece 0's reduce (2 nodes x 2 x 1); step 3: piece 3's reduce and piece 0's broadcast. Across, step
  // 1: piece 0 up (2 trees x 2 rails); step 2: piece 0 down and piece 1 up.
  CHECK(inside_at[0] == 4);
  CHECK(inside_at[3] == 8);
  CHECK(across_at[1] == 4);
  CHECK(across_at[2] == 8);
  // Worker 0: B (1 + 1/2) = 240 through its port (as nvls), B / 2 = 80 across.
  CHECK(nvls_bytes == 240);
  CHECK(across == 80);
  // One node: nvls itself.
  const Exchange one{"x", 120, {0, 1, 2, 3}, {0, 1, 2, 3}, 1};
  CHECK(expand_exchange(one, Algorithm::nvls_tree, {0, 0, 0, 0}, 4).size() ==
        expand_exchange(one, Algorithm::nvls).size());
  CHECK(parse_algorithm("nvlstree") == Algorithm::nvls_tree);
  CHECK(parse_algorithm("tree") == Algorithm::tree);
}
