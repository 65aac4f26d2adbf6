// The schedule: byte-identical for one config, a hash that catches edits, the reference's run shape.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/schedule_io.hpp"
#include "core/timeline.hpp"

using namespace resist;

namespace {
RunConfig paper_config() {
  RunConfig c;
  c.model_options.classes = 100;
  c.dataset = "cifar100";
  c.workers = 4;
  return c;
}
} // namespace

TEST_CASE("the reference run has 313 rounds of 50 steps, the last of 40", "[core]") {
  const Schedule s = make_schedule(paper_config());
  CHECK(s.steps_per_epoch == 391);
  CHECK(s.total_steps == 15640);
  REQUIRE(s.rounds.size() == 313);
  CHECK(s.rounds.back().steps == 40);
  // lr 0.03, /10 from epoch 21, /100 from epoch 31 (1-based epochs, the reference's rule).
  CHECK(s.rounds.front().lr_at(0) == Approx(0.03));
  const std::int64_t epoch21 = 20 * 391, epoch31 = 30 * 391;
  const Round& r21 = s.rounds[static_cast<std::size_t>(epoch21 / 50)];
  CHECK(r21.lr_at(static_cast<int>(epoch21 % 50) - 1) == Approx(0.03));
  CHECK(r21.lr_at(static_cast<int>(epoch21 % 50)) == Approx(0.003));
  CHECK(s.rounds[static_cast<std::size_t>(epoch31 / 50 + 1)].lr_at(0) == Approx(0.0003));
}

TEST_CASE("a run shorter than an epoch decays by steps, not at step 0", "[core]") {
  RunConfig c = paper_config();
  c.rounds = 4; // 200 steps, about half an epoch
  const Schedule s = make_schedule(c);
  CHECK(s.rounds[0].lr_at(0) == Approx(0.03));
  CHECK(s.rounds[1].lr_at(49) == Approx(0.03));  // step 99
  CHECK(s.rounds[2].lr_at(0) == Approx(0.003));  // step 100 = 0.5 T
  CHECK(s.rounds[3].lr_at(0) == Approx(0.0003)); // step 150 = 0.75 T
}

TEST_CASE("same config and seed give a byte-identical document", "[core]") {
  RunConfig c = paper_config();
  c.rounds = 20;
  const std::string a = schedule_to_string(make_schedule(c));
  CHECK(a == schedule_to_string(make_schedule(c)));
  c.seed = 2;
  CHECK(a != schedule_to_string(make_schedule(c)));
}

TEST_CASE("schedule round trip keeps content and hash", "[core]") {
  RunConfig c = paper_config();
  c.rounds = 5;
  c.min_depth = 6;
  const Schedule s = make_schedule(c);
  const Schedule back = schedule_from_json(nlohmann::json::parse(schedule_to_string(s)));
  CHECK(schedule_hash(back) == schedule_hash(s));
  CHECK(schedule_to_string(back) == schedule_to_string(s));
  CHECK(back.rounds[3].workers[2].blocks == s.rounds[3].workers[2].blocks);
  CHECK(back.eval_scale == Approx(6.0 / 22));
}

TEST_CASE("a schedule whose content does not match its hash is rejected", "[core]") {
  RunConfig c = paper_config();
  c.rounds = 3;
  nlohmann::json j = schedule_to_json(make_schedule(c));
  j["rounds"][1]["workers"][0]["blocks"][0] = 999;
  REQUIRE_THROWS_AS(schedule_from_json(j), InputError);
  REQUIRE_THROWS_WITH(schedule_from_json(j), Catch::Contains("hash mismatch"));
  j = schedule_to_json(make_schedule(c));
  j.erase("rounds");
  REQUIRE_THROWS_AS(schedule_from_json(j), InputError);
}

TEST_CASE("bad run options name themselves", "[core]") {
  RunConfig c = paper_config();
  c.local_steps = 0;
  REQUIRE_THROWS_WITH(make_schedule(c), Catch::Contains("--local-steps 0"));
  c = paper_config();
  c.dataset = "imagenet22k";
  REQUIRE_THROWS_WITH(make_schedule(c), Catch::Contains("imagenet22k"));
  c = paper_config();
  c.protocol = Protocol::ist;
  REQUIRE_THROWS_AS(make_schedule(c), InputError); // IST needs a fully connected net
  // An image folder's size is its scan's (exec): core refuses to guess, and records what it is given.
  c = paper_config();
  c.dataset = "imagefolder";
  REQUIRE_THROWS_WITH(make_schedule(c), Catch::Contains("--train-size"));
  c.train_size = 1281167;
  const Schedule s = make_schedule(c);
  CHECK(s.train_size == 1281167);
  CHECK(schedule_from_json(schedule_to_json(s)).train_size == 1281167);
}

TEST_CASE("timeline CSV round trip and per-round summary", "[core]") {
  const std::vector<TimelineEvent> events = {
      {0, 0, Phase::compute, 0.0, 1.5, 0, 0, "local_steps"},
      {0, 0, Phase::communication, 1.5, 2.0, 100, 200, "sync"},
      {0, 1, Phase::overhead, 0.0, 0.25, 0, 0, "group_create"},
  };
  const auto back = timeline_from_csv(timeline_to_csv(events));
  REQUIRE(back.size() == 3);
  CHECK(back[1].bytes_received == 200);
  CHECK(back[2].phase == Phase::overhead);
  const auto sum = summarize(back);
  REQUIRE(sum.size() == 2);
  CHECK(sum[0].compute_s == Approx(1.5));
  CHECK(sum[0].communication_s == Approx(0.5));
  CHECK(sum[1].overhead_s == Approx(0.25));
  REQUIRE_THROWS_AS(timeline_from_csv("nope\n"), InputError);
}
