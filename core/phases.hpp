// A run's phases: consecutive rounds of one protocol (a local SGD warm-up, then ResIST), with what each costs,
// for the summaries of simulate, comm and validate.
#pragma once
#include <string>
#include <vector>

#include "core/schedule.hpp"

namespace resist {

struct PhaseSpan {
  Protocol protocol = Protocol::resist;
  int first_round = 0; // schedule rounds, inclusive
  int last_round = 0;
};

/// The schedule's rounds split where their protocol changes (one span without a warm-up).
std::vector<PhaseSpan> phase_spans(const Schedule& schedule);

/// Seconds of a span from the rounds' cumulative end times (round_end_s[r]: end of round r, from 0).
double phase_seconds(const PhaseSpan& span, const std::vector<double>& round_end_s);

/// "local SGD warm-up" or "ResIST" (the protocol's name for other protocols).
std::string phase_name(Protocol protocol);

} // namespace resist
