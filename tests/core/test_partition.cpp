// ResIST partition invariants over many rounds and shapes, and IST's neuron partition.
#include <catch2/catch.hpp>

#include <set>

#include "core/error.hpp"
#include "core/ist_partition.hpp"
#include "core/model_zoo.hpp"
#include "core/partition.hpp"

using namespace resist;

namespace {
const Model& reference_model() {
  static const Model m = make_model("preact_resnet101_cifar", {0, 0, 100});
  return m;
}
} // namespace

TEST_CASE("the reference partitions stage-3 blocks after the first", "[core]") {
  const auto p = partitionable_blocks(reference_model(), {});
  REQUIRE(p.size() == 22);
  for (int b : p) {
    CHECK(reference_model().blocks[static_cast<std::size_t>(b)].stage == 3);
    CHECK(reference_model().blocks[static_cast<std::size_t>(b)].index >= 1);
  }
  CHECK(partitionable_blocks(reference_model(), {{2, 3}}).size() == 3 + 22);
  REQUIRE_THROWS_AS(partitionable_blocks(reference_model(), {{5}}), InputError);
  REQUIRE_THROWS_AS(partitionable_blocks(make_model("mlp_fmnist"), {}), InputError);
}

TEST_CASE("partition invariants hold for every shape and round", "[core]") {
  const auto blocks = partitionable_blocks(reference_model(), {});
  const int p = static_cast<int>(blocks.size());
  for (int s = 1; s <= 12; ++s)
    for (int min_depth : {0, 1, 2, 4, 6, 11, 22}) {
      if (min_depth == 0 && s > p) continue;
      for (int round = 0; round < 20; ++round) {
        const ResistPartition part = resist_partition_for_round(blocks, s, min_depth, 7, round);
        INFO("S=" << s << " min=" << min_depth << " round=" << round);
        REQUIRE(part.workers() == s);
        for (const auto& h : part.holders()) CHECK(!h.empty()); // every block trained by someone
        for (const auto& mine : part.worker_blocks) {
          CHECK(static_cast<int>(mine.size()) >= min_depth);
          CHECK(std::set<int>(mine.begin(), mine.end()).size() == mine.size());
        }
        // Overlap exactly when the minimum depth forces more slots than blocks.
        CHECK(part.has_overlap() == (min_depth > p / s));
        if (min_depth <= p / s) CHECK(part.slots() == p);
        else CHECK(part.slots() == s * min_depth);
      }
    }
}

TEST_CASE("chunk sizes and slot counts match the reference and the paper", "[core]") {
  const auto blocks = partitionable_blocks(reference_model(), {});
  std::vector<std::size_t> sizes;
  for (const auto& w : resist_partition_for_round(blocks, 4, 0, 1, 0).worker_blocks) sizes.push_back(w.size());
  CHECK(sizes == std::vector<std::size_t>{6, 6, 5, 5}); // leftovers to the first workers
  CHECK(resist_partition_for_round(blocks, 2, 0, 1, 0).slots() == 22);
  CHECK(resist_partition_for_round(blocks, 4, 6, 1, 0).slots() == 24);
  CHECK(resist_partition_for_round(blocks, 8, 4, 1, 0).slots() == 32);
}

TEST_CASE("partitions are deterministic in the seed and vary across rounds", "[core]") {
  const auto blocks = partitionable_blocks(reference_model(), {});
  CHECK(resist_partition_for_round(blocks, 4, 0, 9, 3).worker_blocks ==
        resist_partition_for_round(blocks, 4, 0, 9, 3).worker_blocks);
  CHECK(resist_partition_for_round(blocks, 4, 0, 9, 3).worker_blocks !=
        resist_partition_for_round(blocks, 4, 0, 9, 4).worker_blocks);
  CHECK(resist_partition_for_round(blocks, 4, 0, 9, 3).worker_blocks !=
        resist_partition_for_round(blocks, 4, 0, 10, 3).worker_blocks);
}

