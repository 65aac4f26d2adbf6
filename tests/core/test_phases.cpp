// A local SGD warm-up before ResIST (--local-sgd-warmup-rounds/-epochs): the rounds' phases in the schedule and
// its hash, their checks, the communication plans at the transition, elastic segments, and time to accuracy
// across the phases.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/accuracy_curve.hpp"
#include "core/elastic.hpp"
#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "core/phases.hpp"
#include "core/schedule_check.hpp"
#include "core/schedule_io.hpp"

using namespace resist;

namespace {
RunConfig small(int warmup_rounds) {
  RunConfig c;
  c.model = "preact_resnet_small";
  c.workers = 2;
  c.local_steps = 10;
  c.batch = 32;
  c.epochs = 3;
  c.train_size = 640; // 20 steps per epoch, 2 rounds per epoch, 6 rounds
  c.local_sgd_warmup_rounds = warmup_rounds;
  return c;
}
} // namespace

TEST_CASE("warm-up rounds are local SGD rounds of the full model, then the plain run's ResIST rounds", "[core]") {
  const Schedule plain = make_schedule(small(0));
  const Schedule s = make_schedule(small(2));
  REQUIRE(s.rounds.size() == 6);
  for (const Round& r : s.rounds) {
    INFO("round " << r.round);
    CHECK(r.protocol == (r.round < 2 ? Protocol::local_sgd : Protocol::resist));
    for (std::size_t w = 0; w < r.workers.size(); ++w) {
      if (r.round < 2) CHECK(r.workers[w].blocks == s.partitionable);
      else CHECK(r.workers[w].blocks == plain.rounds[static_cast<std::size_t>(r.round)].workers[w].blocks);
      CHECK(r.workers[w].data_seed == plain.rounds[0].workers[w].data_seed);
    }
    CHECK(r.lr_at(0) == plain.rounds[static_cast<std::size_t>(r.round)].lr_at(0));
  }
  CHECK(round_eval_scale(s, 1) == 1.0);
  CHECK(round_eval_scale(s, 2) == s.eval_scale);
  CHECK(s.eval_scale < 1.0);
  CHECK(round_protocol(s, 6) == Protocol::resist); // the round after the last
}

TEST_CASE("the warm-up is in the document and its hash; a run without one keeps its document", "[core]") {
  const Schedule plain = make_schedule(small(0));
  const nlohmann::json p = schedule_to_json(plain);
  CHECK_FALSE(p.at("config").contains("local_sgd_warmup_rounds"));
  for (const auto& r : p.at("rounds")) CHECK_FALSE(r.contains("protocol"));
  const Schedule s = make_schedule(small(2));
  const nlohmann::json j = schedule_to_json(s);
  CHECK(j.at("config").at("local_sgd_warmup_rounds") == 2);
  CHECK(j.at("rounds").at(1).at("protocol") == "local_sgd");
  CHECK_FALSE(j.at("rounds").at(2).contains("protocol"));
  CHECK(j.at("hash") != p.at("hash"));
  const Schedule back = schedule_from_json(j);
  CHECK(schedule_hash(back) == schedule_hash(s));
  CHECK(back.rounds[1].protocol == Protocol::local_sgd);
  CHECK(back.rounds[2].protocol == Protocol::resist);
}

TEST_CASE("a warm-up in epochs covers the rounds whose steps fall inside it", "[core]") {
  RunConfig c = small(0);
  c.local_sgd_warmup_epochs = 0.75; // 15 steps: rounds 0 and 1 (steps 0-19)
  const Schedule s = make_schedule(c);
  CHECK(local_sgd_warmup_rounds(c, s.steps_per_epoch) == 2);
  CHECK(s.rounds[1].protocol == Protocol::local_sgd);
  CHECK(s.rounds[2].protocol == Protocol::resist);
  c.local_sgd_warmup_epochs = 1; // exactly 20 steps: 2 rounds
  CHECK(local_sgd_warmup_rounds(c, s.steps_per_epoch) == 2);
}

TEST_CASE("a warm-up is refused with another protocol, both lengths, or no ResIST round left", "[core]") {
  RunConfig c = small(2);
  c.protocol = Protocol::local_sgd;
  REQUIRE_THROWS_WITH(make_schedule(c), Catch::Contains("precedes ResIST only") && Catch::Contains("local_sgd"));
  c = small(6);
  REQUIRE_THROWS_WITH(make_schedule(c), Catch::Contains("--local-sgd-warmup-rounds 6") && Catch::Contains("6 rounds"));
  c = small(2);
  c.local_sgd_warmup_epochs = 1;
  REQUIRE_THROWS_AS(make_schedule(c), InputError);
  c = small(-1);
  REQUIRE_THROWS_WITH(make_schedule(c), Catch::Contains("--local-sgd-warmup-rounds"));
}

