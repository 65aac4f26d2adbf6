#include "sim/input_pipeline.hpp"

#include <algorithm>

namespace resist::sim {

double input_wait_s(double compute_s, double images, int node_workers, double node_img_per_s) {
  if (!(node_img_per_s > 0) || node_workers < 1) return 0;
  // Each of the node's workers gets an equal share of the pipeline; prefetching hides it up to compute_s.
  return std::max(0.0, images * node_workers / node_img_per_s - compute_s);
}

} // namespace resist::sim
