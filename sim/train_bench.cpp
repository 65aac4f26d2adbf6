#include "sim/train_bench.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace resist::sim {

TrainBench bench_train(const Model& model, const GpuKind& gpu, MathMode math, int batch) {
  if (batch < 1) throw InputError(fmt::format("batch {}: must be >= 1", batch));
  TrainBench out;
  for (const Block& b : model.blocks)
    for (const Layer& l : b.layers) {
      const LayerRoofline r = roofline_layer(l, gpu, math, batch);
      const bool matmul = l.kind == LayerKind::conv2d || l.kind == LayerKind::linear;
      (matmul ? out.matmul_s : out.memory_s) += r.time.forward_s + r.time.backward_s;
      out.update_s += r.time.update_s;
      out.layers.push_back({b.name, l, r});
    }
  return out;
}

} // namespace resist::sim
