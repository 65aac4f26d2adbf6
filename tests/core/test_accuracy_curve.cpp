// Time to accuracy (core/accuracy_curve.hpp): the joining arithmetic on known inputs, the curve readers and
// their refusals, and core's one CSV reader.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/accuracy_curve.hpp"
#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/schedule.hpp"
#include "core/schedule_io.hpp"

using namespace resist;

namespace {

Schedule small_schedule(int epochs = 2) {
  RunConfig c;
  c.model = "preact_resnet_small";
  c.workers = 2;
  c.local_steps = 10;
  c.batch = 32;
  c.epochs = epochs;
  c.train_size = 640; // 20 steps per epoch, 2 rounds per epoch
  return make_schedule(c);
}

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path) << text;
  return path;
}

} // namespace

TEST_CASE("time to accuracy by hand: crossed between evaluations, never reached, interpolated rounds",
          "[core][accuracy]") {
  // Rounds end at 10, 30, 60, 100 s.
  const std::vector<double> ends{10, 30, 60, 100};
  CHECK(time_at_rounds(ends, 0) == 0);
  CHECK(time_at_rounds(ends, 1) == 10);
  CHECK(time_at_rounds(ends, 2.5) == Approx(45)); // halfway through round 3 (30 -> 60)
  CHECK(time_at_rounds(ends, 9) == 100);           // beyond the last round: its end
  AccuracyCurve c{"x", "rounds", {{1, 50, -1}, {2, 70, -1}, {4, 80, -1}}};
  // 60% is crossed between the evaluations after rounds 1 and 2: reached at the one after round 2, as the run
  // would report it (30 s), never interpolated to before the evaluation that saw it.
  const auto t = time_to_targets(c, ends, {60, 80, 90, 50});
  CHECK(t[0].reached);
  CHECK(t[0].rounds == 2);
  CHECK(t[0].time_s == 30);
  CHECK(t[0].accuracy_pct == 70);
  CHECK(t[1].time_s == 100);
  CHECK_FALSE(t[2].reached); // 90%: not reached, not extrapolated
  CHECK(t[3].time_s == 10);
  // Default targets: 90, 95, 99% of the lowest best accuracy (80 and 92 -> 80), down to 0.1 point.
  AccuracyCurve d{"y", "rounds", {{1, 92, -1}}};
  CHECK(default_targets({c, d}) == std::vector<double>{72.0, 76.0, 79.2});
}

TEST_CASE("accuracy curves: by round, by epoch, by published time; refusals", "[core][accuracy]") {
  const Schedule s = small_schedule(); // 4 rounds of 10 steps, 20 steps per epoch
  REQUIRE(s.rounds.size() == 4);
  CHECK(rounds_at_epochs(s, 1) == Approx(2));
  CHECK(rounds_at_epochs(s, 0.25) == Approx(0.5));
  const auto by_round = read_accuracy_curve(write_temp("resist_curve_round.csv", "round,acc_pct\n1,40\n4,60\n"), s);
  CHECK(by_round.points[1].rounds == 4);
  const auto by_epoch = read_accuracy_curve(write_temp("resist_curve_epoch.csv", "epoch,accuracy\n1,0.5\n2,0.7\n"), s);
  CHECK(by_epoch.points[0].rounds == Approx(2));
  CHECK(by_epoch.points[1].accuracy_pct == Approx(70));
  // A published curve by its own seconds: rounds = time / last time x 4.
  const auto by_time = read_accuracy_curve(write_temp("resist_curve_time.csv", "time_s,acc_pct\n50,30\n200,60\n"), s);
  CHECK(by_time.points[0].rounds == Approx(1));
  CHECK(by_time.points[0].measured_s == 50);
  CHECK_THROWS_AS(read_accuracy_curve(write_temp("resist_curve_noacc.csv", "round,loss\n1,0.5\n"), s), InputError);
  CHECK_THROWS_AS(read_accuracy_curve(write_temp("resist_curve_nox.csv", "step,acc_pct\n1,50\n"), s), InputError);
  CHECK_THROWS_AS(read_accuracy_curve(write_temp("resist_curve_pct.csv", "round,acc_pct\n1,150\n"), s), InputError);
  CHECK_THROWS_AS(read_accuracy_curve(write_temp("resist_curve_back.csv", "round,acc_pct\n3,50\n2,60\n"), s), InputError);
  CHECK_THROWS_AS(read_accuracy_curve(write_temp("resist_curve_empty.csv", "round,acc_pct\n"), s), InputError);
  CHECK_THROWS_AS(read_accuracy_curve("/no/such/curve.csv", s), InputError);
}

TEST_CASE("a run directory's curve: its schedule must be the one simulated (both hashes named)", "[core][accuracy]") {
  const Schedule s = small_schedule(2), other = small_schedule(3);
  const auto dir = std::filesystem::temp_directory_path() / "resist_curve_run";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "schedule.json") << schedule_to_string(s);
  std::ofstream(dir / "eval.csv") << "round,accuracy,loss,images,eval_s\n1,0.5,1.2,640,0.1\n3,0.75,0.8,640,0.1\n";
  const auto c = read_accuracy_curve(dir.string(), s);
  REQUIRE(c.points.size() == 2);
  CHECK(c.points[0].rounds == 2); // evaluated after round 1: 2 rounds done
  CHECK(c.points[1].accuracy_pct == Approx(75));
  try {
    read_accuracy_curve(dir.string(), other);
    FAIL("a run of another schedule was accepted");
  } catch (const InputError& e) {
    const std::string what = e.what();
    CHECK(what.find(schedule_hash(s)) != std::string::npos);
    CHECK(what.find(schedule_hash(other)) != std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("core's CSV reader: header, widths, numbers through core/number", "[core][csv]") {
  const CsvTable t = CsvTable::parse("# a comment\na, b\n1,2\n\n3 ,x\n", "t.csv");
  CHECK(t.rows() == 2);
  CHECK(t.number(0, "b") == 2);
  CHECK(t.text(1, "a") == "3");
  CHECK_THROWS_AS(t.number(1, "b"), InputError);
  CHECK_THROWS_AS(t.number(0, "c"), InputError);
  CHECK_THROWS_AS(CsvTable::parse("a,b\n1\n", "w.csv"), InputError);
  CHECK_THROWS_AS(CsvTable::parse("a,a\n1,2\n", "d.csv"), InputError);
  CHECK_THROWS_AS(CsvTable::parse("# only\n", "e.csv"), InputError);
  CHECK_THROWS_AS(CsvTable::parse("a\ninf\n", "i.csv").number(0, "a"), InputError);
}
