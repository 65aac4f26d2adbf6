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
  if (options.shared_devices > 0) {
    if (!d.parametric)
      throw InputError(fmt::format("shared devices need a parametric platform; '{}' is SimGrid XML", options.platform));
    d.spec.cores_per_node = options.shared_devices;
  } else if (options.shared_devices < 0) {
    throw InputError(fmt::format("shared devices {}: must be >= 0", options.shared_devices));
  }
  return d;
}

namespace {
// Options that can be checked without an engine fail here, before any process is started.
void check_options(const SimOptions& options) {
  platform_for(options);
  parse_collective(options.collective);
  NcclEnable::parse(options.nccl_algo, options.nccl_proto);
  parse_math(options.math);
  parse_fusion(options.fusion);
}
} // namespace

SimResult simulate(const Schedule& schedule, const SimOptions& options) {
  check_options(options);
  // For debuggers and profilers: RESIST_SIM_IN_PROCESS=1 simulates here (once per process only).
  if (const char* v = std::getenv("RESIST_SIM_IN_PROCESS"); v && std::string(v) == "1")
    return simulate_in_process(schedule, options);
  return decode_result(run_in_child([&] { return encode_result(simulate_in_process(schedule, options)); },
                                    fmt::format("platform '{}'", options.platform)));
}

void simulate_many(const std::vector<SimRun>& runs, int jobs,
                   const std::function<void(std::size_t, SimResult)>& done) {
  for (const SimRun& r : runs) check_options(*r.options);
  run_in_children(
      runs.size(), jobs, [&](std::size_t i) { return encode_result(simulate_in_process(*runs[i].schedule, *runs[i].options)); },
      [&](std::size_t i, std::string reply) { done(i, decode_result(reply)); },
      [&](std::size_t i) { return fmt::format("platform '{}'", runs[i].options->platform); });
}

} // namespace resist::sim
