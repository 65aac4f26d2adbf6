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

std::vector<std::pair<std::string, AccuracyCurve>> read_curves(const AccuracyOptions& o,
                                                              const std::vector<Schedule>& schedules) {
  std::vector<std::pair<std::string, AccuracyCurve>> out;
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
    for (const auto& [p, c] : out)
      if (p == protocol) throw InputError(fmt::format("--accuracy-curve: two curves for {}", protocol));
    out.emplace_back(protocol, read_accuracy_curve(path, *s));
  }
  for (double t : o.targets_pct)
    if (!(t > 0 && t <= 100)) throw InputError(fmt::format("--target-accuracy {}: must be in (0, 100] percent", t));
  return out;
}

TimeToAccuracy time_to_accuracy(const AccuracyOptions& o,
                                const std::vector<std::pair<std::string, AccuracyCurve>>& curves,
                                const std::vector<sim::SimResult>& results) {
  std::vector<AccuracyCurve> all;
  for (const auto& [p, c] : curves) all.push_back(c);
  const std::vector<double> targets = o.targets_pct.empty() ? default_targets(all) : o.targets_pct;
  TimeToAccuracy out;
  out.table = Table({"protocol", "target_pct", "reached", "rounds", "time_s", "measured_s", "speedup_vs_local_sgd",
                     "fixed_budget_speedup"});
  std::map<std::string, std::vector<TargetTime>> by_protocol;
  for (const auto& [protocol, curve] : curves)
    by_protocol[protocol] = time_to_targets(curve, result_of(results, protocol)->round_end_s, targets);
  const sim::SimResult* base = result_of(results, "local_sgd");
  const auto base_times = by_protocol.find("local_sgd");
  out.json = nlohmann::json::array();
  for (const auto& [protocol, curve] : curves) {
    const sim::SimResult* r = result_of(results, protocol);
    const auto& times = by_protocol[protocol];
    for (std::size_t i = 0; i < times.size(); ++i) {
      const TargetTime& t = times[i];
      Cell speedup = std::string("-");
      if (t.reached && base_times != by_protocol.end() && base_times->second[i].reached && t.time_s > 0)
        speedup = base_times->second[i].time_s / t.time_s;
      const Cell budget = base && r->total_s > 0 ? Cell{base->total_s / r->total_s} : Cell{std::string("-")};
      out.table.add_row({protocol, t.target_pct, std::string(t.reached ? "yes" : "not reached"),
                         t.reached ? Cell{t.rounds} : Cell{std::string("-")},
                         t.reached ? Cell{t.time_s} : Cell{std::string("-")},
                         t.measured_s >= 0 ? Cell{t.measured_s} : Cell{std::string("-")}, speedup, budget});
      out.json.push_back({{"protocol", protocol},
                          {"target_pct", t.target_pct},
                          {"reached", t.reached},
                          {"rounds", t.reached ? nlohmann::json(t.rounds) : nlohmann::json()},
                          {"time_s", t.reached ? nlohmann::json(t.time_s) : nlohmann::json()},
                          {"measured_s", t.measured_s >= 0 ? nlohmann::json(t.measured_s) : nlohmann::json()},
                          {"fixed_budget_speedup", base && r->total_s > 0 ? nlohmann::json(base->total_s / r->total_s)
                                                                          : nlohmann::json()}});
    }
    out.lines.push_back(fmt::format("{}: {} ({}); best {:.2f}% after {:g} rounds", protocol, curve.source,
                                    curve.conversion,
                                    std::max_element(curve.points.begin(), curve.points.end(),
                                                     [](const auto& a, const auto& b) {
                                                       return a.accuracy_pct < b.accuracy_pct;
                                                     })->accuracy_pct,
                                    curve.points.back().rounds));
  }
  out.lines.push_back("A target counts as reached at the first evaluation at or above it; its time is the simulated "
                      "time at that many rounds. Targets no evaluation reaches are not extrapolated.");
  if (!o.plot.empty()) {
    // The joined curves as CSV beside the figure, for the figure and for whoever wants the numbers.
    std::string csv = "protocol,rounds,accuracy_pct,predicted_s,measured_s\n";
    for (const auto& [protocol, curve] : curves)
      for (const auto& p : curve.points)
        csv += fmt::format("{},{},{},{},{}\n", protocol, p.rounds, p.accuracy_pct,
                           time_at_rounds(result_of(results, protocol)->round_end_s, p.rounds),
                           p.measured_s >= 0 ? fmt::format("{}", p.measured_s) : std::string());
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
