// The one number parser for every input: flags, config files, platform TOML/XML properties, the GPU
// table, profiles, CSV files, checkpoint names. Text must be a whole number token (surrounding blanks
// allowed); non-finite values (inf, nan) and values outside [min, max] are refused with an InputError
// that names what was being read and the offending text, e.g. "--lr 'inf': not a finite number".
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace resist {

/// A finite double in [min, max]. `what` names the field ("--lr", "gpus.csv:3 fp32_tflops").
double parse_double(std::string_view text, std::string_view what,
                    double min = std::numeric_limits<double>::lowest(),
                    double max = std::numeric_limits<double>::max());

/// A decimal integer in [min, max] (no fraction, no exponent, no overflow wrap).
std::int64_t parse_int(std::string_view text, std::string_view what,
                       std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                       std::int64_t max = std::numeric_limits<std::int64_t>::max());

/// An unsigned decimal integer (a leading '-' is refused, never wrapped to 2^64 - 1).
std::uint64_t parse_uint64(std::string_view text, std::string_view what);

/// Checks a value that arrived already converted (JSON, TOML): finite and in [min, max].
void check_number(double value, std::string_view what, double min = std::numeric_limits<double>::lowest(),
                  double max = std::numeric_limits<double>::max());

} // namespace resist
