// Events replayed (sim/elastic_replay.hpp): a failure costs the rounds before it, detection, the rebuild and
// the survivors' segment (or a restart and the rounds since the checkpoint); a straggler slows only its
// rounds; a degraded link slows only communication. Hand-checkable against plain simulations.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "core/elastic.hpp"
#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "core/schedule_io.hpp"
#include "sim/elastic_replay.hpp"
#include "sim/events.hpp"
#include "sim_test_util.hpp"

using namespace resist;
using namespace resist::sim;

namespace {

SimOptions four_nodes() {
  SimOptions o;
  o.platform = "parametric:nodes=4,gpus_per_node=1";
  return o;
}

Event fail_at_round(int worker, int round) {
  Event e;
  e.kind = EventKind::fail;
  e.worker = worker;
  e.round = round;
  return e;
}

double round_s(const SimResult& r, int round) {
  return r.round_end_s.at(static_cast<std::size_t>(round)) - (round > 0 ? r.round_end_s.at(static_cast<std::size_t>(round - 1)) : 0);
}

double phase_of(const SimResult& r, int worker, int round, Phase phase) {
  double s = 0;
  for (const auto& e : test::events_of(r, worker, phase, round)) s += e.duration_s();
  return s;
}

} // namespace

TEST_CASE("a failure at round r: rounds before it on 4, detection, rebuild, the rest on the survivors' segment",
          "[sim][events]") {
  const Schedule s = test::small_schedule(Protocol::resist, 4, "preact_resnet_small", 1, 6, 2);
  const SimOptions o = four_nodes();
  FailurePolicy p;
  p.detect_s = 60;
  p.rebuild_s = 5;
  const EventRun run = replay_with_events({s}, {fail_at_round(1, 3)}, o, p);
  const SimResult plain = simulate(s, o);
  const Schedule seg = make_segment(s, schedule_hash(s), 3, {0, 2, 3});
  const SimResult rest = simulate(seg, o);
  CHECK(rest.rounds == 3);
  CHECK(run.result.total_s == Approx(plain.round_end_s.at(2) + 60 + 5 + rest.total_s).epsilon(1e-9));
  CHECK(run.baseline_s == Approx(plain.total_s).epsilon(1e-12));
  CHECK(run.lost_s == Approx(run.result.total_s - plain.total_s).epsilon(1e-12));
  REQUIRE(run.chain.size() == 2);
  CHECK(schedule_hash(run.chain.back()) == schedule_hash(seg)); // the trainer's re-plan, exactly
  REQUIRE(run.events.size() == 1);
  CHECK(run.events[0].lost_s == Approx(65));
  CHECK(run.events[0].run_round == 3);
  CHECK(run.events[0].workers_after == 3);
  CHECK(run.failures == 1);
  // A failure at a time inside round 3 also loses the round's work so far.
  Event at_time;
  at_time.worker = 1;
  at_time.time_s = plain.round_end_s.at(2) + 0.25 * round_s(plain, 3);
  const EventRun timed = replay_with_events({s}, {at_time}, o, p);
  CHECK(timed.events.at(0).run_round == 3);
  CHECK(timed.events.at(0).lost_s == Approx(65 + 0.25 * round_s(plain, 3)).epsilon(1e-9));
  CHECK(timed.result.total_s == Approx(at_time.time_s + 65 + rest.total_s).epsilon(1e-9));
  // The platform's own rebuild: a group of the 3 survivors as the platform creates one.
  p.rebuild_s = -1;
  const EventRun platform = replay_with_events({s}, {fail_at_round(1, 3)}, o, p);
  CHECK(platform.events.at(0).lost_s == Approx(60 + rest.group_rebuild_s));
  // A real run's chain that disagrees with the re-plan is refused.
  Schedule wrong = make_segment(s, schedule_hash(s), 3, {0, 2, 3});
  wrong.rounds.front().steps += 1;
  CHECK_THROWS_AS(replay_with_events({s, wrong}, {fail_at_round(1, 3)}, o, p), Error);
  CHECK_NOTHROW(replay_with_events({s, seg}, {fail_at_round(1, 3)}, o, p));
}

