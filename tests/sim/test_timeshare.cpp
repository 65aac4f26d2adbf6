// Time-sharing (workers on a platform's shared cores: cores_per_node) and the trainer's collective
// pattern (--algorithm c10d), with a complete measured profile so compute is known exactly.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "sim_test_util.hpp"

using namespace resist;
using namespace resist::sim;

namespace {

/// A complete profile of the small model: every layer `fwd` forward and 2 x `fwd` backward at batch 32,
/// no costs outside the layers. Returns the file's path and the model's step seconds.
std::pair<std::string, double> write_profile(const std::string& path, double fwd) {
  const Model m = make_model("preact_resnet_small", {});
  std::ofstream out(path);
  out << "# model=preact_resnet_small in_channels=3 image_size=32 classes=10 threads=1\n"
         "layer,batch,forward_s,backward_s,forward_cpu_s,backward_cpu_s\n";
  int layers = 0;
  for (const Block& b : m.blocks)
    for (const Layer& l : b.layers) {
      out << l.name << ",32," << fwd << "," << 2 * fwd << "," << fwd << "," << 2 * fwd << "\n";
      ++layers;
    }
  return {path, 3 * fwd * layers};
}

double compute_of(const SimResult& r, int worker, int round = 0) {
  double s = 0;
  for (const auto& e : test::events_of(r, worker, Phase::compute, round)) s += e.duration_s();
  return s;
}

} // namespace

TEST_CASE("time-sharing: 4 workers on 2 cores compute at half speed, 2 on 2 at full", "[sim][timeshare]") {
  const auto [profile, step_s] = write_profile("timeshare_profile.csv", 1e-3);
  for (int workers : {2, 4}) {
    const Schedule s = test::small_schedule(Protocol::local_sgd, workers, "preact_resnet_small", 0, 1, 2);
    SimOptions o;
    o.platform = "parametric:nodes=1,gpus_per_node=4,gpu=cpu,cores_per_node=2,intra_bw_GBps=1";
    o.profile = profile;
    o.collective = "c10d";
    o.threads = 1;
    const SimResult r = simulate(s, o);
    const double expect = 2 * step_s * (workers == 4 ? 2 : 1);
    for (int w = 0; w < workers; ++w) CHECK(compute_of(r, w) == Approx(expect).epsilon(1e-6));
  }
  // Two threads per worker: 2 workers want 4 cores of 2.
  const Schedule s = test::small_schedule(Protocol::local_sgd, 2, "preact_resnet_small", 0, 1, 2);
  SimOptions o;
  o.platform = "parametric:nodes=1,gpus_per_node=2,gpu=cpu,cores_per_node=2,intra_bw_GBps=1";
  o.profile = profile;
  o.threads = 2;
  CHECK(compute_of(simulate(s, o), 0) == Approx(2 * step_s * 2).epsilon(1e-6));
  // Without cores_per_node every worker has its own device.
  o.platform = "parametric:nodes=1,gpus_per_node=2,gpu=cpu,intra_bw_GBps=1";
  CHECK(compute_of(simulate(s, o), 0) == Approx(2 * step_s).epsilon(1e-6));
  std::remove(profile.c_str());
}

TEST_CASE("a measured step spread: a local-step round waits for its slowest worker", "[sim][timeshare]") {
  const auto [profile, step_s] = write_profile("spread_profile.csv", 1e-3);
  const Schedule s = test::small_schedule(Protocol::local_sgd, 2, "preact_resnet_small", 0, 1, 2);
  SimOptions o;
  o.platform = "parametric:nodes=1,gpus_per_node=2,gpu=cpu,intra_bw_GBps=1";
  o.profile = profile;
  o.collective = "c10d";
  CHECK(compute_of(simulate(s, o), 0) == Approx(2 * step_s).epsilon(1e-6)); // none measured: none modelled
  // Steps spread by 10% among ranks; a round of 2: 1 + E[max of 2 normals] x 0.1 / sqrt(2).
  o.step_spread_cv = 0.1;
  CHECK(compute_of(simulate(s, o), 0) == Approx(2 * step_s * (1 + 0.1 / std::sqrt(2 * M_PI))).epsilon(1e-6));
  o.step_spread_cv = -1;
  CHECK_THROWS_AS(simulate(s, o), InputError);
  std::remove(profile.c_str());
}

TEST_CASE("time-sharing: a worker that finishes early leaves its core to the others", "[sim][timeshare]") {
  // ResIST with 3 workers on 2 cores: sub-networks differ in size, so the shares change over the round.
  const auto [profile, step_s] = write_profile("timeshare_profile2.csv", 1e-3);
  const Schedule s = test::small_schedule(Protocol::resist, 3, "preact_resnet_small", 0, 1, 2);
  SimOptions o;
  o.platform = "parametric:nodes=1,gpus_per_node=3,gpu=cpu,cores_per_node=2,intra_bw_GBps=1";
  o.profile = profile;
  o.collective = "c10d";
  const SimResult shared = simulate(s, o);
  o.platform = "parametric:nodes=1,gpus_per_node=3,gpu=cpu,intra_bw_GBps=1";
  const SimResult alone = simulate(s, o);
  double work = 0, longest = 0;
  for (int w = 0; w < 3; ++w) {
    work += compute_of(alone, w);
    longest = std::max(longest, compute_of(shared, w));
    CHECK(compute_of(shared, w) > compute_of(alone, w)); // everyone is slowed down
  }
  // Processor sharing by hand: n running jobs share 2 cores, at most one core each.
  std::vector<double> left;
  for (int w = 0; w < 3; ++w) left.push_back(compute_of(alone, w));
  std::sort(left.begin(), left.end());
  double t = 0, done = 0;
  for (std::size_t k = 0; k < left.size(); ++k) {
    const double rate = std::min(1.0, 2.0 / static_cast<double>(left.size() - k));
    t += (left[k] - done) / rate;
    done = left[k];
  }
  CHECK(longest == Approx(t).epsilon(1e-6));
  CHECK(longest >= work / 2 - 1e-9);
  std::remove(profile.c_str());
}

