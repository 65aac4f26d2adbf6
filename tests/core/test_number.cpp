// The one number parser: finite, whole-token, in range, never wrapped.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "core/number.hpp"

using namespace resist;

TEST_CASE("parse_double takes finite numbers in range and refuses the rest", "[number]") {
  CHECK(parse_double("0.03", "--lr") == 0.03);
  CHECK(parse_double(" +2e3 ", "x") == 2000);
  CHECK(parse_double("-1.5", "x", -2, 0) == -1.5);
  for (const char* bad : {"inf", "-inf", "nan", "NaN", "Infinity", "1e400", "", " ", "1.5x", "0x10", "--1", "1,5"})
    CHECK_THROWS_AS(parse_double(bad, "--lr"), InputError);
  CHECK_THROWS_WITH(parse_double("inf", "--lr"), "--lr 'inf': not a finite number");
  CHECK_THROWS_WITH(parse_double("5", "--momentum", 0, 1), "--momentum '5': must be in [0, 1]");
}

TEST_CASE("parse_int refuses fractions, exponents and overflow", "[number]") {
  CHECK(parse_int("42", "--batch") == 42);
  CHECK(parse_int("-7", "x") == -7);
  for (const char* bad : {"1e12", "1.0", "99999999999999999999", "", "12a", "nan"})
    CHECK_THROWS_AS(parse_int(bad, "--batch"), InputError);
  CHECK_THROWS_AS(parse_int("70000", "--batch", 1, 65536), InputError);
}

TEST_CASE("parse_uint64 never wraps a negative seed", "[number]") {
  CHECK(parse_uint64("18446744073709551615", "--seed") == 18446744073709551615ull);
  CHECK_THROWS_AS(parse_uint64("-1", "--seed"), InputError);
  CHECK_THROWS_AS(parse_uint64("18446744073709551616", "--seed"), InputError);
}

TEST_CASE("check_number refuses non-finite and out-of-range values", "[number]") {
  CHECK_NOTHROW(check_number(3, "--workers", 1, 1024));
  CHECK_THROWS_AS(check_number(0, "--workers", 1, 1024), InputError);
  CHECK_THROWS_AS(check_number(std::numeric_limits<double>::quiet_NaN(), "--lr"), InputError);
  CHECK_THROWS_AS(check_number(std::numeric_limits<double>::infinity(), "--lr"), InputError);
}
