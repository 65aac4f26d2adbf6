// Reads the output of nccl-tests' all_reduce_perf (NVIDIA/nccl-tests), so that a user holds the simulator
// against their own measurement: `resist bench allreduce --compare FILE`.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace resist::sim {

struct NcclTestsRow {
  std::int64_t bytes = 0;
  double time_us = 0;    // out-of-place
  double algbw_GBps = 0;
  double busbw_GBps = 0;
};

struct NcclTestsOutput {
  std::vector<NcclTestsRow> rows; // data lines in file order
  int ranks = 0;                  // from "#  Rank ..." lines, else from busbw / algbw = 2(n-1)/n; 0: unknown
};

/// Parses all_reduce_perf's text: data lines are "size count type redop [root] time algbw busbw #wrong
/// time algbw busbw #wrong" (the root column since nccl-tests 2.11); comment lines start with '#'.
/// Throws InputError naming `origin` and the line for a data line it cannot read, or when there is none.
NcclTestsOutput parse_nccl_tests(const std::string& text, const std::string& origin);

/// Reads a file through core/input_file and parses it.
NcclTestsOutput read_nccl_tests(const std::string& path);

} // namespace resist::sim
