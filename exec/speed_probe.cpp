#include "exec/speed_probe.hpp"

#include <algorithm>
#include <vector>

#include <torch/torch.h>

#include "exec/profile.hpp"

namespace resist::exec {

double speed_probe_cpu_s() {
  // A 3x3 convolution, batch norm and ReLU of the trainer's kind and size (16 channels, 28x28, batch 64):
  // the work the CPU runs do. Fixed values, no random draws: every probe is the same work.
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  const torch::Tensor x = torch::linspace(-1, 1, 64 * 16 * 28 * 28, opts).reshape({64, 16, 28, 28});
  const torch::Tensor w0 = torch::linspace(-0.1, 0.1, 16 * 16 * 3 * 3, opts).reshape({16, 16, 3, 3});
  constexpr int kWarmup = 3, kRepeats = 41;
  std::vector<double> cpu_s;
  for (int rep = 0; rep < kWarmup + kRepeats; ++rep) {
    const double c0 = process_cpu_s();
    torch::AutoGradMode grad(true);
    torch::Tensor w = w0.clone().set_requires_grad(true);
    torch::relu(torch::batch_norm(torch::conv2d(x, w, {}, 1, 1), {}, {}, {}, {}, true, 0.1, 1e-5, false)).sum().backward();
    if (rep >= kWarmup) cpu_s.push_back(process_cpu_s() - c0);
  }
  std::nth_element(cpu_s.begin(), cpu_s.begin() + kRepeats / 2, cpu_s.end());
  return cpu_s[kRepeats / 2];
}

} // namespace resist::exec