TEST_CASE("a segment replays from its first round: no fresh-process cost, the same rounds as the parent's",
          "[sim][events]") {
  const Model m = make_model("preact_resnet_small", {});
  const std::string profile = "events_profile.csv";
  {
    std::ofstream out(profile);
    out << "# model=preact_resnet_small in_channels=3 image_size=32 classes=10 threads=1\n"
           "layer,batch,forward_s,backward_s,forward_cpu_s,backward_cpu_s\n";
    for (const Block& b : m.blocks)
      for (const Layer& l : b.layers) out << l.name << ",32,0.001,0.002,0.001,0.002\n";
    out << "@first_step,32,0.5,0,0.5,0\n";
  }
  const Schedule s = test::small_schedule(Protocol::local_sgd, 4, "preact_resnet_small", 0, 6, 2);
  SimOptions o = four_nodes();
  o.profile = profile;
  const SimResult whole = simulate(s, o);
  // All four go on: the segment's rounds are the parent's rounds 2.., and its round 0 is no fresh process.
  const Schedule seg = make_segment(s, schedule_hash(s), 2, {0, 1, 2, 3});
  REQUIRE(seg.segment.first_round == 2);
  REQUIRE(seg.rounds.front().first_step > 0);
  const SimResult part = simulate(seg, o);
  CHECK(part.rounds == 4);
  CHECK(part.total_s == Approx(whole.total_s - whole.round_end_s.at(1)).epsilon(1e-9));
  CHECK(round_s(whole, 0) > round_s(whole, 1) + 0.4); // the run's own round 0 does pay it
  std::remove(profile.c_str());
}

TEST_CASE("restart from a checkpoint: detection, restart and the rounds since the checkpoint again", "[sim][events]") {
  const Schedule s = test::small_schedule(Protocol::data_parallel, 4, "preact_resnet_small", 0, 6, 2);
  const SimOptions o = four_nodes();
  FailurePolicy p;
  p.elastic = false;
  p.detect_s = 60;
  p.restart_s = 120;
  p.checkpoint_every = 2;
  const SimResult plain = simulate(s, o);
  const EventRun run = replay_with_events({s}, {fail_at_round(2, 5)}, o, p);
  const double rerun_s = plain.round_end_s.at(4) - plain.round_end_s.at(3); // round 4: since the checkpoint
  CHECK(run.events.at(0).lost_s == Approx(180 + rerun_s).epsilon(1e-9));
  CHECK(run.result.total_s == Approx(plain.total_s + 180 + rerun_s).epsilon(1e-9));
  CHECK(run.chain.size() == 1);
  // Without checkpoints everything before the failure runs again.
  p.checkpoint_every = 0;
  const EventRun never = replay_with_events({s}, {fail_at_round(2, 5)}, o, p);
  CHECK(never.result.total_s == Approx(plain.total_s + 180 + plain.round_end_s.at(4)).epsilon(1e-9));
}

TEST_CASE("a straggler for rounds a..b slows those rounds by the straggler's compute, no others", "[sim][events]") {
  const Schedule s = test::small_schedule(Protocol::resist, 4, "preact_resnet_small", 1, 6, 2);
  SimOptions o = four_nodes();
  o.timeline = true;
  const SimResult plain = simulate(s, o);
  SimOptions slow = o;
  slow.round_speed = {{2, 2, 4, 0.5}}; // worker 2 at half speed in rounds 2 and 3
  const SimResult r = simulate(s, slow);
  for (int round = 0; round < 6; ++round) {
    const bool in = round == 2 || round == 3;
    CHECK(phase_of(r, 2, round, Phase::compute) ==
          Approx((in ? 2 : 1) * phase_of(plain, 2, round, Phase::compute)).epsilon(1e-9));
    CHECK(phase_of(r, 0, round, Phase::compute) == Approx(phase_of(plain, 0, round, Phase::compute)).epsilon(1e-9));
    if (!in) {
      CHECK(round_s(r, round) == Approx(round_s(plain, round)).epsilon(1e-9));
      continue;
    }
    // The round waits for the straggler: it grows by how much later the slowest worker is done.
    double before = 0, after = 0;
    for (int w = 0; w < 4; ++w) {
      before = std::max(before, phase_of(plain, w, round, Phase::compute));
      after = std::max(after, phase_of(r, w, round, Phase::compute));
    }
    CHECK(after > before);
    CHECK(round_s(r, round) - round_s(plain, round) == Approx(after - before).epsilon(1e-6));
  }
  // The same through an events file, rounds given; until_s ends it after the round in progress then.
  Event e;
  e.kind = EventKind::slow;
  e.worker = 2;
  e.round = 2;
  e.factor = 0.5;
  e.until_s = r.round_end_s.at(2) + 0.5 * round_s(r, 3); // inside round 3
  const EventRun run = replay_with_events({s}, {e}, o, FailurePolicy{});
  CHECK(run.result.total_s == Approx(r.total_s).epsilon(1e-9));
  CHECK(run.lost_s == Approx(r.total_s - plain.total_s).epsilon(1e-9));
  // until_s before the round it starts with has begun: refused.
  e.until_s = r.round_end_s.at(0);
  CHECK_THROWS_AS(replay_with_events({s}, {e}, o, FailurePolicy{}), InputError);
}