TEST_CASE("c10d pattern: groups created once, the loss check holds everyone, bytes as core", "[sim][c10d]") {
  // 4 workers, min depth 2: holder sets of 2-3 workers appear; each subgroup is created the first time only.
  const Schedule s = test::small_schedule(Protocol::resist, 4, "preact_resnet_small", 3, 4, 2);
  SimOptions o;
  o.platform = "parametric:nodes=1,gpus_per_node=4,intra_bw_GBps=10";
  o.collective = "c10d";
  o.params["group_create_s"] = 0.5;
  const SimResult r = simulate(s, o);
  int creations = 0, loss_checks = 0;
  std::vector<int> per_round(4, 0);
  for (const auto& e : r.timeline) {
    if (e.label == "group_create groups+calls") {
      ++creations;
      ++per_round[static_cast<std::size_t>(e.round)];
      const double groups = e.duration_s() / 0.5; // a worker may join several new groups in one round
      CHECK(groups == Approx(std::round(groups)));
      CHECK(std::round(groups) >= 1); // durations are differences of clock readings: 0.99999... is one
    }
    if (e.label == "loss_check") ++loss_checks;
  }
  CHECK(creations > 0);
  CHECK(per_round[0] > 0);
  CHECK(loss_checks == 4 * 4);
  // The loss check ends at the same time for everyone in a round.
  for (int round = 0; round < 4; ++round) {
    double end = -1;
    for (const auto& e : r.timeline)
      if (e.label == "loss_check" && e.round == round) {
        if (end < 0) end = e.end_s;
        CHECK(e.end_s == Approx(end));
      }
  }
  CHECK(r.payload_bytes > 0);
}

TEST_CASE("background threads of other programs take their share of the cores", "[sim][timeshare]") {
  const auto [profile, step_s] = write_profile("timeshare_profile3.csv", 1e-3);
  const Schedule s = test::small_schedule(Protocol::local_sgd, 2, "preact_resnet_small", 0, 1, 2);
  SimOptions o;
  o.platform = "parametric:nodes=1,gpus_per_node=2,gpu=cpu,cores_per_node=2,intra_bw_GBps=1";
  o.profile = profile;
  o.threads = 1;
  // 2 + b busy threads on 2 cores: each gets 2 / (2 + b) of a core. A fractional thread uses at most its
  // fraction (max-min sharing): with 0.5, ours get (2 - 0.5) / 2 = 0.75 each.
  for (const auto& [background, slowdown] : {std::pair{0.0, 1.0}, {2.0, 2.0}, {1.0, 1.5}, {0.5, 4.0 / 3}}) {
    INFO(background);
    o.background_threads = background;
    CHECK(compute_of(simulate(s, o), 0) == Approx(2 * step_s * slowdown).epsilon(1e-6));
  }
  o.background_threads = -1;
  CHECK_THROWS_AS(simulate(s, o), InputError);
  std::remove(profile.c_str());
}

TEST_CASE("data parallel: a round's fixed costs are paid once, before its steps, also when steps are reused",
          "[sim][reuse]") {
  auto [profile, step_s] = write_profile("dp_fixed_profile.csv", 1e-3);
  const double first_step_s = 0.05, create_s = 0.01;
  {
    std::ofstream out(profile, std::ios::app);
    out << "@first_step,32," << first_step_s << ",0," << first_step_s << ",0\n"
        << "@optimizer_create,32," << create_s << ",0," << create_s << ",0\n";
  }
  const Schedule s = test::small_schedule(Protocol::data_parallel, 2, "preact_resnet_small", 0, 3, 4);
  SimOptions o;
  o.platform = "parametric:nodes=1,gpus_per_node=2,gpu=cpu,intra_bw_GBps=1";
  o.profile = profile;
  o.collective = "c10d";
  o.threads = 1;
  o.timeline = true;
  const SimResult reused = simulate(s, o);
  o.reuse = false;
  const SimResult full = simulate(s, o);
  CHECK(reused.total_s == Approx(full.total_s).epsilon(1e-9));
  CHECK(reused.compute_s == Approx(full.compute_s).epsilon(1e-9));
  // Round 0 pays the first step on top of what round 1 pays; every round re-creates the optimizer.
  CHECK(compute_of(reused, 0, 0) - compute_of(reused, 0, 1) == Approx(first_step_s).epsilon(1e-6));
  CHECK(compute_of(full, 0, 1) == Approx(compute_of(reused, 0, 1)).epsilon(1e-9));
  CHECK(compute_of(reused, 0, 1) >= 4 * step_s + create_s - 1e-9);
  std::remove(profile.c_str());
}
