// The host-side input pipeline: a node's CPUs decode and augment the images its GPUs train on (PyTorch's
// DataLoader workers, DALI's CPU stage). They produce `input_img_per_s` images per second per node
// (PlatformParams; 0 = unbounded, the default), shared by the node's workers, and the loader prefetches,
// so a step lasts max(the GPU's step, batch x workers on the node / input_img_per_s). The rate depends on
// the dataset's images and the host's CPUs, not on the GPUs, so no platform file sets it: a run that is
// input-bound passes it (--platform-param input_img_per_s=R). Fitted per host in
// experiments/sim_calibration (DDP mixed precision, where 8 GPUs outrun the CPUs).
#pragma once

namespace resist::sim {

/// Seconds a worker waits for its input in one stretch of `compute_s` GPU seconds that consumes `images`
/// images, when its node's `node_workers` workers share a pipeline of `node_img_per_s` (0: no wait).
double input_wait_s(double compute_s, double images, int node_workers, double node_img_per_s);

} // namespace resist::sim
