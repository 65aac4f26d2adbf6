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

TEST_CASE("linear warm-up, then the step decays at chosen epochs", "[core]") {
  RunConfig c = paper_config();
  c.epochs = 10;
  c.lr_warmup_epochs = 1;          // 391 steps
  c.lr_decay_epochs = {5, 7.5};    // steps 1955 and ceil(2932.5) = 2933
  const Schedule s = make_schedule(c);
  const auto lr = [&](std::int64_t step) {
    return lr_for_step(c, step, s.steps_per_epoch, 10, s.total_steps);
  };
  CHECK(lr(0) == Approx(0.03 / 391));
  CHECK(lr(194) == Approx(0.03 * 195 / 391));
  CHECK(lr(390) == Approx(0.03));
  CHECK(lr(391) == Approx(0.03));
  CHECK(lr(1954) == Approx(0.03));
  CHECK(lr(1955) == Approx(0.003));
  CHECK(lr(2932) == Approx(0.003));
  CHECK(lr(2933) == Approx(0.0003));
  // The schedule carries it: a warm-up round changes the rate at every step.
  CHECK(s.rounds[0].lr.size() == 50);
  CHECK(s.rounds[0].lr_at(49) == Approx(0.03 * 50 / 391));
  CHECK(s.rounds[10].lr.size() == 1);
}

TEST_CASE("a cosine falls from lr after the warm-up to lr_min at the end", "[core]") {
  RunConfig c = paper_config();
  c.epochs = 4;
  c.lr_shape = LrShape::cosine;
  c.lr_min = 0.001;
  c.lr_warmup_epochs = 1;
  const Schedule s = make_schedule(c);
  const std::int64_t warm = 391, total = s.total_steps; // 1564
  const auto lr = [&](std::int64_t step) { return lr_for_step(c, step, s.steps_per_epoch, 4, total); };
  CHECK(lr(warm) == Approx(0.03));
  CHECK(lr(warm + (total - warm) / 2) == Approx((0.03 + 0.001) / 2).epsilon(2e-3)); // step 586 of 1173: just past half
  CHECK(lr(total - 1) == Approx(0.001).epsilon(1e-3));
  for (std::int64_t k = warm + 1; k < total; ++k) REQUIRE(lr(k) <= lr(k - 1));
  CHECK(lr(total - 1) > 0.001);
}

TEST_CASE("a budget in global epochs is the same run as its epochs per worker", "[core]") {
  RunConfig per_worker = paper_config();
  per_worker.epochs = 2;
  RunConfig global = per_worker;
  global.global_epochs = 8; // 4 workers
  CHECK(epochs_per_worker(global) == Approx(2));
  const Schedule a = make_schedule(per_worker), b = make_schedule(global);
  CHECK(a.total_steps == b.total_steps);
  CHECK(a.rounds.size() == b.rounds.size());
  CHECK(to_json(b.config).contains("global_epochs"));
  CHECK(schedule_hash(a) != schedule_hash(b)); // the document says which budget it was given
  global.workers = 2;
  CHECK(make_schedule(global).total_steps == 2 * a.total_steps);
  CHECK(epochs_convention(global, 4) == "4 epochs per worker (= 8 global epochs: the images of all 2 workers counted)");
}

TEST_CASE("runs without the new schedule options keep their documents and hashes", "[core]") {
  RunConfig c = paper_config();
  c.rounds = 3;
  const nlohmann::json j = to_json(c);
  for (const char* key : {"lr_schedule", "lr_decay_epochs", "lr_min", "lr_warmup_epochs", "global_epochs"})
    CHECK_FALSE(j.contains(key));
  RunConfig warm = c;
  warm.lr_warmup_epochs = 0.1;
  CHECK(schedule_hash(make_schedule(warm)) != schedule_hash(make_schedule(c)));
  const RunConfig back = run_config_from_json(to_json(warm));
  CHECK(back.lr_warmup_epochs == warm.lr_warmup_epochs);
}

TEST_CASE("bad learning-rate schedules name themselves", "[core]") {
  RunConfig c = paper_config();
  c.lr_min = 0.05;
  c.lr_shape = LrShape::cosine;
  CHECK_THROWS_WITH(validate(c), Catch::Contains("--lr-min 0.05"));
  c = paper_config();
  c.lr_decay_epochs = {30, 20};
  CHECK_THROWS_WITH(validate(c), Catch::Contains("--lr-decay-epochs 20"));
  c = paper_config();
  c.lr_decay_epochs = {30};
  c.lr_shape = LrShape::cosine;
  CHECK_THROWS_WITH(validate(c), Catch::Contains("cosine"));
  c = paper_config();
  c.rounds = 4;
  c.global_epochs = 8;
  CHECK_THROWS_WITH(validate(c), Catch::Contains("--global-epochs"));
  CHECK_THROWS_WITH(parse_lr_shape("linear"), Catch::Contains("'linear' is not step or cosine"));
}
