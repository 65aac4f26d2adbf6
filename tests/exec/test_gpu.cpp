// [gpu]: the trainer's step on CUDA in each precision, and a profile there. Without CUDA (every CI
// machine, Debian's CPU LibTorch) each test says so and passes without running anything.
#include "core/model_zoo.hpp"
#include "core/rng.hpp"
#include "core/schedule.hpp"
#include "exec/profile.hpp"
#include "exec/step.hpp"

// Catch last: LibTorch's c10/util/Logging.h defines its own fatal CHECK(), which would otherwise replace
// Catch's (the redefinition warning is silent, as torch's headers are system headers).
#include <catch2/catch.hpp>

using namespace resist;

namespace {
bool no_cuda() {
  if (torch::cuda::is_available()) return false;
  WARN("no CUDA device or a LibTorch without CUDA: [gpu] test skipped");
  return true;
}
} // namespace

TEST_CASE("a local step on CUDA in every precision keeps fp32 weights and lowers the loss", "[exec][gpu]") {
  if (no_cuda()) return;
  REQUIRE(torch::cuda::device_count() > 0);
  const Model m = make_model("preact_resnet_small", {3, 16, 10});
  for (const auto p : {exec::Precision::fp32, exec::Precision::tf32, exec::Precision::bf16, exec::Precision::fp16}) {
    INFO(exec::to_string(p));
    torch::manual_seed(1);
    exec::PreActNet net(m);
    net->to(torch::kCUDA);
    exec::DataOptions d;
    d.name = "synthetic";
    d.train_size = 256;
    d.image_size = 16;
    const exec::Dataset data = exec::load_dataset(d, true);
    exec::BatchSampler sampler(data, 32, 1);
    RunConfig c;
    Round round;
    round.steps = 20;
    round.lr = {{0, 0.05}};
    const auto st = exec::train_round(*net, sampler, round, c, std::vector<bool>(m.blocks.size(), true),
                                      torch::kCUDA, nullptr, false, p);
    CHECK(st.steps == 20);
    CHECK(st.nonfinite == 0);
    for (const auto& t : net->parameters()) CHECK(t.scalar_type() == torch::kFloat32);
  }
}

TEST_CASE("a profile on CUDA names every layer with positive times", "[exec][gpu]") {
  if (no_cuda()) return;
  exec::ProfileOptions o;
  o.config.model = "preact_resnet_small";
  o.config.model_options = {3, 16, 10};
  o.config.dataset = "synthetic";
  o.config.train_size = 128;
  o.config.batch = 32;
  o.device = "cuda";
  o.precision = "bf16";
  o.repeats = 3;
  o.warmup = 2;
  const Profile p = exec::measure_profile(o);
  CHECK_NOTHROW(p.check_against(make_model("preact_resnet_small", {3, 16, 10})));
  std::size_t layers = 0;
  for (const Block& b : make_model("preact_resnet_small", {3, 16, 10}).blocks) layers += b.layers.size();
  REQUIRE(p.layers.size() == layers);
  for (const auto& [name, e] : p.layers) CHECK(e.forward_s > 0);
}
