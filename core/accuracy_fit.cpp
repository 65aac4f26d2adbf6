#include "core/accuracy_fit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace resist {
namespace {

// A drop of the rate to this fraction or less from one step to the next is a decay; a cosine falls far less
// per step, and the reference's decays are x0.1.
constexpr double kDecayRatio = 0.9;

double sse(const InverseFit& f, const std::vector<double>& k, const std::vector<double>& y) {
  double s = 0;
  for (std::size_t i = 0; i < k.size(); ++i) {
    const double d = f.at(k[i]) - y[i];
    s += d * d;
  }
  return s;
}

bool valid(const InverseFit& f, const std::vector<double>& k) {
  if (!(f.b > 0 && f.c > 0 && std::isfinite(f.a_pct))) return false;
  for (double x : k)
    if (!(f.b * x + f.c > 0)) return false;
  return true;
}

/// For a fixed asymptote a: 1/(a - y) = b k + c by least squares, each point weighted by (a - y)^4 so that
/// the residual approximates one in accuracy points (d(1/(a - y)) = dy / (a - y)^2).
bool linearised(double a, const std::vector<double>& k, const std::vector<double>& y, InverseFit& out) {
  double sw = 0, sx = 0, sz = 0, sxx = 0, sxz = 0;
  for (std::size_t i = 0; i < k.size(); ++i) {
    const double g = a - y[i];
    if (!(g > 0)) return false;
    const double w = g * g * g * g, z = 1 / g;
    sw += w;
    sx += w * k[i];
    sz += w * z;
    sxx += w * k[i] * k[i];
    sxz += w * k[i] * z;
  }
  const double det = sw * sxx - sx * sx;
  if (!(std::abs(det) > 0)) return false;
  out = {a, (sw * sxz - sx * sz) / det, (sxx * sz - sx * sxz) / det};
  return true;
}

/// Solves the 3x3 system m x = v (Cramer's rule; m is a damped normal matrix, well away from singular).
bool solve3(const double m[3][3], const double v[3], double x[3]) {
  auto det = [](const double a[3][3]) {
    return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
           a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  };
  const double d = det(m);
  if (!(std::abs(d) > 0)) return false;
  for (int c = 0; c < 3; ++c) {
    double t[3][3];
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) t[i][j] = j == c ? v[i] : m[i][j];
    x[c] = det(t) / d;
  }
  return true;
}

/// Levenberg-Marquardt on (a, b, c) from `f`; returns the best valid fit seen.
InverseFit refine(InverseFit f, const std::vector<double>& k, const std::vector<double>& y) {
  double lambda = 1e-3, best = sse(f, k, y);
  for (int it = 0; it < 200; ++it) {
    double jtj[3][3] = {}, jtr[3] = {};
    for (std::size_t i = 0; i < k.size(); ++i) {
      const double u = f.b * k[i] + f.c, r = y[i] - f.at(k[i]);
      const double g[3] = {1, k[i] / (u * u), 1 / (u * u)}; // d acc / d(a, b, c)
      for (int p = 0; p < 3; ++p) {
        jtr[p] += g[p] * r;
        for (int q = 0; q < 3; ++q) jtj[p][q] += g[p] * g[q];
      }
    }
    bool improved = false;
    while (lambda < 1e12) {
      double m[3][3], d[3];
      for (int p = 0; p < 3; ++p)
        for (int q = 0; q < 3; ++q) m[p][q] = jtj[p][q] + (p == q ? lambda * jtj[p][p] : 0);
      if (!solve3(m, jtr, d)) break;
      const InverseFit next{f.a_pct + d[0], f.b + d[1], f.c + d[2]};
      if (valid(next, k) && sse(next, k, y) < best) {
        const double gain = best - sse(next, k, y);
        f = next;
        best = sse(f, k, y);
        lambda = std::max(lambda / 10, 1e-12);
        improved = gain > 1e-14 * (1 + best);
        break;
      }
      lambda *= 10;
    }
    if (!improved) break;
  }
  return f;
}

} // namespace

std::vector<LrPhase> lr_phases(const Schedule& s) {
  std::vector<LrPhase> out{{0, 0, 0}};
  double prev = -1;
  // A cosine has no decays, though near its end one step's rate can be a tenth of the step before.
  const bool steps = s.config.lr_shape == LrShape::step;
  for (std::size_t r = 0; r < s.rounds.size(); ++r) {
    const Round& round = s.rounds[r];
    // A local SGD warm-up handing over to ResIST changes the curve's shape as a decay does: a phase boundary.
    if (r > 0 && round.protocol != s.rounds[r - 1].protocol) {
      out.back().end_round = static_cast<double>(r);
      out.push_back({static_cast<double>(r), static_cast<double>(r), out.back().lr});
    }
    for (const LrSegment& seg : round.lr) {
      if (steps && prev > 0 && seg.lr <= kDecayRatio * prev) {
        const double at = static_cast<double>(r) + (round.steps > 0 ? double(seg.first_step) / round.steps : 0);
        out.back().end_round = at;
        out.push_back({at, at, seg.lr});
      }
      out.back().lr = seg.lr;
      prev = seg.lr;
    }
  }
  out.back().end_round = static_cast<double>(s.rounds.size());
  return out;
}

double InverseFit::rounds_to(double target_pct) const {
  if (!(target_pct < a_pct)) return -1;
  return std::max(0.0, (1 / (a_pct - target_pct) - c) / b);
}

