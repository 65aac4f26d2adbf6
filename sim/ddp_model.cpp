#include "sim/ddp_model.hpp"

#include <cmath>

namespace resist::sim {

double expected_max_standard_normal(int n) {
  if (n <= 1) return 0;
  // E[max] = integral of x n phi(x) Phi(x)^(n-1) dx, by the midpoint rule on [-10, 10].
  const int steps = 4000;
  const double lo = -10, hi = 10, h = (hi - lo) / steps;
  double sum = 0;
  for (int i = 0; i < steps; ++i) {
    const double x = lo + (i + 0.5) * h;
    const double pdf = std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
    const double cdf = 0.5 * std::erfc(-x / std::sqrt(2.0));
    sum += x * n * pdf * std::pow(cdf, n - 1) * h;
  }
  return sum;
}

double ddp_barrier_factor(int workers, double cv) { return 1 + expected_max_standard_normal(workers) * cv; }

double round_barrier_factor(int workers, double cv, int steps) {
  return steps > 0 ? ddp_barrier_factor(workers, cv / std::sqrt(static_cast<double>(steps))) : 1.0;
}

double bucket_copy_s(std::int64_t bytes, double achieved_Bps) {
  return achieved_Bps > 0 ? 2.0 * static_cast<double>(bytes) / achieved_Bps : 0;
}

} // namespace resist::sim
