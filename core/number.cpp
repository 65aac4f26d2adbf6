#include "core/number.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "core/error.hpp"

namespace resist {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// Messages quote at most this much of the offending text, so one line stays one line.
std::string shown(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += (c >= 32 && c < 127) ? c : '?';
  return s.size() > 40 ? out + "..." : out;
}

std::string range_text(double min, double max) {
  if (min == std::numeric_limits<double>::lowest()) return fmt::format("<= {:g}", max);
  if (max == std::numeric_limits<double>::max()) return fmt::format(">= {:g}", min);
  return fmt::format("in [{:g}, {:g}]", min, max);
}

} // namespace

void check_number(double v, std::string_view what, double min, double max) {
  if (!std::isfinite(v)) throw InputError(fmt::format("{} {}: not a finite number", what, v));
  if (v < min || v > max) throw InputError(fmt::format("{} {:g}: must be {}", what, v, range_text(min, max)));
}

double parse_double(std::string_view text, std::string_view what, double min, double max) {
  std::string_view s = trim(text);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || end != s.data() + s.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
    throw InputError(fmt::format("{} '{}': not a number", what, shown(text)));
  if (ec == std::errc::result_out_of_range || !std::isfinite(v))
    throw InputError(fmt::format("{} '{}': not a finite number", what, shown(text)));
  if (v < min || v > max) throw InputError(fmt::format("{} '{}': must be {}", what, shown(text), range_text(min, max)));
  return v;
}

std::int64_t parse_int(std::string_view text, std::string_view what, std::int64_t min, std::int64_t max) {
  std::string_view s = trim(text);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || end != s.data() + s.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
    throw InputError(fmt::format("{} '{}': not an integer", what, shown(text)));
  if (ec == std::errc::result_out_of_range || v < min || v > max)
    throw InputError(fmt::format("{} '{}': must be an integer {}", what, shown(text),
                                 range_text(static_cast<double>(min), static_cast<double>(max))));
  return v;
}

std::uint64_t parse_uint64(std::string_view text, std::string_view what) {
  std::string_view s = trim(text);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || s.front() == '-' || end != s.data() + s.size() || ec != std::errc())
    throw InputError(fmt::format("{} '{}': not an integer in [0, 2^64 - 1]", what, shown(text)));
  return v;
}

} // namespace resist
