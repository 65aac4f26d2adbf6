// Elastic segments: the rounds left, re-planned for the survivors, chained to the schedule that ran.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "core/elastic.hpp"
#include "core/error.hpp"
#include "core/schedule_io.hpp"

using namespace resist;

namespace {
Schedule four_workers(Protocol protocol = Protocol::resist) {
  RunConfig c;
  c.dataset = "cifar10";
  c.protocol = protocol;
  c.workers = 4;
  c.rounds = 9;
  c.local_steps = 10;
  c.lr_decay_at = {0.5};
  return make_schedule(c);
}
} // namespace

TEST_CASE("a segment goes on with the run's steps, learning rates and each survivor's data", "[core]") {
  const Schedule s = four_workers();
  const Schedule g = make_segment(s, schedule_hash(s), 3, {0, 2, 3});
  CHECK(g.config.workers == 3);
  CHECK(g.segment.first_round == 3);
  CHECK(g.segment.worker_origin == std::vector<int>{0, 2, 3});
  REQUIRE(g.rounds.size() == 6);
  for (std::size_t r = 0; r < g.rounds.size(); ++r) {
    const Round& mine = g.rounds[r];
    const Round& theirs = s.rounds[r + 3];
    CHECK(mine.round == static_cast<int>(r));
    CHECK(g.run_round(mine.round) == theirs.round);
    CHECK(mine.first_step == theirs.first_step);
    CHECK(mine.steps == theirs.steps);
    CHECK(mine.lr_at(0) == theirs.lr_at(0));
    REQUIRE(mine.workers.size() == 3);
    CHECK(mine.workers[0].data_seed == theirs.workers[0].data_seed);
    CHECK(mine.workers[1].data_seed == theirs.workers[2].data_seed);
    CHECK(mine.workers[2].data_seed == theirs.workers[3].data_seed);
    std::vector<int> held; // every partitionable block is still trained by someone
    for (const auto& w : mine.workers) held.insert(held.end(), w.blocks.begin(), w.blocks.end());
    std::sort(held.begin(), held.end());
    held.erase(std::unique(held.begin(), held.end()), held.end());
    CHECK(held == g.partitionable);
  }
  // The learning rate decays at the run's half (step 45), inside the segment's round 1 (run round 4).
  CHECK(g.rounds[1].lr_at(4) == Approx(s.config.lr));
  CHECK(g.rounds[1].lr_at(5) == Approx(s.config.lr * 0.1));
}

TEST_CASE("a segment's hash chains to its parent's, and the document round-trips", "[core]") {
  const Schedule s = four_workers();
  const std::string h = schedule_hash(s);
  const Schedule g = make_segment(s, h, 3, {1, 2, 3});
  const Schedule back = schedule_from_json(nlohmann::json::parse(schedule_to_string(g)));
  CHECK(schedule_hash(back) == schedule_hash(g));
  CHECK(back.segment.parent_hash == h);
  CHECK(back.segment.worker_origin == g.segment.worker_origin);
  // Another parent gives another segment hash, with everything else equal.
  Schedule other = g;
  other.segment.parent_hash = "xxh3-128:00000000000000000000000000000000";
  CHECK(schedule_hash(other) != schedule_hash(g));
  // An original schedule's document has no segment: its hash is what it was before segments existed.
  CHECK_FALSE(schedule_to_json(s).contains("segment"));
}

TEST_CASE("a segment of a segment keeps the original workers' identities", "[core]") {
  const Schedule s = four_workers();
  const Schedule g1 = make_segment(s, schedule_hash(s), 2, {0, 1, 3});
  const Schedule g2 = make_segment(g1, schedule_hash(g1), 3, {0, 2});
  CHECK(g2.segment.first_round == 5);
  CHECK(g2.segment.worker_origin == std::vector<int>{0, 3});
  CHECK(g2.rounds.size() == 4);
  CHECK(g2.rounds[0].first_step == 50);
  CHECK(g2.rounds[0].workers[1].data_seed == s.rounds[0].workers[3].data_seed);
  CHECK(g2.segment.parent_hash == schedule_hash(g1));
}

