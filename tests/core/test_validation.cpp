// Predicted vs measured arithmetic (core/validation.hpp) on hand-made timelines, and the profile format
// (core/profile.hpp): what it accepts, what it rejects and how it names the first mismatch.
#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "core/profile.hpp"
#include "core/validation.hpp"

using namespace resist;

namespace {
TimelineEvent ev(int round, int worker, Phase p, double a, double b) { return {round, worker, p, a, b, 0, 0, "x"}; }
} // namespace

TEST_CASE("round phases: span over workers, phases as means, idle as the rest", "[core][validation]") {
  // Round 0: worker 0 computes 0-2 then syncs 2-3; worker 1 computes 0-1, waits, syncs 2-3 (overhead 1-1.5).
  const std::vector<TimelineEvent> e = {ev(0, 0, Phase::compute, 0, 2), ev(0, 0, Phase::communication, 2, 3),
                                        ev(0, 1, Phase::compute, 0, 1), ev(0, 1, Phase::overhead, 1, 1.5),
                                        ev(0, 1, Phase::communication, 2, 3)};
  const auto p = round_phases(e, 1, 2);
  REQUIRE(p.size() == 1);
  CHECK(p[0].total_s == Approx(3));
  CHECK(p[0].compute_s == Approx(1.5));
  CHECK(p[0].communication_s == Approx(1));
  CHECK(p[0].overhead_s == Approx(0.25));
  CHECK(p[0].idle_s == Approx(0.25));
}

TEST_CASE("compare: signed errors, median, p90, max and the whole run", "[core][validation]") {
  // Measured rounds of 10 s; predicted 9, 10, 11, 12, 15 s: errors -10, 0, +10, +20, +50 %.
  std::vector<TimelineEvent> pred, meas;
  const double p_len[] = {9, 10, 11, 12, 15};
  double tp = 0, tm = 0;
  for (int r = 0; r < 5; ++r) {
    pred.push_back(ev(r, 0, Phase::compute, tp, tp + p_len[r]));
    meas.push_back(ev(r, 0, Phase::compute, tm, tm + 10));
    tp += p_len[r];
    tm += 10;
  }
  const Validation v = compare_timelines(pred, meas, 5, 1, {{"startup", 2, 4, 0}, {"evaluation", 1, 1, 0}}, 0);
  REQUIRE(v.rounds.size() == 5);
  CHECK(v.rounds[0].error_pct == Approx(-10));
  CHECK(v.median_round_error_pct == Approx(10));
  CHECK(v.median_abs_round_error_pct == Approx(10));
  CHECK(v.p90_round_error_pct == Approx(38)); // abs errors 0,10,10,20,50: at 0.9 -> 20 + 0.6 x 30
  CHECK(v.max_round_error_pct == Approx(50));
  CHECK(v.rounds_error_pct == Approx(14)); // 57 vs 50
  // Whole run: 57 + 2 + 1 = 60 predicted, 50 + 4 + 1 = 55 measured.
  CHECK(v.parts.back().name == "total");
  CHECK(v.total_error_pct == Approx(100.0 * 5 / 55));
  // A measured wall-clock overrides the measured sum.
  CHECK(compare_timelines(pred, meas, 5, 1, {}, 60).total_error_pct == Approx(-5));
  CHECK(v.median_phase_error_pct.compute_s == Approx(10)); // all of the error is compute here
  CHECK(v.median_phase_error_pct.communication_s == 0);
  const auto j = v.to_json();
  for (const char* k : {"median_round_error_pct", "p90_round_error_pct", "max_round_error_pct", "total_error_pct"})
    CHECK(j["summary"].contains(k));
  CHECK(j["rounds"].size() == 5);
  CHECK(v.rows_csv().find("total,,60.000000,55.000000,9.091") != std::string::npos);
}

TEST_CASE("background threads from the load average at a run's start and end", "[core][validation]") {
  // A load of 6 held for 60 s from a start of 2: the end reads 6 - 4/e; 2 threads are the run's own.
  const double end = 6 - 4 * std::exp(-1.0);
  CHECK(background_threads_from_load(2, end, 60, 2) == Approx(4));
  CHECK(background_threads_from_load(2, 2, 600, 2) == Approx(0).margin(1e-9)); // only the run itself
  CHECK(background_threads_from_load(-1, 3, 60, 2) == 0);                       // unknown
  CHECK(background_threads_from_load(5, 1, 60, 2) == 0);                        // never negative
}

