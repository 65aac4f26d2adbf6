// Seed variance of time to accuracy (core/accuracy_seeds.hpp): median and range over seeds, runs of another
// seed accepted, runs differing in more than the seed refused naming the field, mismatched seed sets refused.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "core/accuracy_seeds.hpp"
#include "core/error.hpp"
#include "core/schedule_io.hpp"

using namespace resist;

namespace {

TargetTime at(double s) {
  TargetTime t;
  t.reached = true;
  t.time_s = s;
  return t;
}

Schedule schedule_of(std::uint64_t seed, int epochs = 2) {
  RunConfig c;
  c.model = "preact_resnet_small";
  c.workers = 2;
  c.local_steps = 10;
  c.batch = 32;
  c.epochs = epochs;
  c.train_size = 640;
  c.seed = seed;
  return make_schedule(c);
}

std::string run_dir(const std::string& name, const Schedule& s) {
  const auto dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "schedule.json") << schedule_to_string(s);
  std::ofstream(dir / "eval.csv") << "round,accuracy,loss,images,eval_s\n1,0.5,1.2,640,0.1\n3,0.75,0.8,640,0.1\n";
  return dir.string();
}

} // namespace

TEST_CASE("seed spread: median (odd, even), range, seeds that never reach count as infinitely late",
          "[core][accuracy]") {
  const SeedSpread odd = seed_spread({at(30), at(10), at(20)});
  CHECK(odd.median_reached);
  CHECK(odd.median_s == 20);
  CHECK(odd.min_s == 10);
  CHECK(odd.max_s == 30);
  CHECK(odd.reached == 3);
  const SeedSpread even = seed_spread({at(40), at(10), at(20), at(30)});
  CHECK(even.median_s == 25); // mean of the two middle seeds
  // One of three never reaches: the median is still the middle one, the slowest is "not reached".
  const SeedSpread one_short = seed_spread({at(10), TargetTime{}, at(20)});
  CHECK(one_short.median_reached);
  CHECK(one_short.median_s == 20);
  CHECK_FALSE(one_short.max_reached);
  CHECK(one_short.reached == 2);
  // Two of four never reach: the upper middle is infinite, so the median is not reached.
  CHECK_FALSE(seed_spread({at(10), TargetTime{}, at(20), TargetTime{}}).median_reached);
  TargetTime fitted = at(50);
  fitted.extrapolated = true;
  CHECK(seed_spread({at(10), fitted}).extrapolated == 1);
}

TEST_CASE("seed curves: another seed accepted, another config refused naming the field and both hashes",
          "[core][accuracy]") {
  const Schedule simulated = schedule_of(1);
  const SeedCurve same = read_seed_curve(run_dir("resist_seed_1", simulated), simulated);
  CHECK(same.seed_known);
  CHECK(same.seed == 1);
  const SeedCurve other = read_seed_curve(run_dir("resist_seed_7", schedule_of(7)), simulated);
  CHECK(other.seed == 7);
  CHECK(other.curve.points.size() == 2);
  const Schedule longer = schedule_of(7, 3);
  try {
    read_seed_curve(run_dir("resist_seed_epochs", longer), simulated);
    FAIL("a run of another config was accepted");
  } catch (const InputError& e) {
    const std::string what = e.what();
    CHECK(what.find("epochs 3") != std::string::npos);
    CHECK(what.find(schedule_hash(longer)) != std::string::npos);
    CHECK(what.find(schedule_hash(simulated)) != std::string::npos);
  }
  for (const char* d : {"resist_seed_1", "resist_seed_7", "resist_seed_epochs"})
    std::filesystem::remove_all(std::filesystem::temp_directory_path() / d);
}

TEST_CASE("seed sets: a seed twice, or protocols over different seeds, refused", "[core][accuracy]") {
  auto run = [](std::uint64_t seed, const char* source) {
    SeedCurve c;
    c.curve.source = source;
    c.seed_known = true;
    c.seed = seed;
    return c;
  };
  CHECK_NOTHROW(check_seed_sets({{"resist", {run(1, "a"), run(2, "b")}}, {"local_sgd", {run(2, "c"), run(1, "d")}}}));
  CHECK_THROWS_WITH(check_seed_sets({{"resist", {run(1, "a"), run(1, "b")}}}), Catch::Contains("a and b are both seed 1"));
  CHECK_THROWS_WITH(check_seed_sets({{"resist", {run(1, "a"), run(2, "b"), run(3, "e")}},
                                     {"local_sgd", {run(1, "c"), run(2, "d")}}}),
                    Catch::Contains("resist's seeds 1,2,3 differ from local_sgd's seeds 1,2"));
  // One curve for a protocol (its seed alone) is not a set to compare.
  CHECK_NOTHROW(check_seed_sets({{"resist", {run(1, "a"), run(2, "b")}}, {"local_sgd", {run(5, "c")}}}));
}
