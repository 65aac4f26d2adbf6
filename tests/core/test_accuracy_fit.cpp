// Beyond the measured curve (core/accuracy_fit.hpp): the schedule's learning-rate phases, the inverse fit on
// curves of known parameters, its error on held-back evaluations, and the refusal to cross a decay.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/accuracy_fit.hpp"
#include "core/error.hpp"

using namespace resist;

namespace {

// 40 rounds of 10 steps (20 steps per epoch, 20 epochs), decays after epochs 10 and 15: rounds 20 and 30.
Schedule decaying_schedule(LrShape shape = LrShape::step) {
  RunConfig c;
  c.model = "preact_resnet_small";
  c.workers = 2;
  c.local_steps = 10;
  c.batch = 32;
  c.epochs = 20;
  c.train_size = 640;
  c.lr_shape = shape;
  return make_schedule(c);
}

// acc(k) = 90 - 1/(0.01 k + 0.02): 40% at k = 0, 84.44% at k = 16, 85.45% at the decay (k = 20).
const InverseFit kTruth{90, 0.01, 0.02};

AccuracyCurve synthetic(const std::vector<double>& rounds, double first_round = 0, double noise_pts = 0) {
  AccuracyCurve c{"synthetic", "rounds", {}};
  int i = 0;
  for (double r : rounds) c.points.push_back({r, kTruth.at(r - first_round) + (i++ % 2 ? noise_pts : -noise_pts), -1});
  return c;
}

} // namespace

TEST_CASE("learning-rate phases: split at the step decays, one phase for a cosine", "[core][accuracy]") {
  const auto p = lr_phases(decaying_schedule());
  REQUIRE(p.size() == 3);
  CHECK(p[0].first_round == 0);
  CHECK(p[0].end_round == Approx(20));
  CHECK(p[1].first_round == Approx(20));
  CHECK(p[1].lr == Approx(p[0].lr * 0.1));
  CHECK(p[2].end_round == 40);
  CHECK(lr_phases(decaying_schedule(LrShape::cosine)).size() == 1);
}

TEST_CASE("learning-rate phases: a local SGD warm-up's hand-over to ResIST is a boundary", "[core][accuracy]") {
  RunConfig c = decaying_schedule().config;
  c.min_depth = 1;
  c.local_sgd_warmup_rounds = 5;
  const auto p = lr_phases(make_schedule(c));
  REQUIRE(p.size() == 4); // warm-up, ResIST until the first decay, and the two decayed phases
  CHECK(p[0].end_round == 5);
  CHECK(p[1].first_round == 5);
  CHECK(p[1].lr == Approx(p[0].lr)); // the same rate on both sides of the hand-over
  CHECK(p[1].end_round == Approx(20));
}

TEST_CASE("inverse fit: recovers known parameters; fewer than 3 points or a falling curve refused",
          "[core][accuracy]") {
  std::vector<double> k, y;
  for (double x : {0.0, 3.0, 7.0, 12.0, 18.0, 25.0}) {
    k.push_back(x);
    y.push_back(kTruth.at(x));
  }
  const InverseFit f = fit_inverse(k, y);
  CHECK(f.a_pct == Approx(90).epsilon(1e-3));
  CHECK(f.b == Approx(0.01).epsilon(1e-2));
  CHECK(f.c == Approx(0.02).epsilon(1e-2));
  CHECK(f.rounds_to(85) == Approx(18).epsilon(1e-2)); // 1/(90 - 85) = 0.01 k + 0.02
  CHECK(f.rounds_to(95) == -1);                        // above the asymptote: never
  CHECK_THROWS_AS(fit_inverse({1, 2}, {50, 60}), InputError);
  CHECK_THROWS_AS(fit_inverse({1, 2, 3, 4}, {80, 70, 60, 50}), InputError);
}

