#include "core/validation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace resist {

std::vector<PhaseTimes> round_phases(const std::vector<TimelineEvent>& events, int rounds, int workers) {
  std::vector<PhaseTimes> out(static_cast<std::size_t>(std::max(0, rounds)));
  std::vector<double> first(out.size(), std::numeric_limits<double>::infinity());
  std::vector<double> last(out.size(), -std::numeric_limits<double>::infinity());
  for (const TimelineEvent& e : events) {
    if (e.round < 0 || e.round >= rounds) continue;
    const auto r = static_cast<std::size_t>(e.round);
    first[r] = std::min(first[r], e.start_s);
    last[r] = std::max(last[r], e.end_s);
    PhaseTimes& p = out[r];
    (e.phase == Phase::compute ? p.compute_s : e.phase == Phase::communication ? p.communication_s : p.overhead_s) +=
        e.duration_s() / std::max(1, workers);
  }
  for (std::size_t r = 0; r < out.size(); ++r) {
    PhaseTimes& p = out[r];
    if (last[r] < first[r]) continue;
    p.total_s = last[r] - first[r];
    p.idle_s = std::max(0.0, p.total_s - p.compute_s - p.communication_s - p.overhead_s);
  }
  return out;
}

double error_pct(double predicted, double measured) {
  if (measured == 0) return predicted == 0 ? 0 : (predicted > 0 ? 100 : -100);
  return 100 * (predicted - measured) / measured;
}

double background_threads_from_load(double load_start, double load_end, double seconds, double own_threads) {
  if (load_start < 0 || load_end < 0 || !(seconds > 0)) return 0;
  const double keep = std::exp(-seconds / 60);
  const double level = (load_end - load_start * keep) / (1 - keep);
  return std::max(0.0, level - own_threads);
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double at = std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(at));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (at - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

Validation compare_timelines(const std::vector<TimelineEvent>& predicted, const std::vector<TimelineEvent>& measured,
                             int rounds, int workers, const std::vector<RunPart>& parts, double measured_total_s) {
  Validation v;
  const auto pred = round_phases(predicted, rounds, workers);
  const auto meas = round_phases(measured, rounds, workers);
  std::vector<double> err, abs_err, e_compute, e_comm, e_over, e_idle;
  for (int r = 0; r < rounds; ++r) {
    const PhaseTimes& p = pred[static_cast<std::size_t>(r)];
    const PhaseTimes& m = meas[static_cast<std::size_t>(r)];
    RoundComparison c{r, p, m, error_pct(p.total_s, m.total_s)};
    v.rounds.push_back(c);
    err.push_back(c.error_pct);
    abs_err.push_back(std::abs(c.error_pct));
    // Each phase's part of the round's error, in percent of the measured round: they add up to it.
    const double scale = m.total_s > 0 ? 100 / m.total_s : 0;
    e_compute.push_back((p.compute_s - m.compute_s) * scale);
    e_comm.push_back((p.communication_s - m.communication_s) * scale);
    e_over.push_back((p.overhead_s - m.overhead_s) * scale);
    e_idle.push_back((p.idle_s - m.idle_s) * scale);
    for (auto [sum, x] : {std::pair{&v.predicted_sum, &p}, std::pair{&v.measured_sum, &m}}) {
      sum->total_s += x->total_s;
      sum->compute_s += x->compute_s;
      sum->communication_s += x->communication_s;
      sum->overhead_s += x->overhead_s;
      sum->idle_s += x->idle_s;
    }
  }
  v.median_round_error_pct = quantile(err, 0.5);
  v.median_abs_round_error_pct = quantile(abs_err, 0.5);
  v.p90_round_error_pct = quantile(abs_err, 0.9);
  v.max_round_error_pct = abs_err.empty() ? 0 : *std::max_element(abs_err.begin(), abs_err.end());
  v.median_phase_error_pct = {v.median_round_error_pct, quantile(e_compute, 0.5), quantile(e_comm, 0.5),
                              quantile(e_over, 0.5), quantile(e_idle, 0.5)};
  v.rounds_error_pct = error_pct(v.predicted_sum.total_s, v.measured_sum.total_s);
  RunPart total{"total", v.predicted_sum.total_s, v.measured_sum.total_s, 0};
  RunPart rounds_part{"rounds", v.predicted_sum.total_s, v.measured_sum.total_s, v.rounds_error_pct};
  v.parts.push_back(rounds_part);
  for (RunPart p : parts) {
    p.error_pct = error_pct(p.predicted_s, p.measured_s);
    total.predicted_s += p.predicted_s;
    total.measured_s += p.measured_s;
    v.parts.push_back(p);
  }
  if (measured_total_s > 0) total.measured_s = measured_total_s;
  total.error_pct = error_pct(total.predicted_s, total.measured_s);
  v.total_error_pct = total.error_pct;
  v.parts.push_back(total);
  return v;
}

namespace {
nlohmann::json phases_json(const PhaseTimes& p) {
  return {{"total_s", p.total_s},
          {"compute_s", p.compute_s},
          {"communication_s", p.communication_s},
          {"overhead_s", p.overhead_s},
          {"idle_s", p.idle_s}};
}
} // namespace

nlohmann::json Validation::to_json() const {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : rounds)
    rows.push_back({{"round", r.round}, {"predicted", phases_json(r.predicted)}, {"measured", phases_json(r.measured)},
                    {"error_pct", r.error_pct}});
  nlohmann::json parts_j = nlohmann::json::array();
  for (const auto& p : parts)
    parts_j.push_back({{"name", p.name}, {"predicted_s", p.predicted_s}, {"measured_s", p.measured_s},
                       {"error_pct", p.error_pct}});
  return {{"summary",
           {{"median_round_error_pct", median_round_error_pct},
            {"median_abs_round_error_pct", median_abs_round_error_pct},
            {"p90_round_error_pct", p90_round_error_pct},
            {"max_round_error_pct", max_round_error_pct},
            {"rounds_error_pct", rounds_error_pct},
            {"total_error_pct", total_error_pct},
            {"median_phase_error_pct",
             {{"compute", median_phase_error_pct.compute_s},
              {"communication", median_phase_error_pct.communication_s},
              {"overhead", median_phase_error_pct.overhead_s},
              {"idle", median_phase_error_pct.idle_s}}},
            {"predicted", phases_json(predicted_sum)},
            {"measured", phases_json(measured_sum)}}},
          {"parts", parts_j},
          {"rounds", rows}};
}

std::string Validation::rows_csv() const {
  std::string out = "row,round,predicted_s,measured_s,error_pct,predicted_compute_s,measured_compute_s,"
                    "predicted_communication_s,measured_communication_s,predicted_overhead_s,measured_overhead_s,"
                    "predicted_idle_s,measured_idle_s\n";
  for (const auto& r : rounds) {
    const PhaseTimes &p = r.predicted, &m = r.measured;
    out += fmt::format("round,{},{:.6f},{:.6f},{:.3f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f}\n", r.round,
                       p.total_s, m.total_s, r.error_pct, p.compute_s, m.compute_s, p.communication_s,
                       m.communication_s, p.overhead_s, m.overhead_s, p.idle_s, m.idle_s);
  }
  for (const auto& p : parts)
    out += fmt::format("{},,{:.6f},{:.6f},{:.3f},,,,,,,,\n", p.name, p.predicted_s, p.measured_s, p.error_pct);
  return out;
}

} // namespace resist