TEST_CASE("schedule_check refuses a round whose phase is not the config's", "[core]") {
  Schedule s = make_schedule(small(2));
  check_schedule(s);
  Schedule t = s;
  t.rounds[1].protocol = Protocol::resist; // a warm-up round claimed as ResIST
  REQUIRE_THROWS_WITH(check_schedule(t), Catch::Contains("round 1: protocol resist"));
  t = s;
  t.rounds[0].workers[0].blocks.pop_back(); // a warm-up worker without the full model
  REQUIRE_THROWS_WITH(check_schedule(t), Catch::Contains("every worker holds every block"));
}

TEST_CASE("comm plans follow the phases: local SGD's, the transition's dispatch, then ResIST's", "[core]") {
  const Schedule plain = make_schedule(small(0));
  const Schedule s = make_schedule(small(3));
  const Model m = make_model(s.config.model, s.config.model_options);
  auto bytes = [&](const Schedule& x, int r) { return total_bytes(payload_bytes(round_comm_plan(x, m, r), 2)); };
  CHECK(bytes(s, 0) == 2 * 2 * m.param_bytes()); // 2 S |model|
  CHECK(round_comm_plan(s, m, 1).exchanges.size() == 1);
  // Round 2 ends the warm-up: everyone sends the whole model; each worker receives round 3's sub-network.
  const CommPlan t = round_comm_plan(s, m, 2);
  const auto per = payload_bytes(t, 2);
  for (int w = 0; w < 2; ++w) {
    CHECK(per[static_cast<std::size_t>(w)].sent == m.param_bytes());
    std::int64_t next = shared_param_bytes(m, s.partitionable);
    for (int b : s.rounds[3].workers[static_cast<std::size_t>(w)].blocks) next += m.blocks[static_cast<std::size_t>(b)].param_bytes();
    CHECK(per[static_cast<std::size_t>(w)].received == next);
  }
  for (int r = 3; r < 6; ++r) CHECK(bytes(s, r) == bytes(plain, r));
}

TEST_CASE("an elastic segment keeps the phases of the rounds left", "[core]") {
  RunConfig c = small(3);
  c.workers = 3;
  const Schedule s = make_schedule(c);
  const Schedule g = make_segment(s, schedule_hash(s), 1, {0, 2});
  REQUIRE(g.rounds.size() == 5);
  CHECK(g.rounds[0].protocol == Protocol::local_sgd); // run round 1
  CHECK(g.rounds[1].protocol == Protocol::local_sgd); // run round 2
  CHECK(g.rounds[2].protocol == Protocol::resist);    // run round 3
  CHECK(g.rounds[1].workers[1].blocks == g.partitionable);
  check_schedule(g);
  CHECK(round_protocol(g, -1) == Protocol::local_sgd); // run round 0, before the segment
}

TEST_CASE("phase spans and their seconds from the rounds' end times", "[core]") {
  const Schedule s = make_schedule(small(2));
  const auto spans = phase_spans(s);
  REQUIRE(spans.size() == 2);
  CHECK(spans[0].protocol == Protocol::local_sgd);
  CHECK(spans[0].last_round == 1);
  CHECK(spans[1].first_round == 2);
  CHECK(spans[1].last_round == 5);
  const std::vector<double> ends{10, 20, 24, 28, 32, 36}; // warm-up rounds 10 s each, ResIST rounds 4 s
  CHECK(phase_seconds(spans[0], ends) == 20);
  CHECK(phase_seconds(spans[1], ends) == 16);
  CHECK(phase_spans(make_schedule(small(0))).size() == 1);
}

TEST_CASE("time to accuracy: a target reached during the warm-up is timed by the warm-up rounds", "[core][accuracy]") {
  const Schedule s = make_schedule(small(2));
  const std::vector<double> ends{10, 20, 24, 28, 32, 36}; // warm-up rounds 10 s each, ResIST rounds 4 s
  // Evaluations at epochs 0.5, 1.5, 3 = after 1, 3 and 6 completed rounds.
  AccuracyCurve c{"x", "epochs", {{rounds_at_epochs(s, 0.5), 40, -1}, {rounds_at_epochs(s, 1.5), 60, -1},
                                  {rounds_at_epochs(s, 3), 70, -1}}};
  const auto t = time_to_targets(c, ends, {30, 50, 65, 90});
  CHECK(t[0].rounds == 1);
  CHECK(t[0].time_s == 10); // inside the warm-up: one local SGD round
  CHECK(t[1].rounds == 3);
  CHECK(t[1].time_s == 24); // two warm-up rounds + one ResIST round
  CHECK(t[2].time_s == 36);
  CHECK_FALSE(t[3].reached);
  CHECK(time_at_rounds(ends, 2.5) == Approx(22)); // halfway through the first ResIST round
}