TEST_CASE("impossible shapes are bad input", "[core]") {
  REQUIRE_THROWS_AS(check_resist_shape(22, 0, 0), InputError);
  REQUIRE_THROWS_WITH(check_resist_shape(22, 23, 0), Catch::Contains("--workers 23"));
  REQUIRE_THROWS_WITH(check_resist_shape(22, 4, 23), Catch::Contains("--min-depth 23"));
  CHECK_NOTHROW(check_resist_shape(22, 1024, 1)); // overlap makes room for more workers than blocks
}

TEST_CASE("evaluation scale is the probability a block is present", "[core]") {
  CHECK(resist_eval_scale(22, 4, 0) == Approx(0.25));
  CHECK(resist_eval_scale(22, 4, 6) == Approx(6.0 / 22));
  CHECK(resist_eval_scale(22, 8, 1) == Approx(0.125));
}

TEST_CASE("IST neuron partitions are disjoint and cover every hidden neuron", "[core]") {
  const Model m = make_model("mlp_speech_3l");
  const IstPartition p = ist_partition_for_round(m, 3, 5, 0);
  REQUIRE(p.neurons.size() == 2);
  for (std::size_t h = 0; h < p.neurons.size(); ++h) {
    std::set<int> all;
    std::size_t total = 0;
    for (const auto& w : p.neurons[h]) {
      all.insert(w.begin(), w.end());
      total += w.size();
    }
    CHECK(total == static_cast<std::size_t>(m.mlp_dims[h + 1]));
    CHECK(all.size() == total);
  }
  // 2-layer net: worker w holds (n_w x 4096 + 3 n_w) of layer 1 and (35 x n_w) of layer 2.
  const Model two = make_model("mlp_speech_2l");
  const IstPartition q = ist_partition_for_round(two, 4, 5, 0);
  CHECK(ist_worker_params(two, q, 0) == 1024LL * 4096 + 3 * 1024 + 35LL * 1024);
  CHECK(ist_shared_params(two) == 35);
  REQUIRE_THROWS_AS(check_ist_shape(reference_model(), 2), InputError);
}

TEST_CASE("IST sub-networks: the worker's hidden neurons only, parameters = its slice + the shared bias", "[core]") {
  for (const char* name : {"mlp_fmnist", "mlp_fmnist_2l_wide", "mlp_speech_3l"}) {
    const Model m = make_model(name);
    for (int workers : {2, 3, 4}) {
      const IstPartition p = ist_partition_for_round(m, workers, 11, 2);
      for (int w = 0; w < workers; ++w) {
        INFO(name << " worker " << w << " of " << workers);
        const Model sub = ist_sub_model(m, p, w);
        CHECK(sub.params() == ist_worker_params(m, p, w) + ist_shared_params(m));
        REQUIRE(sub.mlp_dims.size() == m.mlp_dims.size());
        CHECK(sub.mlp_dims.front() == m.mlp_dims.front());
        CHECK(sub.mlp_dims.back() == m.mlp_dims.back());
        for (std::size_t h = 0; h < p.neurons.size(); ++h)
          CHECK(sub.mlp_dims[h + 1] == static_cast<int>(p.neurons[h][static_cast<std::size_t>(w)].size()));
        // 3-layer nets: the middle matrix is cut in both dimensions, so a worker trains about 1/S^2 of it.
        if (m.mlp_dims.size() == 4)
          CHECK(sub.blocks[1].layers[0].params == std::int64_t{sub.mlp_dims[2]} * sub.mlp_dims[1] + sub.mlp_dims[2]);
      }
    }
  }
  // Forward MACs shrink with the slice: a 2-worker sub-network of the wide 2-layer net does half the work.
  const Model wide = make_model("mlp_fmnist_2l_wide");
  const Model half = ist_sub_model(wide, ist_partition_for_round(wide, 2, 1, 0), 0);
  CHECK(2 * half.forward_macs() == wide.forward_macs());
}
