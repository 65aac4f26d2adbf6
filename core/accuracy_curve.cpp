#include "core/accuracy_curve.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/schedule_io.hpp"

namespace resist {
namespace {

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

/// The accuracy of row i in percent: acc_pct / accuracy_pct as they are, accuracy (a fraction) x 100.
double accuracy_pct(const CsvTable& t, std::size_t i) {
  if (t.has("acc_pct")) return t.number(i, "acc_pct", 0, 100);
  if (t.has("accuracy_pct")) return t.number(i, "accuracy_pct", 0, 100);
  if (t.has("accuracy")) return 100 * t.number(i, "accuracy", 0, 1);
  throw InputError(fmt::format("{}: no accuracy column (acc_pct, accuracy_pct or accuracy)", t.origin()));
}

AccuracyCurve from_run_dir(const std::string& dir, const Schedule& schedule) {
  const Schedule ran = read_schedule(dir + "/schedule.json");
  const std::string want = schedule_hash(schedule), got = schedule_hash(ran);
  if (want != got)
    throw InputError(fmt::format("{}: the run trained schedule {}, not the simulated schedule {} (simulate it with "
                                 "--schedule {}/schedule.json)", dir, got, want, dir));
  const CsvTable t = CsvTable::read(dir + "/eval.csv");
  AccuracyCurve c{dir, "rounds of the run itself (eval.csv: after round r, r + 1 completed)", {}};
  const double rounds = static_cast<double>(schedule.rounds.size());
  // The run's own seconds of its rounds (evaluation excluded) where it recorded them (eval.csv's train_s).
  const bool timed = t.has("train_s");
  for (std::size_t i = 0; i < t.rows(); ++i) {
    const double measured = timed ? t.number(i, "train_s", 0, 1e12) : 0;
    c.points.push_back({t.number(i, "round", 0, rounds - 1) + 1, accuracy_pct(t, i), measured > 0 ? measured : -1});
  }
  return c;
}

} // namespace

double rounds_at_epochs(const Schedule& s, double epochs) {
  const double step = epochs * s.steps_per_epoch; // global steps of one worker
  double done = 0;
  for (const Round& r : s.rounds) {
    const double first = static_cast<double>(r.first_step), last = first + r.steps;
    if (step >= last) {
      done += 1;
    } else {
      if (step > first && r.steps > 0) done += (step - first) / r.steps;
      break;
    }
  }
  return done;
}

AccuracyCurve read_accuracy_curve(const std::string& path, const Schedule& schedule) {
  AccuracyCurve c;
  if (is_directory(path)) {
    c = from_run_dir(path, schedule);
  } else {
    const CsvTable t = CsvTable::read(path);
    c.source = path;
    const double rounds = static_cast<double>(schedule.rounds.size());
    if (t.has("round")) {
      c.conversion = "completed rounds as given (column round)";
      for (std::size_t i = 0; i < t.rows(); ++i) c.points.push_back({t.number(i, "round", 0, rounds), accuracy_pct(t, i), -1});
    } else if (t.has("epoch")) {
      c.conversion = fmt::format("epochs per worker to rounds through the schedule ({} steps per epoch, l = {})",
                                 schedule.steps_per_epoch, schedule.config.local_steps);
      for (std::size_t i = 0; i < t.rows(); ++i)
        c.points.push_back({rounds_at_epochs(schedule, t.number(i, "epoch", 0, 1e6)), accuracy_pct(t, i), -1});
    } else if (t.has("time_s")) {
      double last = 0;
      for (std::size_t i = 0; i < t.rows(); ++i) last = std::max(last, t.number(i, "time_s", 0, 1e12));
      if (!(last > 0)) throw InputError(fmt::format("{}: time_s never exceeds 0", path));
      c.conversion = fmt::format("the curve's own seconds to rounds: rounds = time_s / {:g} s x {} rounds (every "
                                 "round of the measured run assumed equally long)", last, schedule.rounds.size());
      for (std::size_t i = 0; i < t.rows(); ++i) {
        const double s = t.number(i, "time_s", 0, 1e12);
        c.points.push_back({s / last * rounds, accuracy_pct(t, i), s});
      }
    } else {
      throw InputError(fmt::format("{}: no x column (round, epoch or time_s)", path));
    }
  }
  if (c.points.empty()) throw InputError(fmt::format("{}: no evaluation in the curve", path));
  for (std::size_t i = 1; i < c.points.size(); ++i)
    if (c.points[i].rounds < c.points[i - 1].rounds)
      throw InputError(fmt::format("{}: evaluation {} comes before the one above it (the x axis must not go back)",
                                   path, i + 1));
  return c;
}

double time_at_rounds(const std::vector<double>& round_end_s, double rounds) {
  if (round_end_s.empty() || rounds <= 0) return 0;
  const double whole = std::floor(rounds);
  const auto k = static_cast<std::size_t>(whole);
  if (k >= round_end_s.size()) return round_end_s.back();
  const double before = k == 0 ? 0.0 : round_end_s[k - 1];
  return before + (rounds - whole) * (round_end_s[k] - before);
}

std::vector<TargetTime> time_to_targets(const AccuracyCurve& curve, const std::vector<double>& round_end_s,
                                        const std::vector<double>& targets_pct) {
  std::vector<TargetTime> out;
  for (double target : targets_pct) {
    TargetTime t;
    t.target_pct = target;
    for (const AccuracyPoint& p : curve.points)
      if (p.accuracy_pct >= target) {
        t.reached = true;
        t.rounds = p.rounds;
        t.time_s = time_at_rounds(round_end_s, p.rounds);
        t.accuracy_pct = p.accuracy_pct;
        t.measured_s = p.measured_s;
        break;
      }
    out.push_back(t);
  }
  return out;
}

void check_targets(const std::vector<double>& targets_pct) {
  for (double t : targets_pct)
    if (!(t > 0 && t <= 100)) throw InputError(fmt::format("--target-accuracy {}: must be in (0, 100] percent", t));
}

std::vector<double> default_targets(const std::vector<AccuracyCurve>& curves) {
  double final_pct = 100; // the lowest among the curves' best accuracies
  for (const auto& c : curves) {
    double best = 0;
    for (const auto& p : c.points) best = std::max(best, p.accuracy_pct);
    if (!c.points.empty()) final_pct = std::min(final_pct, best);
  }
  std::vector<double> out;
  for (double f : {0.90, 0.95, 0.99}) out.push_back(std::floor(final_pct * f * 10) / 10);
  return out;
}

} // namespace resist
