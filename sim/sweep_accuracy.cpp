#include "sim/sweep_accuracy.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "sim/sweep.hpp"

namespace resist::sim {

SweepCurves read_sweep_curves(const SweepGrid& g, const std::vector<Schedule>& schedules) {
  SweepCurves out;
  if (g.accuracy_curves.empty()) {
    if (!g.targets_pct.empty()) throw InputError("--target-accuracy needs --accuracy-curve");
    return out;
  }
  auto join = [](const auto& v) { return fmt::format("{}", fmt::join(v, ",")); };
  if (g.workers.size() > 1)
    throw InputError(fmt::format("--accuracy-curve: the sweep varies --workers ({}), which changes the schedule a "
                                 "curve was measured on; give one --workers (platforms and bandwidths may vary)",
                                 join(g.workers)));
  if (g.local_steps.size() > 1)
    throw InputError(fmt::format("--accuracy-curve: the sweep varies --local-steps ({}), which changes the schedule "
                                 "a curve was measured on; give one --local-steps (platforms and bandwidths may vary)",
                                 join(g.local_steps)));
  if (!g.events.empty() || g.failure.failure_every_s > 0)
    throw InputError("--accuracy-curve: not with --events or --failure-every-s (a run with events is several "
                     "simulations; its rounds are not joined)");
  if (g.slice_count > 1) throw InputError("--accuracy-curve: not with --slice (the slices' columns are not merged)");
  check_targets(g.targets_pct);
  for (const auto& item : g.accuracy_curves) {
    const std::string& protocol = item.first; // named, not bound: clang's lambdas cannot capture bindings
    const std::string& path = item.second;
    if (out.curves.count(protocol)) throw InputError(fmt::format("--accuracy-curve: two curves for {}", protocol));
    // Every point of a protocol has the same schedule here (one workers, one l): the first one's.
    const auto s = std::find_if(schedules.begin(), schedules.end(),
                                [&](const Schedule& x) { return to_string(x.config.protocol) == protocol; });
    if (s == schedules.end())
      throw InputError(fmt::format("--accuracy-curve '{}={}': protocol '{}' is not in the sweep", protocol, path,
                                   protocol));
    out.curves.emplace(protocol, read_accuracy_curve(path, *s));
  }
  std::vector<AccuracyCurve> all;
  for (const auto& [p, c] : out.curves) all.push_back(c);
  out.targets_pct = g.targets_pct.empty() ? default_targets(all) : g.targets_pct;
  return out;
}

std::vector<std::string> sweep_accuracy_columns(const std::vector<double>& targets_pct) {
  std::vector<std::string> c;
  for (double t : targets_pct) c.push_back(fmt::format("time_to_{:g}pct_s", t));
  for (double t : targets_pct) c.push_back(fmt::format("speedup_at_{:g}pct", t));
  return c;
}

std::vector<Cell> point_times(const SweepCurves& c, const std::string& protocol, const std::vector<double>& round_end_s) {
  std::vector<Cell> out;
  const auto curve = c.curves.find(protocol);
  if (curve == c.curves.end()) { // a protocol without a curve: no time to any target
    out.assign(c.targets_pct.size(), std::string("-"));
    return out;
  }
  for (const TargetTime& t : time_to_targets(curve->second, round_end_s, c.targets_pct))
    out.push_back(t.reached ? Cell{t.time_s} : Cell{std::string("not reached")});
  return out;
}

} // namespace resist::sim
