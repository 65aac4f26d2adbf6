// SimResult as bytes, to carry it from the simulating child process back to the caller.
#pragma once
#include <string>

#include "sim/simulate.hpp"

namespace resist::sim {

std::string encode_result(const SimResult& r);
/// Throws Error on a truncated or malformed buffer.
SimResult decode_result(const std::string& bytes);

} // namespace resist::sim
