#include "sim/simulate.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "core/error.hpp"
#include "sim/child_process.hpp"
#include "sim/comm_pattern.hpp"
#include "sim/gpu_model.hpp"
#include "sim/platform.hpp"
#include "sim/result_io.hpp"

namespace resist::sim {
PlatformDesc platform_for(const SimOptions& options) {
  PlatformDesc d = resolve_platform(options.platform);
  if (options.nic_bw_GBps > 0) {
    if (!d.parametric)
      throw InputError(fmt::format("a bandwidth override needs a parametric platform; '{}' is SimGrid XML",
                                   options.platform));
    d.spec.nic_bw_GBps = options.nic_bw_GBps;
  } else if (options.nic_bw_GBps < 0) {
    throw InputError(fmt::format("bandwidth {} GB/s: must be > 0", options.nic_bw_GBps));
  }
  return d;
}

SimResult simulate(const Schedule& schedule, const SimOptions& options) {
  // Options that can be checked without an engine fail here, before any process is started.
  platform_for(options);
  parse_collective(options.collective);
  parse_math(options.math);
  // For debuggers and profilers: RESIST_SIM_IN_PROCESS=1 simulates here (once per process only).
  if (const char* v = std::getenv("RESIST_SIM_IN_PROCESS"); v && std::string(v) == "1")
    return simulate_in_process(schedule, options);
  return decode_result(run_in_child([&] { return encode_result(simulate_in_process(schedule, options)); },
                                    fmt::format("platform '{}'", options.platform)));
}

} // namespace resist::sim
