// What PyTorch DDP costs beyond the all-reduce itself, per step of a data-parallel worker:
//   - bucket copies: each gradient is copied into its bucket as backward produces it (compute stream), and
//     the averaged bucket is copied back after the all-reduce (DDP's default, gradient_as_bucket_view off):
//     bytes read and written once each way, at the GPU's achieved memory bandwidth;
//   - communication slows concurrent compute: NCCL's kernels occupy SMs and memory bandwidth while backward
//     runs, so every second an all-reduce overlaps the compute costs it comm_compute_slowdown seconds more
//     (sim/round_replay.cpp: owed by the compute side, paid at its next segment);
//   - the step barrier: every step waits for the slowest worker, and step times vary: with a coefficient
//     of variation cv, the expected step of N workers is (1 + E[max of N standard normals] x cv) x mean.
// The last bucket (the first layers) is ready only when backward ends, so its all-reduce is never hidden;
// that follows from the replay, not from a factor. Sources and fits: experiments/sim_calibration.
#pragma once
#include <cstdint>

namespace resist::sim {

/// E[max of n independent standard normal variables] (0 for n = 1; 1.4236 for n = 8).
double expected_max_standard_normal(int n);

/// Step-time factor of the barrier over `workers` with step-time coefficient of variation `cv`.
double ddp_barrier_factor(int workers, double cv);

/// A round of `steps` local steps per worker ending in a sync: every worker waits for the slowest. With
/// independent step times of coefficient of variation `cv`, a round's varies by cv / sqrt(steps), so the
/// round's factor is ddp_barrier_factor(workers, cv / sqrt(steps)). Time-sharing repays a slow step later
/// (the scheduler's fairness), so this bounds the wait from above.
double round_barrier_factor(int workers, double cv, int steps);

/// Seconds of one bucket copy (read and write `bytes` once) at `achieved_Bps`.
double bucket_copy_s(std::int64_t bytes, double achieved_Bps);

} // namespace resist::sim
