#include "sim/nccl_tests_output.hpp"

#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/number.hpp"

namespace resist::sim {
namespace {

bool is_integer(const std::string& s) {
  std::size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

} // namespace

NcclTestsOutput parse_nccl_tests(const std::string& text, const std::string& origin) {
  NcclTestsOutput out;
  std::istringstream in(text);
  int line_no = 0, rank_lines = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string t; words >> t;) w.push_back(t);
    if (w.empty()) continue;
    if (w[0] == "#") {
      if (w.size() > 2 && w[1] == "Rank" && is_integer(w[2])) ++rank_lines;
      continue;
    }
    if (w[0][0] == '#' || !is_integer(w[0])) continue; // "# Avg bus bandwidth", banners, warnings
    // size count type redop [root] time algbw busbw ...: the root column is an integer where the time is not.
    const std::string where = fmt::format("{}:{}", origin, line_no);
    std::size_t t = 4;
    if (w.size() > 5 && is_integer(w[4]) && w.size() >= 12) t = 5;
    if (w.size() < t + 3) throw InputError(fmt::format("{}: not an all_reduce_perf data line: '{}'", where, line));
    NcclTestsRow r;
    r.bytes = parse_int(w[0], where + " size", 1);
    r.time_us = parse_double(w[t], where + " time", 0);
    r.algbw_GBps = parse_double(w[t + 1], where + " algbw", 0);
    r.busbw_GBps = parse_double(w[t + 2], where + " busbw", 0);
    out.rows.push_back(r);
  }
  if (out.rows.empty()) throw InputError(fmt::format("{}: no all_reduce_perf data line found", origin));
  out.ranks = rank_lines;
  if (out.ranks == 0)
    for (const auto& r : out.rows)
      if (r.algbw_GBps > 0 && r.busbw_GBps > r.algbw_GBps) { // busbw / algbw = 2(n-1)/n
        const double ratio = r.busbw_GBps / r.algbw_GBps;
        if (ratio < 2) out.ranks = static_cast<int>(std::lround(2 / (2 - ratio)));
        break;
      }
  return out;
}

NcclTestsOutput read_nccl_tests(const std::string& path) {
  return parse_nccl_tests(read_input_file(path, "nccl-tests output"), path);
}

} // namespace resist::sim
