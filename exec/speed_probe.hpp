// A fixed benchmark of this core's speed: the same small convolution step, forward and backward, on
// fixed tensors. `resist profile` runs it at its start and end, every rank of `resist train` at the end
// of its rounds; `resist validate --speed-probe` scales the profile by the ratio, so that a machine
// whose speed drifted between the profile and the run (a shared VM: 5-20% over minutes) is predicted
// at the speed the run had.
#pragma once

namespace resist::exec {

/// Median CPU seconds of one probe step (one thread's worth of work on the CPU: run with the threads
/// the caller has set). About 0.25 s in all.
double speed_probe_cpu_s();

} // namespace resist::exec
