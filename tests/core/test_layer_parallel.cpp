// layer_parallel in core: the balanced module cut, the AuxNet's shape, the bytes per step, and a
// schedule whose hash covers the cut.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/layer_parallel.hpp"
#include "core/model_zoo.hpp"
#include "core/schedule_io.hpp"

using namespace resist;

namespace {
RunConfig lp_config(int k) {
  RunConfig c;
  c.model = "preact_resnet_small";
  c.model_options = {1, 28, 10};
  c.dataset = "fashion_mnist";
  c.protocol = Protocol::layer_parallel;
  c.workers = k;
  c.batch = 64;
  c.local_steps = 10;
  c.rounds = 3;
  return c;
}

double module_macs(const Model& m, const LayerParallelCut& cut, int k) {
  double s = 0;
  for (int b = cut.first_block[static_cast<std::size_t>(k)]; b < cut.first_block[static_cast<std::size_t>(k) + 1]; ++b)
    s += static_cast<double>(m.blocks[static_cast<std::size_t>(b)].forward_macs() +
                             m.blocks[static_cast<std::size_t>(b)].backward_macs());
  return s;
}
} // namespace

TEST_CASE("the module cut is contiguous, covers every block and minimizes the largest module", "[core]") {
  const Model m = make_model("preact_resnet_small", {1, 28, 10});
  const int n = static_cast<int>(m.blocks.size());
  for (int k : {1, 2, 3, 4}) {
    const LayerParallelCut cut = layer_parallel_cut(m, k);
    REQUIRE(cut.modules() == k);
    CHECK(cut.first_block.front() == 0);
    CHECK(cut.first_block.back() == n);
    double worst = 0;
    for (int i = 0; i < k; ++i) {
      CHECK(cut.first_block[static_cast<std::size_t>(i)] < cut.first_block[static_cast<std::size_t>(i) + 1]);
      worst = std::max(worst, module_macs(m, cut, i));
    }
    // No single boundary moved by one block lowers the largest module (the exhaustive check for k = 2).
    if (k == 2)
      for (int b = 1; b < n; ++b) {
        const LayerParallelCut other{{0, b, n}};
        CHECK(std::max(module_macs(m, other, 0), module_macs(m, other, 1)) >= worst);
      }
  }
  CHECK_THROWS_AS(layer_parallel_cut(m, n + 1), InputError);
  CHECK_THROWS_AS(layer_parallel_cut(make_model("mlp_fmnist"), 2), InputError);
}

TEST_CASE("the AuxNet maps the image onto each cut's shape with few parameters", "[core]") {
  const Model m = make_model("preact_resnet_small", {1, 28, 10});
  const LayerParallelCut cut = layer_parallel_cut(m, 4);
  for (int c = 1; c < 4; ++c) {
    const CutShape s = cut_shape(m, cut, c);
    const auto layers = auxnet_layers(m, s, 16, c);
    REQUIRE(layers.size() == 4);
    CHECK(layers.back().out_channels == s.channels);
    CHECK(layers.back().out_h == s.h);
    CHECK(layers.back().out_w == s.w);
    // 1 x 16 x 9 + 2 x 16 (BN) + 16 x C x 9
    CHECK(auxnet_params(layers) == 16 * 9 + 32 + 16 * s.channels * 9);
    CHECK(auxnet_params(layers) < m.params() / 10);
  }
}

TEST_CASE("layer_parallel moves two cut tensors per cut and step, between neighbours only", "[core]") {
  const RunConfig c = lp_config(4);
  const Schedule s = make_schedule(c);
  const Model m = make_model(c.model, c.model_options);
  const LayerParallelCut cut{s.module_first_block};
  const auto bytes = payload_bytes(round_comm_plan(s, m, 0), 4);
  for (int w = 0; w < 4; ++w) {
    std::int64_t expect = 0; // per step: a target to the left and an activation to the right, each way
    if (w > 0) expect += cut_shape(m, cut, w).bytes() * c.batch;
    if (w < 3) expect += cut_shape(m, cut, w + 1).bytes() * c.batch;
    CHECK(bytes[static_cast<std::size_t>(w)].sent == expect * c.local_steps);
    CHECK(bytes[static_cast<std::size_t>(w)].received == expect * c.local_steps);
  }
  // By hand for the first cut: C x H x W x 4 bytes x batch.
  const CutShape s1 = cut_shape(m, cut, 1);
  CHECK(s1.bytes() == std::int64_t{s1.channels} * s1.h * s1.w * 4);
}

TEST_CASE("a layer_parallel schedule: every worker the same data, its module's blocks, the cut in the hash",
          "[core]") {
  const Schedule s = make_schedule(lp_config(2));
  REQUIRE(s.module_first_block.size() == 3);
  for (const Round& r : s.rounds) {
    CHECK(r.workers[0].data_seed == r.workers[1].data_seed);
    for (int b : r.workers[0].blocks) CHECK(b < s.module_first_block[1]);
    for (int b : r.workers[1].blocks) CHECK(b >= s.module_first_block[1]);
  }
  const Schedule back = schedule_from_json(schedule_to_json(s));
  CHECK(back.module_first_block == s.module_first_block);
  CHECK(schedule_hash(back) == schedule_hash(s));
  CHECK(schedule_hash(make_schedule(lp_config(4))) != schedule_hash(s));
  RunConfig al = lp_config(2);
  al.layer_parallel.method = LpMethod::augmented_lagrangian;
  CHECK(schedule_hash(make_schedule(al)) != schedule_hash(s));

  // A cut edited (and rehashed) is refused: the blocks no longer match it either.
  nlohmann::json j = schedule_to_json(s);
  j["layer_parallel"]["module_first_block"][1] = s.module_first_block[1] + 1;
  j["hash"] = schedule_document_hash(j);
  CHECK_THROWS_WITH(schedule_from_json(j), Catch::Contains("module cut"));
}

TEST_CASE("layer_parallel options are checked and unknown methods named", "[core]") {
  RunConfig c = lp_config(2);
  c.layer_parallel.beta = 0;
  CHECK_THROWS_WITH(make_schedule(c), Catch::Contains("--lp-beta 0"));
  c = lp_config(2);
  c.layer_parallel.aux_width = 0;
  CHECK_THROWS_WITH(make_schedule(c), Catch::Contains("--lp-aux-width"));
  CHECK_THROWS_WITH(parse_lp_method("admm"), Catch::Contains("'admm'"));
  CHECK(parse_protocol("layer_parallel") == Protocol::layer_parallel);
}
