// Single-GPU training by the GPU model, in the form people compare with their own measurements
// (`resist bench train`): a model's step on one GPU kind, whole and layer by layer. Each layer is
// sim/gpu_model's roofline_layer, so the rows are what `resist simulate` charges a step without a profile.
#pragma once
#include <string>
#include <vector>

#include "core/model.hpp"
#include "sim/gpu_model.hpp"

namespace resist::sim {

struct TrainBenchLayer {
  std::string block; // the block holding the layer ("stem", "layer3.5", "head")
  Layer layer;
  FusedRole role = FusedRole::own;
  LayerRoofline roofline;
};

struct TrainBench {
  std::vector<TrainBenchLayer> layers; // forward order
  double matmul_s = 0;                 // forward + backward of convolutions and linear layers
  double memory_s = 0;                 // forward + backward of the other layers
  double update_s = 0;                 // the optimizer step, every layer's parameters

  double step_s() const { return matmul_s + memory_s + update_s; }
};

/// Every layer of `model` through the roofline for `batch` images. Throws InputError for a batch below 1
/// or a math mode the GPU lacks.
TrainBench bench_train(const Model& model, const GpuKind& gpu, MathMode math, int batch,
                       Fusion fusion = Fusion::none);

} // namespace resist::sim
