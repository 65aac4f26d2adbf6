// Beyond the measured curve (an optional mode, `--accuracy-extrapolate`): the accuracy curve fitted per
// learning-rate phase and extended to the end of the phase its last evaluation lies in, never further.
//
// A phase is a stretch of rounds between two step decays of the schedule's learning rate (a drop to 90% or less
// from one step to the next; a linear warm-up belongs to the first phase), or between a local SGD warm-up and
// the ResIST rounds after it. Within the phase of the last
// evaluation the curve is fitted by Optimus' inverse form acc(k) = a - 1/(b k + c), k = completed rounds since
// the phase began (Peng et al., EuroSys 2018), least squares in accuracy points, on the phase's first
// evaluations; the last quarter of them is held back. The fit gives the shape; its level is moved to pass through
// the last evaluation, so the extension starts where the measurement stops (on the published CIFAR curves the
// unanchored fit sits 1-7 points above what followed) and every target above the last evaluation is crossed
// after it, in order. The error the user is told is that procedure's on the held-back evaluations (anchored at
// the last fitted one). A
// decay the curve has not measured changes the curve's shape (the published CIFAR curves jump at it), so
// nothing is predicted across one. A cosine schedule has no constant-rate phase and is not extrapolated.
#pragma once
#include <string>
#include <vector>

#include "core/accuracy_curve.hpp"
#include "core/schedule.hpp"

namespace resist {

struct LrPhase {
  double first_round = 0; // completed rounds when the phase begins (fractional where a decay falls mid-round)
  double end_round = 0;   // completed rounds when it ends (the next decay, or the schedule's end)
  double lr = 0;          // the rate after any warm-up (the phase's last step)
};

/// The schedule's phases, in order, covering [0, rounds]. One phase when it never decays (and for a cosine).
std::vector<LrPhase> lr_phases(const Schedule& schedule);

/// acc(k) = a_pct - 1 / (b k + c), k >= 0 rounds into the phase; b, c > 0 (rising towards a_pct).
struct InverseFit {
  double a_pct = 0;
  double b = 0;
  double c = 0;
  double at(double k) const { return a_pct - 1 / (b * k + c); }
  /// Rounds into the phase at which the fit reaches `target_pct`; -1 when it never does (target >= a_pct).
  double rounds_to(double target_pct) const;
};

/// Least-squares fit of (k, accuracy_pct) points (at least 3, k >= 0): a scan of the asymptote a with the
/// linearised problem 1/(a - y) = b k + c weighted to approximate errors in points, then Levenberg-Marquardt
/// on the three parameters. Throws InputError when fewer than 3 points are given or no rising fit exists.
InverseFit fit_inverse(const std::vector<double>& k, const std::vector<double>& accuracy_pct);

struct CurveExtrapolation {
  bool usable = false;
  std::string why_not;         // when not usable, for people
  int phase = 0;               // index into lr_phases (of the last evaluation)
  int phases = 0;
  LrPhase range;
  InverseFit fit;              // shape fitted on the phase's evaluations but the held-back ones, level through
                               // the last evaluation
  int fitted = 0;              // evaluations fitted
  int held_back = 0;           // evaluations held back (the phase's last quarter, at least one)
  double held_back_rms_pts = 0; // root mean square of fit - measured on those (fit anchored at the last
                                // fitted evaluation), accuracy points
  double last_rounds = 0;      // the curve's last evaluation
  /// Completed rounds at which the fit reaches `target_pct`, when strictly after the last evaluation and no
  /// later than the end of its phase; -1 otherwise (the target stays not reached).
  double rounds_to(double target_pct) const;
  /// One line for people: the form, the phase, the fit's error on the held-back evaluations, the reach.
  std::string describe() const;
};

/// Fits the phase of the curve's last evaluation (see above); `usable` false with the reason when the phase
/// has fewer than 4 evaluations, the curve ends at a decay, the schedule is a cosine, or no rising fit exists.
CurveExtrapolation extrapolate_curve(const AccuracyCurve& curve, const Schedule& schedule,
                                     double held_back_fraction = 0.25);

/// Fills the targets no evaluation reached with the fit's crossing where it lies within the reach, flagged
/// `extrapolated`; the others are left as they are.
void extrapolate_targets(std::vector<TargetTime>& times, const CurveExtrapolation& fit,
                         const std::vector<double>& round_end_s);

} // namespace resist
