// check_schedule accepts every schedule make_schedule writes (all protocols, fractional epochs, decays,
// minimum depths) and refuses a changed field naming it.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "core/schedule_check.hpp"

using namespace resist;

namespace {
RunConfig small(Protocol p, int workers, int min_depth = 0) {
  RunConfig c;
  c.model = "preact_resnet_small";
  c.model_options.image_size = 8;
  c.protocol = p;
  c.workers = workers;
  c.min_depth = min_depth;
  c.dataset = "synthetic";
  c.train_size = 100;
  c.batch = 16;
  c.local_steps = 3;
  c.epochs = 2.5;
  return c;
}
} // namespace

TEST_CASE("every schedule core writes passes check_schedule", "[core]") {
  std::vector<RunConfig> configs = {small(Protocol::resist, 2), small(Protocol::resist, 4, 2),
                                    small(Protocol::resist, 12, 1), small(Protocol::local_sgd, 3),
                                    small(Protocol::data_parallel, 2)};
  RunConfig ist = small(Protocol::ist, 2);
  ist.model = "mlp_fmnist";
  ist.model_options = {};
  configs.push_back(ist);
  RunConfig rounds = small(Protocol::resist, 3);
  rounds.rounds = 5;
  rounds.lr_decay_at = {0.3, 0.6};
  configs.push_back(rounds);
  for (const RunConfig& c : configs) {
    INFO(to_string(c.protocol) << " S=" << c.workers << " min_depth=" << c.min_depth);
    CHECK_NOTHROW(check_schedule(make_schedule(c)));
  }
}

TEST_CASE("check_schedule names the field that disagrees", "[core]") {
  Schedule s = make_schedule(small(Protocol::resist, 2));
  Schedule bad = s;
  bad.rounds[1].workers[0].blocks = {999};
  CHECK_THROWS_WITH(check_schedule(bad), Catch::Contains("round 1, worker 0: block 999"));
  bad = s;
  bad.rounds[0].steps = -1;
  CHECK_THROWS_AS(check_schedule(bad), InputError);
  bad = s;
  bad.config.workers = 3;
  CHECK_THROWS_AS(check_schedule(bad), InputError);
  bad = s;
  bad.rounds.pop_back();
  CHECK_THROWS_WITH(check_schedule(bad), Catch::Contains("rounds listed"));
}