TEST_CASE("a degraded link slows only communication", "[sim][events]") {
  const Schedule s = test::small_schedule(Protocol::local_sgd, 4, "preact_resnet_small", 0, 4, 2);
  SimOptions o = four_nodes();
  o.timeline = true;
  const SimResult plain = simulate(s, o);
  SimOptions link = o;
  link.round_link = {{1, 1, 3, 0.1}}; // worker 1's NIC at a tenth in rounds 1 and 2
  const SimResult r = simulate(s, link);
  for (int round = 0; round < 4; ++round) {
    const bool in = round == 1 || round == 2;
    for (int w = 0; w < 4; ++w)
      CHECK(phase_of(r, w, round, Phase::compute) == Approx(phase_of(plain, w, round, Phase::compute)).epsilon(1e-12));
    if (in) {
      CHECK(phase_of(r, 1, round, Phase::communication) > 2 * phase_of(plain, 1, round, Phase::communication));
      CHECK(round_s(r, round) > round_s(plain, round));
    } else {
      CHECK(round_s(r, round) == Approx(round_s(plain, round)).epsilon(1e-9));
    }
  }
  CHECK(r.compute_s == Approx(plain.compute_s).epsilon(1e-12));
  CHECK(r.comm_s > plain.comm_s);
}

TEST_CASE("periodic failures are evenly spaced and strike distinct workers in turn", "[sim][events]") {
  std::vector<int> seen;
  for (int k = 1; k <= 4; ++k) {
    const Event e = periodic_failure(k, 100, 4, 7);
    CHECK(e.time_s == Approx(100.0 * k));
    CHECK(e.kind == EventKind::fail);
    CHECK(e.worker == periodic_failure(k, 100, 4, 7).worker); // from the seed alone
    seen.push_back(e.worker);
  }
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<int>{0, 1, 2, 3});
  // Every failure of an elastic run removes one worker, until the survivors cannot go on.
  const Schedule s = test::small_schedule(Protocol::local_sgd, 4, "preact_resnet_small", 0, 6, 2);
  FailurePolicy p;
  p.failure_every_s = 0.4 * simulate(s, four_nodes()).total_s; // at 0.4 T, 0.8 T, 1.2 T, ...
  p.detect_s = 0;
  p.rebuild_s = 0;
  const EventRun run = replay_with_events({s}, {}, four_nodes(), p);
  CHECK(run.finished);
  CHECK(run.failures >= 2);
  CHECK(run.failures <= 3);
  CHECK(run.chain.back().config.workers == 4 - run.failures);
}

TEST_CASE("events files: the format and its bad input", "[sim][events]") {
  const std::string header = "time_s,round,worker,event,factor,until_s\n";
  const auto ok = parse_events(header + ",3,1,fail,,\n12.5,,2,slow,0.5,30\n,1,0,link,0.25,\n", "e.csv", 4);
  REQUIRE(ok.size() == 3);
  CHECK(ok[0].round == 3);
  CHECK(ok[0].time_s < 0);
  CHECK(ok[1].until_s == 30);
  CHECK(ok[2].kind == EventKind::link);
  CHECK(parse_events(events_csv(ok), "again.csv", 4).size() == 3);
  CHECK(events_csv(ok) == events_csv(parse_events(events_csv(ok), "again.csv", 4)));
  for (const char* bad : {",3,1,explode,,\n", ",3,4,fail,,\n", "10,,1,slow,0.5,5\n", "x,,1,fail,,\n",
                          ",1.5,1,fail,,\n", ",,1,fail,,\n", ",1,1,slow,,\n", ",1,1,slow,0,\n", ",1,1,slow,inf,\n",
                          ",1,-1,fail,,\n"})
    CHECK_THROWS_AS(parse_events(header + bad, "bad.csv", 4), InputError);
  CHECK_THROWS_AS(read_events("no_such_events.csv", 4), InputError);
}
