// Published parameter counts and MACs (torchvision model metadata; He et al. 2016; Zagoruyko &
// Komodakis 2016; the ResIST reference network). Counts must match exactly, MACs within 1%.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "core/model_zoo.hpp"

using namespace resist;

TEST_CASE("torchvision ResNets match published parameter counts and MACs", "[core]") {
  struct Ref { const char* name; std::int64_t params; double gmacs; };
  const Ref refs[] = {{"resnet18", 11'689'512, 1.814}, {"resnet34", 21'797'672, 3.664},
                      {"resnet50", 25'557'032, 4.089}, {"resnet101", 44'549'160, 7.801},
                      {"resnet152", 60'192'808, 11.514}};
  for (const auto& r : refs) {
    const Model m = make_model(r.name);
    INFO(r.name);
    CHECK(m.params() == r.params);
    CHECK(m.forward_macs() / 1e9 == Approx(r.gmacs).epsilon(0.01));
  }
}

TEST_CASE("CIFAR pre-activation ResNets match reference counts", "[core]") {
  CHECK(make_model("preact_resnet101_cifar", {0, 0, 100}).params() == 41'396'900);
  CHECK(make_model("preact_resnet18_cifar").params() == 11'171'146);
  CHECK(make_model("preact_resnet110_cifar").params() == 1'730'522);
  CHECK(make_model("wrn28_10").params() == 36'479'194);
  // ResIST reference: every stage-3 block after the first holds 1,180,672 parameters (1.18 M).
  const Model m = make_model("preact_resnet101_cifar", {0, 0, 100});
  CHECK(m.blocks[static_cast<std::size_t>(m.block_index(3, 5))].params() == 1'180'672);
  // Every basic block at 32x32 costs the same MACs: w^2 HW is constant across stages.
  CHECK(m.blocks[static_cast<std::size_t>(m.block_index(1, 1))].forward_macs() ==
        m.blocks[static_cast<std::size_t>(m.block_index(4, 1))].forward_macs());
  CHECK(m.forward_macs() / 1e9 == Approx(2.443).epsilon(0.01));
}

TEST_CASE("a Fashion-MNIST variant is a configuration, not new code", "[core]") {
  const Model rgb = make_model("preact_resnet18_cifar");
  const Model gray = make_model("preact_resnet18_cifar", {1, 28, 10});
  // Only the stem's input channels change the count: 64 x (3 - 1) x 3 x 3 weights fewer.
  CHECK(rgb.params() - gray.params() == 64 * 2 * 9);
  CHECK(gray.blocks.front().layers.front().in_h == 28);
  CHECK(gray.blocks.back().layers.back().in_channels == 512);
}

TEST_CASE("layer costs follow the stated conventions", "[core]") {
  const Model m = make_model("resnet50");
  for (const auto& b : m.blocks)
    for (const auto& l : b.layers) {
      CHECK(l.forward_flops() == 2 * l.forward_macs);
      if (l.kind == LayerKind::conv2d || l.kind == LayerKind::linear)
        CHECK(l.backward_macs == (l.first_layer ? 1 : 2) * l.forward_macs);
      else
        CHECK(l.forward_macs == 0);
    }
  const Layer& stem = m.blocks.front().layers.front();
  CHECK(stem.out_h == 112);
  CHECK(stem.forward_macs == 64LL * 3 * 7 * 7 * 112 * 112);
}

TEST_CASE("bad model input is rejected with the offending value", "[core]") {
  REQUIRE_THROWS_AS(make_model("resnet9000"), InputError);
  REQUIRE_THROWS_WITH(make_model("resnet9000"), Catch::Contains("resnet9000"));
  REQUIRE_THROWS_AS(make_model("resnet50", {3, -8, 10}), InputError);
}
