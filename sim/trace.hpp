// Chrome trace / Perfetto JSON of simulated timelines: one process per protocol, one thread per worker,
// one complete ("X") event per compute, communication or overhead interval, bytes in its args.
// Opens in ui.perfetto.dev and chrome://tracing.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sim/simulate.hpp"

namespace resist::sim {

nlohmann::json chrome_trace(const std::vector<SimResult>& results);
/// Writes the trace atomically (write_file_atomic). Throws Error on failure.
void write_chrome_trace(const std::string& path, const std::vector<SimResult>& results);

} // namespace resist::sim