TEST_CASE("a segment that cannot run is refused by name", "[core]") {
  const Schedule s = four_workers();
  const std::string h = schedule_hash(s);
  CHECK_THROWS_AS(make_segment(s, h, 0, {0, 1}), InputError);      // before any round ran
  CHECK_THROWS_AS(make_segment(s, h, 9, {0, 1}), InputError);      // after the last
  CHECK_THROWS_AS(make_segment(s, h, 3, {}), InputError);
  CHECK_THROWS_AS(make_segment(s, h, 3, {0, 4}), InputError);      // no worker 4
  CHECK_THROWS_AS(make_segment(s, h, 3, {2, 1}), InputError);      // not ascending
  CHECK_THROWS_AS(make_segment(s, "", 3, {0, 1}), InputError);
  CHECK_THROWS_AS(make_segment(four_workers(Protocol::layer_parallel), h, 3, {0, 1}), InputError);
  // Local SGD and data parallel shrink like ResIST: everyone holds everything.
  const Schedule dp = four_workers(Protocol::data_parallel);
  CHECK(make_segment(dp, schedule_hash(dp), 4, {0, 1}).rounds[0].workers[1].blocks == dp.partitionable);
}

TEST_CASE("a segment document that lies about its place is rejected", "[core]") {
  const Schedule s = four_workers();
  const Schedule g = make_segment(s, schedule_hash(s), 3, {0, 2, 3});
  nlohmann::json j = schedule_to_json(g);
  j["segment"]["first_round"] = 4; // rounds would start at the wrong step
  j["hash"] = schedule_document_hash(j);
  CHECK_THROWS_AS(schedule_from_json(j), InputError);
  j = schedule_to_json(g);
  j["segment"]["worker_origin"] = {0, 2, 2};
  j["hash"] = schedule_document_hash(j);
  CHECK_THROWS_AS(schedule_from_json(j), InputError);
  j = schedule_to_json(g);
  j["segment"]["worker_origin"] = {0, 2};
  j["hash"] = schedule_document_hash(j);
  CHECK_THROWS_AS(schedule_from_json(j), InputError);
}

TEST_CASE("a run's segment chain is checked link by link, a broken link named by both hashes", "[core]") {
  const Schedule s = four_workers();
  const Schedule g1 = make_segment(s, schedule_hash(s), 3, {0, 2, 3});
  const Schedule g2 = make_segment(g1, schedule_hash(g1), 2, {0, 2}); // run round 5, workers 0 and 3 left
  const std::vector<std::string> names{"schedule.json", "schedule.1.json", "schedule.2.json"};
  CHECK_NOTHROW(check_segment_chain({s, g1, g2}, names));
  CHECK_NOTHROW(check_segment_chain({s}, {"schedule.json"}));

  // schedule.2.json chained to the original instead of schedule.1.json
  const Schedule skipped = make_segment(s, schedule_hash(s), 5, {0, 3});
  try {
    check_segment_chain({s, g1, skipped}, names);
    FAIL("a segment whose parent is not the one before it was accepted");
  } catch (const InputError& e) {
    const std::string m = e.what();
    CHECK(m.find("schedule.2.json") != std::string::npos);
    CHECK(m.find(schedule_hash(s)) != std::string::npos);  // the parent hash it states
    CHECK(m.find(schedule_hash(g1)) != std::string::npos); // the hash it should state
  }
  // the right parent hash over rounds that are not the re-plan (another run's segment, edited by hand)
  Schedule edited = g1;
  edited.rounds.back().steps += 1;
  try {
    check_segment_chain({s, edited}, {"schedule.json", "schedule.1.json"});
    FAIL("a segment that is not its parent's re-plan was accepted");
  } catch (const InputError& e) {
    const std::string m = e.what();
    CHECK(m.find(schedule_hash(edited)) != std::string::npos);
    CHECK(m.find(schedule_hash(g1)) != std::string::npos);
  }
}
