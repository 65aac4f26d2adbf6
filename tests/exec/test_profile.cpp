// resist profile on a tiny model: every core layer measured with the trainer's modules (names and
// shapes from core), positive times, the costs outside the layers, and a profile that core accepts for
// this model and rejects for another.
#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "exec/profile.hpp"

// Catch last: LibTorch's c10/util/Logging.h defines its own fatal CHECK(), which would otherwise replace
// Catch's (the redefinition warning is silent, as torch's headers are system headers).
#include <catch2/catch.hpp>

using namespace resist;

TEST_CASE("profile of a tiny model: core's layer names, positive times, costs", "[exec][profile]") {
  exec::ProfileOptions o;
  o.config.model = "preact_resnet_small";
  o.config.model_options = {3, 8, 10};
  o.config.dataset = "synthetic";
  o.config.train_size = 64;
  o.config.batch = 8;
  o.threads = 1;
  o.repeats = 2;
  o.warmup = 1;
  o.test_size = 32;
  const Profile p = exec::measure_profile(o);
  const Model m = make_model("preact_resnet_small", {3, 8, 10});
  std::size_t layers = 0;
  for (const Block& b : m.blocks)
    for (const Layer& l : b.layers) {
      ++layers;
      INFO(l.name);
      REQUIRE(p.layers.count(l.name) == 1);
      const ProfileEntry& e = p.layers.at(l.name);
      CHECK(e.batch == 8);
      CHECK(e.forward_s > 0);
      if (!l.first_layer || l.params > 0) CHECK(e.backward_s > 0);
      CHECK(e.forward_cpu_s >= 0);
    }
  CHECK(p.layers.size() == layers);
  for (const char* c : {profile_cost::batch, profile_cost::loss, profile_cost::optimizer_step,
                        profile_cost::optimizer_create, profile_cost::eval_image, profile_cost::startup}) {
    INFO(c);
    REQUIRE(p.costs.count(c) == 1);
    CHECK(p.costs.at(c).forward_s > 0);
  }
  CHECK(p.threads() == 1);
  CHECK(p.get("model") == "preact_resnet_small");
  // One process: no spread among ranks to measure; the core's speed at the start and the end.
  CHECK(p.get("step_wall_cv").empty());
  const std::string probe = p.get("speed_probe_cpu_s");
  REQUIRE(probe.find(';') != std::string::npos);
  CHECK(std::stod(probe.substr(0, probe.find(';'))) > 0);
  CHECK(std::stod(probe.substr(probe.find(';') + 1)) > 0);
  CHECK_NOTHROW(p.check_against(m));
  // Written and read back, then held against another shape.
  const Profile q = Profile::parse(p.to_csv(), "p.csv");
  CHECK_NOTHROW(q.check_against(m));
  CHECK_THROWS_WITH(q.check_against(make_model("preact_resnet_small", {3, 16, 10})),
                    "the profile has image_size=8, the run's model has 16");
}

TEST_CASE("profile options out of range are InputErrors", "[exec][profile]") {
  exec::ProfileOptions o;
  o.config.model = "preact_resnet_small";
  o.config.dataset = "synthetic";
  o.repeats = 0;
  CHECK_THROWS_AS(exec::measure_profile(o), InputError);
  o.repeats = 1;
  o.ranks_sharing = 0;
  CHECK_THROWS_AS(exec::measure_profile(o), InputError);
  o.ranks_sharing = 1;
  o.device = "tpu";
  CHECK_THROWS_AS(exec::measure_profile(o), InputError);
}

TEST_CASE("ranks' step spread: hand-computed cases", "[exec][profile]") {
  // Step 0: 1 and 3 s (variance 2 with n - 1), step 1: 2 and 2 s (0): sqrt(1) / mean step 2 = 0.5.
  CHECK(exec::ranks_step_cv({{1, 2}, {3, 2}}) == Approx(0.5));
  // A variation every rank shares costs no waiting.
  CHECK(exec::ranks_step_cv({{1, 2, 1}, {1, 2, 1}}) == 0);
  CHECK(exec::ranks_step_cv({{1, 2}}) == 0); // one rank
  CHECK(exec::ranks_step_cv({}) == 0);
  CHECK_THROWS(exec::ranks_step_cv({{1, 2}, {1}})); // unequal lengths
}