TEST_CASE("error_pct and quantile edge cases", "[core][validation]") {
  CHECK(error_pct(0, 0) == 0);
  CHECK(error_pct(1, 0) == 100);
  CHECK(error_pct(3, 2) == Approx(50));
  CHECK(quantile({}, 0.5) == 0);
  CHECK(quantile({4}, 0.9) == 4);
  CHECK(quantile({1, 2, 3, 4}, 0.5) == Approx(2.5));
}

namespace {
/// A complete profile of `model`: every layer 1 ms forward, 2 ms backward.
std::string complete_profile(const Model& m, const std::string& name_in_meta) {
  std::string s = "# resist profile v1\n# model=" + name_in_meta + " in_channels=" + std::to_string(m.in_channels) +
                  " image_size=" + std::to_string(m.image_size) + " classes=" + std::to_string(m.classes) +
                  " threads=2\nlayer,batch,forward_s,backward_s,forward_cpu_s,backward_cpu_s\n";
  for (const Block& b : m.blocks)
    for (const Layer& l : b.layers) s += l.name + ",32,0.001,0.002,0.001,0.002\n";
  return s + "@batch,32,0.004,0,0.004,0\n@autograd,32,-0.001,0.003,0,0\n";
}
} // namespace

TEST_CASE("profile: round trip, costs scaled by batch, threads", "[core][profile]") {
  const Model m = make_model("preact_resnet_small", {1, 28, 10});
  const Profile p = Profile::parse(complete_profile(m, m.name), "t.csv");
  CHECK(p.complete());
  CHECK(p.threads() == 2);
  CHECK_NOTHROW(p.check_against(m));
  CHECK(p.cost(profile_cost::batch, 64).forward_s == Approx(0.008));
  CHECK(p.cost(profile_cost::autograd, 32).forward_s == Approx(-0.001)); // the only cost that may be < 0
  CHECK(p.cost(profile_cost::eval_image, 32).forward_s == 0);            // absent: zero
  const Profile q = Profile::parse(p.to_csv(), "again.csv");
  CHECK(q.layers.size() == p.layers.size());
  CHECK(q.costs.size() == 2);
  CHECK(q.get("model") == m.name);
}

TEST_CASE("profile: another model or shape is rejected naming the first mismatch", "[core][profile]") {
  const Model m = make_model("preact_resnet_small", {1, 28, 10});
  auto message = [&](const Profile& p, const Model& against) {
    try {
      p.check_against(against);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  const Profile p = Profile::parse(complete_profile(m, m.name), "t.csv");
  CHECK(message(p, make_model("preact_resnet18_cifar", {})) ==
        "the profile is of model preact_resnet_small, the run's is preact_resnet18_cifar");
  CHECK(message(p, make_model("preact_resnet_small", {3, 28, 10})) ==
        "the profile has in_channels=1, the run's model has 3");
  CHECK(message(p, make_model("preact_resnet_small", {1, 32, 10})) ==
        "the profile has image_size=28, the run's model has 32");
  // A complete profile missing a layer names it.
  std::string text = complete_profile(m, m.name);
  const auto at = text.find("layer3.1.conv2,");
  text.erase(at, text.find('\n', at) - at + 1);
  CHECK(message(Profile::parse(text, "t.csv"), m) == "the profile lacks layer 'layer3.1.conv2' of preact_resnet_small");
  // A legacy partial profile naming a layer the model lacks.
  CHECK(message(Profile::parse("layer,batch,forward_s,backward_s\nlayer9.0.conv1,8,1,1\n", "l.csv"), m) ==
        "the profile names layer 'layer9.0.conv1', which preact_resnet_small lacks");
}

TEST_CASE("profile: malformed files are InputErrors", "[core][profile]") {
  const char* bad[] = {
      "",                                                                  // no header
      "name,batch,f,b\nconv1,1,1,1\n",                                     // wrong header
      "layer,batch,forward_s,backward_s\nconv1,1,1\n",                     // missing field
      "layer,batch,forward_s,backward_s\nconv1,0,1,1\n",                   // batch 0
      "layer,batch,forward_s,backward_s\nconv1,1.5,1,1\n",                 // fractional batch
      "layer,batch,forward_s,backward_s\nconv1,1,-1,1\n",                  // negative time
      "layer,batch,forward_s,backward_s\nconv1,1,inf,1\n",                 // infinite
      "layer,batch,forward_s,backward_s\nconv1,1,nan,1\n",                 // NaN
      "layer,batch,forward_s,backward_s\nconv1,1,1,1\nconv1,1,1,1\n",      // twice
      "layer,batch,forward_s,backward_s\n@bogus,1,1,1\n",                  // unknown cost
      "layer,batch,forward_s,backward_s\n",                                // no rows
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_THROWS_AS(Profile::parse(text, "bad.csv"), InputError);
  }
}
