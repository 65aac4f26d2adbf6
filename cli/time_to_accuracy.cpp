#include "cli/time_to_accuracy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "cli/plot.hpp"
#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/output.hpp"

namespace resist::cli {
namespace {

const sim::SimResult* result_of(const std::vector<sim::SimResult>& results, const std::string& protocol) {
  for (const auto& r : results)
    if (r.protocol == protocol) return &r;
  return nullptr;
}

} // namespace

std::vector<ProtocolCurves> read_curves(const AccuracyOptions& o, const std::vector<Schedule>& schedules) {
  std::vector<ProtocolCurves> out;
  std::vector<std::pair<std::string, std::vector<SeedCurve>>> seed_sets;
  for (const auto& item : o.curves) {
    const auto eq = item.find('=');
    std::string protocol, path = item;
    if (eq != std::string::npos) {
      protocol = item.substr(0, eq);
      path = item.substr(eq + 1);
    } else if (schedules.size() == 1) {
      protocol = to_string(schedules.front().config.protocol);
    } else {
      throw InputError(fmt::format("--accuracy-curve '{}': name its protocol (PROTOCOL=PATH) when several are "
                                   "simulated", item));
    }
    const auto s = std::find_if(schedules.begin(), schedules.end(),
                                [&](const Schedule& x) { return to_string(x.config.protocol) == protocol; });
    if (s == schedules.end())
      throw InputError(fmt::format("--accuracy-curve '{}': protocol '{}' is not simulated here", item, protocol));
    for (const auto& p : out)
      if (p.protocol == protocol) throw InputError(fmt::format("--accuracy-curve: two curves for {}", protocol));
    // PATH1,PATH2,...: runs of one config but for the seed; one path keeps the strict hash check.
    std::vector<std::string> paths;
    for (std::size_t from = 0;;) {
      const auto comma = path.find(',', from);
      paths.push_back(path.substr(from, comma - from));
      if (comma == std::string::npos) break;
      from = comma + 1;
    }
    std::vector<SeedCurve> runs;
    for (const auto& one : paths) {
      if (one.empty()) throw InputError(fmt::format("--accuracy-curve '{}': an empty path in the list", item));
      if (paths.size() == 1)
        runs.push_back({read_accuracy_curve(one, *s), false, 0});
      else
        runs.push_back(read_seed_curve(one, *s));
    }
    seed_sets.emplace_back(protocol, runs);
    ProtocolCurves pc{protocol, {}, {}, {}};
    for (const auto& r : runs) {
      pc.curves.push_back(r.curve);
      pc.seeds.push_back(r.seed_known ? fmt::format("seed {}", r.seed) : std::string("seed unknown"));
      if (o.extrapolate) pc.fits.push_back(extrapolate_curve(r.curve, *s));
    }
    out.push_back(std::move(pc));
  }
  check_seed_sets(seed_sets);
  check_targets(o.targets_pct);
  return out;
}

namespace {

/// The times of one curve: measured, then (when fitted) the fit's crossings within its reach.
std::vector<TargetTime> curve_times(const ProtocolCurves& pc, std::size_t i, const std::vector<double>& round_end_s,
                                    const std::vector<double>& targets) {
  std::vector<TargetTime> t = time_to_targets(pc.curves[i], round_end_s, targets);
  if (i < pc.fits.size()) extrapolate_targets(t, pc.fits[i], round_end_s);
  return t;
}

std::string reached_text(const TargetTime& t, const CurveExtrapolation* fit) {
  if (!t.reached) return "not reached";
  if (!t.extrapolated) return "yes";
  return fmt::format("extrapolated (fit error {:.2f} pts on {} held-back evaluations)", fit->held_back_rms_pts,
                     fit->held_back);
}

/// Several curves for a protocol: the median and range over its seeds per target, the speedup as the ratio of
/// the medians.
void seed_rows(TimeToAccuracy& out, const std::vector<ProtocolCurves>& curves,
               const std::vector<sim::SimResult>& results, const std::vector<double>& targets) {
  out.table = Table({"protocol", "target_pct", "seeds_reached", "median_s", "min_s", "max_s", "speedup_vs_local_sgd",
                     "fixed_budget_speedup"});
  std::map<std::string, std::vector<SeedSpread>> spreads;
  std::map<std::string, std::vector<std::vector<TargetTime>>> per_seed; // protocol -> seed -> target
  for (const auto& pc : curves) {
    const auto& ends = result_of(results, pc.protocol)->round_end_s;
    for (std::size_t i = 0; i < pc.curves.size(); ++i) per_seed[pc.protocol].push_back(curve_times(pc, i, ends, targets));
    for (std::size_t t = 0; t < targets.size(); ++t) {
      std::vector<TargetTime> one;
      for (const auto& seed : per_seed[pc.protocol]) one.push_back(seed[t]);
      spreads[pc.protocol].push_back(seed_spread(one));
    }
  }
  const sim::SimResult* base = result_of(results, "local_sgd");
  const auto base_spread = spreads.find("local_sgd");
  auto or_null = [](bool ok, double v) { return ok ? nlohmann::json(v) : nlohmann::json(); };
  auto or_dash = [](bool ok, double v) { return ok ? Cell{v} : Cell{std::string("not reached")}; };
  for (const auto& pc : curves) {
    const sim::SimResult* r = result_of(results, pc.protocol);
    const bool has_budget = base && r->total_s > 0;
    for (std::size_t t = 0; t < targets.size(); ++t) {
      const SeedSpread& sp = spreads[pc.protocol][t];
      const bool has_speedup = sp.median_reached && sp.median_s > 0 && base_spread != spreads.end() &&
                               base_spread->second[t].median_reached;
      const double speedup = has_speedup ? base_spread->second[t].median_s / sp.median_s : 0;
      std::string reached = fmt::format("{} of {}", sp.reached, sp.seeds);
      if (sp.extrapolated > 0) reached += fmt::format(" ({} extrapolated)", sp.extrapolated);
      out.table.add_row({pc.protocol, targets[t], reached, or_dash(sp.median_reached, sp.median_s),
                         or_dash(sp.reached > 0, sp.min_s), or_dash(sp.max_reached, sp.max_s),
                         has_speedup ? Cell{speedup} : Cell{std::string("-")},
                         has_budget ? Cell{base->total_s / r->total_s} : Cell{std::string("-")}});
      nlohmann::json seeds = nlohmann::json::array();
      for (std::size_t i = 0; i < pc.curves.size(); ++i) {
        const TargetTime& x = per_seed[pc.protocol][i][t];
        seeds.push_back({{"source", pc.curves[i].source}, {"seed", pc.seeds[i]}, {"reached", x.reached},
                         {"extrapolated", x.extrapolated}, {"time_s", or_null(x.reached, x.time_s)}});
      }
      out.json.push_back({{"protocol", pc.protocol},
                          {"target_pct", targets[t]},
                          {"seeds", sp.seeds},
                          {"seeds_reached", sp.reached},
                          {"seeds_extrapolated", sp.extrapolated},
                          {"median_s", or_null(sp.median_reached, sp.median_s)},
                          {"min_s", or_null(sp.reached > 0, sp.min_s)},
                          {"max_s", or_null(sp.max_reached, sp.max_s)},
                          {"speedup_vs_local_sgd", or_null(has_speedup, speedup)},
                          {"fixed_budget_speedup", or_null(has_budget, has_budget ? base->total_s / r->total_s : 0)},
                          {"per_seed", seeds}});
    }
  }
  out.lines.push_back("Over seeds: each seed's curve is re-timed on the same simulated rounds (this schedule's seed); "
                      "the seeds share rounds, steps and learning rate and differ in partitions and data order, so the "
                      "range is the accuracy's spread, not the hardware's. A seed that never reaches a target counts "
                      "as infinitely late: the median is reached when the middle seeds reach it. Speedup: ratio of "
                      "the medians.");
}

} // namespace

TimeToAccuracy time_to_accuracy(const AccuracyOptions& o, const std::vector<ProtocolCurves>& curves,
                                const std::vector<sim::SimResult>& results) {
  std::vector<AccuracyCurve> all;
  for (const auto& pc : curves) all.insert(all.end(), pc.curves.begin(), pc.curves.end());
  const std::vector<double> targets = o.targets_pct.empty() ? default_targets(all) : o.targets_pct;
  TimeToAccuracy out;
  out.json = nlohmann::json::array();
  const bool over_seeds = std::any_of(curves.begin(), curves.end(), [](const ProtocolCurves& pc) {
    return pc.curves.size() > 1;
  });
  if (over_seeds) seed_rows(out, curves, results, targets);
  else out.table = Table({"protocol", "target_pct", "reached", "rounds", "time_s", "measured_s", "speedup_vs_local_sgd",
                     "fixed_budget_speedup"});
  std::map<std::string, std::vector<TargetTime>> by_protocol;
  for (const auto& pc : curves)
    by_protocol[pc.protocol] = curve_times(pc, 0, result_of(results, pc.protocol)->round_end_s, targets);
  const sim::SimResult* base = result_of(results, "local_sgd");
  const auto base_times = by_protocol.find("local_sgd");
  for (const auto& pc : curves) {
    const std::string& protocol = pc.protocol;
    const CurveExtrapolation* fit = pc.fits.empty() ? nullptr : &pc.fits.front();
    const sim::SimResult* r = result_of(results, protocol);
    const auto& times = by_protocol[protocol];
    for (std::size_t i = 0; i < times.size() && !over_seeds; ++i) {
      const TargetTime& t = times[i];
      Cell speedup = std::string("-");
      if (t.reached && base_times != by_protocol.end() && base_times->second[i].reached && t.time_s > 0)
        speedup = base_times->second[i].time_s / t.time_s;
      const Cell budget = base && r->total_s > 0 ? Cell{base->total_s / r->total_s} : Cell{std::string("-")};
      out.table.add_row({protocol, t.target_pct, reached_text(t, fit),
                         t.reached ? Cell{t.rounds} : Cell{std::string("-")},
                         t.reached ? Cell{t.time_s} : Cell{std::string("-")},
                         t.measured_s >= 0 ? Cell{t.measured_s} : Cell{std::string("-")}, speedup, budget});
      nlohmann::json row{{"protocol", protocol},
                         {"target_pct", t.target_pct},
                         {"reached", t.reached},
                         {"rounds", t.reached ? nlohmann::json(t.rounds) : nlohmann::json()},
                         {"time_s", t.reached ? nlohmann::json(t.time_s) : nlohmann::json()},
                         {"measured_s", t.measured_s >= 0 ? nlohmann::json(t.measured_s) : nlohmann::json()},
                         {"fixed_budget_speedup", base && r->total_s > 0 ? nlohmann::json(base->total_s / r->total_s)
                                                                         : nlohmann::json()}};
      if (fit) {
        row["extrapolated"] = t.extrapolated;
        if (t.extrapolated) {
          row["fit_error_pts"] = fit->held_back_rms_pts;
          row["held_back_evaluations"] = fit->held_back;
        }
      }
      out.json.push_back(row);
    }
    for (std::size_t i = 0; i < pc.curves.size(); ++i) {
      const AccuracyCurve& curve = pc.curves[i];
      const std::string who = pc.curves.size() > 1 ? fmt::format("{} ({})", protocol, pc.seeds[i]) : protocol;
      out.lines.push_back(fmt::format("{}: {} ({}); best {:.2f}% after {:g} rounds", who, curve.source,
                                      curve.conversion,
                                      std::max_element(curve.points.begin(), curve.points.end(),
                                                       [](const auto& a, const auto& b) {
                                                         return a.accuracy_pct < b.accuracy_pct;
                                                       })->accuracy_pct,
                                      curve.points.back().rounds));
      if (i >= pc.fits.size()) continue;
      const CurveExtrapolation& f = pc.fits[i];
      out.lines.push_back(fmt::format("{}: {}", who, f.describe()));
      nlohmann::json fj{{"protocol", protocol}, {"source", curve.source}, {"usable", f.usable}};
      if (pc.curves.size() > 1) fj["seed"] = pc.seeds[i];
      if (!f.usable) fj["why_not"] = f.why_not;
      else
        fj.update({{"form", "acc(k) = a_pct - 1/(b k + c), k = rounds - first_round"}, {"a_pct", f.fit.a_pct},
                   {"b", f.fit.b}, {"c", f.fit.c}, {"phase", f.phase + 1}, {"phases", f.phases},
                   {"first_round", f.range.first_round}, {"last_evaluation_round", f.last_rounds},
                   {"reach_round", f.range.end_round}, {"fitted", f.fitted}, {"held_back", f.held_back},
                   {"fit_error_pts", f.held_back_rms_pts}});
      out.fits.push_back(fj);
    }
  }
  if (o.extrapolate)
    out.lines.push_back("A target counts as reached at the first evaluation at or above it; its time is the simulated "
                        "time at that many rounds. --accuracy-extrapolate: a target no evaluation reaches is taken "
                        "from the fit where it crosses before the next decay (marked extrapolated); beyond that it "
                        "stays not reached.");
  else
    out.lines.push_back("A target counts as reached at the first evaluation at or above it; its time is the simulated "
                        "time at that many rounds. Targets no evaluation reaches are not extrapolated "
                        "(--accuracy-extrapolate fits the curve's last learning-rate phase).");
  if (!o.plot.empty()) {
    // The joined curves as CSV beside the figure, for the figure and for whoever wants the numbers.
    std::string csv = "protocol,rounds,accuracy_pct,predicted_s,measured_s\n";
    for (const auto& pc : curves)
      for (std::size_t i = 0; i < pc.curves.size(); ++i) { // a line per seed, named by it
        const std::string who = pc.curves.size() > 1 ? fmt::format("{} {}", pc.protocol, pc.seeds[i]) : pc.protocol;
        for (const auto& p : pc.curves[i].points)
          csv += fmt::format("{},{},{},{},{}\n", who, p.rounds, p.accuracy_pct,
                             time_at_rounds(result_of(results, pc.protocol)->round_end_s, p.rounds),
                             p.measured_s >= 0 ? fmt::format("{}", p.measured_s) : std::string());
      }
    const std::string data = o.plot + ".csv";
    write_file_atomic(data, csv);
    const std::string title = fmt::format("{} workers on {}, collectives {}", results.front().workers,
                                          results.front().platform, results.front().collective);
    if (run_plot("time_to_accuracy.py", {data, o.plot, title}))
      out.lines.push_back(fmt::format("wrote {} (its data: {})", o.plot, data));
    else
      out.lines.push_back(fmt::format("no figure (python3 with matplotlib is needed); the data is in {}", data));
  }
  return out;
}

MeasuredTimeToAccuracy validate_time_to_accuracy(const std::string& run_dir, const Schedule& schedule,
                                                 const std::vector<double>& round_end_s,
                                                 const std::vector<double>& targets_pct) {
  MeasuredTimeToAccuracy out;
  if (CsvTable::read(run_dir + "/eval.csv").rows() == 0) return out; // a run without evaluation: no curve
  const AccuracyCurve curve = read_accuracy_curve(run_dir, schedule);
  if (curve.points.empty() || curve.points.back().measured_s < 0) return out; // no train_s recorded
  out.table = Table({"target_pct", "rounds", "measured_s", "predicted_s", "error_pct"});
  const std::vector<double> targets = targets_pct.empty() ? default_targets({curve}) : targets_pct;
  for (const TargetTime& t : time_to_targets(curve, round_end_s, targets)) {
    if (!t.reached) {
      out.not_reached_pct.push_back(t.target_pct);
      out.json.push_back({{"target_pct", t.target_pct}, {"reached", false}});
      continue;
    }
    if (t.measured_s <= 0) continue;
    const double err = 100 * (t.time_s / t.measured_s - 1);
    out.table.add_row({t.target_pct, t.rounds, t.measured_s, t.time_s, err});
    out.json.push_back({{"target_pct", t.target_pct}, {"reached", true}, {"rounds", t.rounds}, {"measured_s", t.measured_s},
                        {"predicted_s", t.time_s}, {"error_pct", err}});
  }
  return out;
}

} // namespace resist::cli