TEST_CASE("extrapolation: held-back error, targets within the phase only, never across a decay",
          "[core][accuracy]") {
  const Schedule s = decaying_schedule();
  std::vector<double> ends;
  for (int r = 1; r <= 40; ++r) ends.push_back(10.0 * r); // every round 10 s
  // Eight evaluations in phase 1 (rounds 2..16): six fitted, two held back.
  const AccuracyCurve c = synthetic({2, 4, 6, 8, 10, 12, 14, 16});
  const CurveExtrapolation e = extrapolate_curve(c, s);
  REQUIRE(e.usable);
  CHECK(e.phase == 0);
  CHECK(e.fitted == 6);
  CHECK(e.held_back == 2);
  CHECK(e.held_back_rms_pts < 1e-3);
  CHECK(e.range.end_round == Approx(20));
  auto t = time_to_targets(c, ends, {80, 85, 86});
  extrapolate_targets(t, e, ends);
  CHECK_FALSE(t[0].extrapolated); // measured: 80% at the evaluation after round 8
  CHECK(t[0].time_s == 80);
  CHECK(t[1].reached);            // 85% first at k = 18, between the last evaluation (16) and the decay (20)
  CHECK(t[1].extrapolated);
  CHECK(t[1].rounds == Approx(18).epsilon(1e-2));
  CHECK(t[1].time_s == Approx(180).epsilon(1e-2));
  CHECK_FALSE(t[2].reached);      // 86% only at k = 23, after the decay at round 20: not reached
  CHECK(e.rounds_to(86) == -1);
  CHECK(e.describe().find("fit error 0.00 pts") != std::string::npos);

  // Noise of +-0.3 points: the held-back error says so, the asymptote stays near.
  const CurveExtrapolation noisy = extrapolate_curve(synthetic({2, 4, 6, 8, 10, 12, 14, 16}, 0, 0.3), s);
  REQUIRE(noisy.usable);
  CHECK(noisy.held_back_rms_pts > 0.1);
  CHECK(noisy.held_back_rms_pts < 2);

  // Anchored at the last evaluation: a fit that would pass a target before it (here the last evaluation sits
  // 0.3 points high, the ones before alternate) still crosses every target above it after it, in order.
  const AccuracyCurve low = synthetic({2, 4, 6, 8, 10, 12, 14, 16}, 0, 0.3);
  const CurveExtrapolation anchored = extrapolate_curve(low, s);
  REQUIRE(anchored.usable);
  CHECK(anchored.fit.at(16) == Approx(low.points.back().accuracy_pct));
  double before = 16;
  for (double target = low.points.back().accuracy_pct + 0.05; target < 85.2; target += 0.1) {
    const double at = anchored.rounds_to(target);
    REQUIRE(at > before);
    before = at;
  }

  // The second phase: evaluations before the decay are not fitted; k counts from the decay.
  AccuracyCurve two = synthetic({4, 8, 12, 16, 20});
  for (double r : {22.0, 23.0, 24.0, 25.0, 26.0}) two.points.push_back({r, kTruth.at(r - 20) + 5, -1});
  const CurveExtrapolation second = extrapolate_curve(two, s);
  REQUIRE(second.usable);
  CHECK(second.phase == 1);
  CHECK(second.fitted + second.held_back == 5);
  CHECK(second.fit.a_pct == Approx(95).epsilon(1e-3));
  CHECK(second.rounds_to(94) == -1); // k = 98 past round 20: beyond the decay at round 30
}

TEST_CASE("extrapolation refused: too few evaluations, a curve ending at a decay, a cosine", "[core][accuracy]") {
  const Schedule s = decaying_schedule();
  CHECK_FALSE(extrapolate_curve(synthetic({4, 8, 12}), s).usable);
  const CurveExtrapolation at_decay = extrapolate_curve(synthetic({4, 8, 12, 16, 20}), s);
  CHECK_FALSE(at_decay.usable);
  CHECK(at_decay.why_not.find("decay") != std::string::npos);
  CHECK_FALSE(extrapolate_curve(synthetic({2, 4, 6, 8, 10}), decaying_schedule(LrShape::cosine)).usable);
}
