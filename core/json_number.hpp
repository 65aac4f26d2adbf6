// Numbers read from JSON documents (schedules, run configs): nlohmann's get<int>() wraps 2^40 to
// garbage and get<double>() takes any number, so every numeric field goes through these, which check
// the JSON type and the range and name the field in the InputError.
#pragma once
#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.hpp"
#include "core/number.hpp"

namespace resist {

/// j[key] as an integer in [min, max].
inline std::int64_t json_int(const nlohmann::json& j, const char* key, std::int64_t min, std::int64_t max) {
  const nlohmann::json& v = j.at(key);
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(max))
      throw InputError(fmt::format("field '{}' = {}: must be an integer in [{}, {}]", key, u, min, max));
    return static_cast<std::int64_t>(u);
  }
  if (!v.is_number_integer())
    throw InputError(fmt::format("field '{}' = {}: not an integer", key, v.dump().substr(0, 40)));
  const auto i = v.get<std::int64_t>();
  if (i < min || i > max) throw InputError(fmt::format("field '{}' = {}: must be an integer in [{}, {}]", key, i, min, max));
  return i;
}

inline int json_int32(const nlohmann::json& j, const char* key, int min = 0,
                      int max = std::numeric_limits<int>::max()) {
  return static_cast<int>(json_int(j, key, min, max));
}

inline std::uint64_t json_uint64(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = j.at(key);
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
    throw InputError(fmt::format("field '{}' = {}: not an integer in [0, 2^64 - 1]", key, v.dump().substr(0, 40)));
  return v.get<std::uint64_t>();
}

/// A finite number (JSON cannot spell inf or nan, but a value may overflow to inf on parsing).
inline double json_double(const nlohmann::json& v, const char* key) {
  if (!v.is_number()) throw InputError(fmt::format("field '{}' = {}: not a number", key, v.dump().substr(0, 40)));
  const double d = v.get<double>();
  check_number(d, fmt::format("field '{}'", key));
  return d;
}

} // namespace resist
