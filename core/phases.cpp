#include "core/phases.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace resist {

std::vector<PhaseSpan> phase_spans(const Schedule& schedule) {
  std::vector<PhaseSpan> out;
  for (const Round& r : schedule.rounds) {
    if (out.empty() || out.back().protocol != r.protocol) out.push_back({r.protocol, r.round, r.round});
    else out.back().last_round = r.round;
  }
  return out;
}

double phase_seconds(const PhaseSpan& span, const std::vector<double>& round_end_s) {
  if (span.first_round < 0 || span.last_round < span.first_round ||
      span.last_round >= static_cast<int>(round_end_s.size()))
    throw Error(fmt::format("phase of rounds {}-{}: {} round times", span.first_round, span.last_round,
                            round_end_s.size()));
  const double start = span.first_round == 0 ? 0.0 : round_end_s[static_cast<std::size_t>(span.first_round - 1)];
  return round_end_s[static_cast<std::size_t>(span.last_round)] - start;
}

std::string phase_name(Protocol protocol) {
  if (protocol == Protocol::local_sgd) return "local SGD warm-up";
  if (protocol == Protocol::resist) return "ResIST";
  return to_string(protocol);
}

} // namespace resist