InverseFit fit_inverse(const std::vector<double>& k, const std::vector<double>& y) {
  if (k.size() < 3 || k.size() != y.size())
    throw InputError(fmt::format("accuracy fit: {} evaluations, at least 3 are needed", k.size()));
  const double top = *std::max_element(y.begin(), y.end());
  // Scan the asymptote from just above the best accuracy to far above it (geometric gaps), keeping the
  // linearised fit with the smallest error in points; then refine all three together.
  InverseFit best;
  double best_sse = std::numeric_limits<double>::infinity();
  for (double gap = 1e-3; gap < 1e3; gap *= 1.05) {
    InverseFit f;
    if (!linearised(top + gap, k, y, f) || !valid(f, k)) continue;
    const double e = sse(f, k, y);
    if (e < best_sse) {
      best_sse = e;
      best = f;
    }
  }
  if (!std::isfinite(best_sse))
    throw InputError("accuracy fit: the evaluations do not rise (no fit a - 1/(b k + c) with b, c > 0)");
  return refine(best, k, y);
}

double CurveExtrapolation::rounds_to(double target_pct) const {
  if (!usable) return -1;
  const double k = fit.rounds_to(target_pct);
  if (k < 0) return -1;
  const double at = range.first_round + k;
  return at > last_rounds && at <= range.end_round ? at : -1;
}

std::string CurveExtrapolation::describe() const {
  if (!usable) return fmt::format("not extrapolated: {}", why_not);
  return fmt::format("extrapolated by acc(k) = {:.2f} - 1/({:.4g} k + {:.4g}), k = rounds since round {:g} "
                     "(learning-rate phase {} of {}, lr {:g}), fitted on {} evaluations; fit error {:.2f} pts (RMS) "
                     "on the {} held back; reaches from round {:g} to round {:g} ({}), never across a decay",
                     fit.a_pct, fit.b, fit.c, range.first_round, phase + 1, phases, range.lr, fitted,
                     held_back_rms_pts, held_back, last_rounds, range.end_round,
                     phase + 1 == phases ? "the end of the schedule" : "the next decay");
}

CurveExtrapolation extrapolate_curve(const AccuracyCurve& curve, const Schedule& schedule,
                                     double held_back_fraction) {
  CurveExtrapolation e;
  if (curve.points.empty()) {
    e.why_not = "no evaluation";
    return e;
  }
  const std::vector<LrPhase> phases = lr_phases(schedule);
  e.phases = static_cast<int>(phases.size());
  e.last_rounds = curve.points.back().rounds;
  if (schedule.config.lr_shape == LrShape::cosine) {
    e.why_not = "the learning rate is a cosine (no constant-rate phase to fit)";
    return e;
  }
  // The phase of the last evaluation: the first whose end is at or after it (an evaluation at a decay ends the
  // phase before it).
  while (e.phase + 1 < e.phases && phases[static_cast<std::size_t>(e.phase)].end_round < e.last_rounds) ++e.phase;
  e.range = phases[static_cast<std::size_t>(e.phase)];
  if (e.last_rounds >= e.range.end_round) {
    e.why_not = fmt::format("the last evaluation (round {:g}) ends {}: nothing measured beyond it to fit",
                            e.last_rounds, e.phase + 1 == e.phases ? "the schedule" : "a phase, at a decay");
    return e;
  }
  std::vector<double> k, y;
  for (const AccuracyPoint& p : curve.points)
    if ((p.rounds > e.range.first_round || (e.phase == 0 && p.rounds >= 0)) && p.rounds <= e.range.end_round) {
      k.push_back(p.rounds - e.range.first_round);
      y.push_back(p.accuracy_pct);
    }
  const int n = static_cast<int>(k.size());
  e.held_back = std::max(1, static_cast<int>(std::lround(n * held_back_fraction)));
  e.fitted = n - e.held_back;
  if (e.fitted < 3) {
    e.why_not = fmt::format("{} evaluations in learning-rate phase {} (from round {:g}): at least 4 are needed (3 "
                            "fitted, 1 held back)", n, e.phase + 1, e.range.first_round);
    return e;
  }
  const auto cut = static_cast<std::ptrdiff_t>(e.fitted);
  InverseFit fit;
  try {
    fit = fit_inverse({k.begin(), k.begin() + cut}, {y.begin(), y.begin() + cut});
  } catch (const InputError& err) {
    e.why_not = err.what();
    return e;
  }
  // The fit's shape, its level moved to pass through the last point it may use (see the header). The error
  // reported is that procedure's one step back: anchored at the last fitted evaluation, on the held-back ones.
  const std::size_t last_fitted = static_cast<std::size_t>(e.fitted) - 1;
  InverseFit checked = fit;
  checked.a_pct += y[last_fitted] - fit.at(k[last_fitted]);
  double s = 0;
  for (std::size_t i = last_fitted + 1; i < k.size(); ++i) {
    const double d = checked.at(k[i]) - y[i];
    s += d * d;
  }
  e.held_back_rms_pts = std::sqrt(s / e.held_back);
  e.fit = fit;
  e.fit.a_pct += y.back() - fit.at(k.back());
  e.usable = true;
  return e;
}

void extrapolate_targets(std::vector<TargetTime>& times, const CurveExtrapolation& fit,
                         const std::vector<double>& round_end_s) {
  for (TargetTime& t : times) {
    if (t.reached) continue;
    const double at = fit.rounds_to(t.target_pct);
    if (at < 0) continue;
    t.reached = true;
    t.extrapolated = true;
    t.rounds = at;
    t.time_s = time_at_rounds(round_end_s, at);
    t.accuracy_pct = t.target_pct;
    t.measured_s = -1;
  }
}

} // namespace resist
