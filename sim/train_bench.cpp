#include "sim/train_bench.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace resist::sim {

TrainBench bench_train(const Model& model, const GpuKind& gpu, MathMode math, int batch, Fusion fusion) {
  if (batch < 1) throw InputError(fmt::format("batch {}: must be >= 1", batch));
  TrainBench out;
  for (const Block& b : model.blocks) {
    const std::vector<FusedRole> roles = fusion_roles(b.layers, fusion);
    for (std::size_t i = 0; i < b.layers.size(); ++i) {
      const Layer& l = b.layers[i];
      const LayerRoofline r = roofline_layer(l, gpu, math, batch, roles[i]);
      const bool matmul = l.kind == LayerKind::conv2d || l.kind == LayerKind::linear;
      (matmul ? out.matmul_s : out.memory_s) += r.time.forward_s + r.time.backward_s;
      out.update_s += r.time.update_s;
      out.layers.push_back({b.name, l, roles[i], r});
    }
  }
  return out;
}

} // namespace resist::sim
