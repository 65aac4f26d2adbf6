#include "core/layer_parallel.hpp"

#include <fmt/format.h>

#include <limits>

#include "core/error.hpp"

namespace resist {

const char* to_string(LpMethod m) { return m == LpMethod::penalty ? "penalty" : "al"; }

LpMethod parse_lp_method(const std::string& name) {
  if (name == "penalty") return LpMethod::penalty;
  if (name == "al") return LpMethod::augmented_lagrangian;
  throw InputError(fmt::format("unknown layer-parallel method '{}' (known: penalty, al)", name));
}

int LayerParallelCut::module_of(int block) const {
  for (int k = 0; k < modules(); ++k)
    if (block >= first_block[static_cast<std::size_t>(k)] && block < first_block[static_cast<std::size_t>(k) + 1])
      return k;
  throw Error(fmt::format("block {} lies in no module", block));
}

ResistPartition layer_parallel_partition(const LayerParallelCut& cut, const std::vector<int>& blocks) {
  ResistPartition p;
  p.partitionable = blocks;
  p.worker_blocks.resize(static_cast<std::size_t>(cut.modules()));
  for (int b : blocks) p.worker_blocks[static_cast<std::size_t>(cut.module_of(b))].push_back(b);
  return p;
}

void check_layer_parallel_shape(const Model& model, int modules) {
  if (model.is_mlp() || model.blocks.size() < 2 || model.blocks.front().type != BlockType::stem ||
      model.blocks.back().type != BlockType::head)
    throw InputError(fmt::format("layer_parallel cuts ResNets (stem, residual blocks, head); {} is not one", model.name));
  if (modules > static_cast<int>(model.blocks.size()))
    throw InputError(fmt::format("--workers {}: layer_parallel needs at least one block per module and {} has {}",
                                 modules, model.name, model.blocks.size()));
}

LayerParallelCut layer_parallel_cut(const Model& model, int modules) {
  check_layer_parallel_shape(model, modules);
  const int n = static_cast<int>(model.blocks.size());
  std::vector<double> prefix(static_cast<std::size_t>(n) + 1, 0.0); // MACs of blocks [0, i)
  for (int i = 0; i < n; ++i) {
    const Block& b = model.blocks[static_cast<std::size_t>(i)];
    prefix[static_cast<std::size_t>(i) + 1] =
        prefix[static_cast<std::size_t>(i)] + static_cast<double>(b.forward_macs() + b.backward_macs());
  }
  // best[k][i]: the smallest largest-module cost of blocks [0, i) in k modules; exact, O(K n^2).
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const auto K = static_cast<std::size_t>(modules), N = static_cast<std::size_t>(n);
  std::vector<std::vector<double>> best(K + 1, std::vector<double>(N + 1, kInf));
  std::vector<std::vector<int>> from(K + 1, std::vector<int>(N + 1, 0));
  best[0][0] = 0;
  for (std::size_t k = 1; k <= K; ++k)
    for (std::size_t i = k; i <= N; ++i)
      for (std::size_t j = k - 1; j < i; ++j) {
        const double cost = std::max(best[k - 1][j], prefix[i] - prefix[j]);
        if (cost < best[k][i]) { // strict: ties keep the earlier cut
          best[k][i] = cost;
          from[k][i] = static_cast<int>(j);
        }
      }
  LayerParallelCut cut;
  cut.first_block.assign(K + 1, 0);
  cut.first_block[K] = n;
  for (std::size_t k = K, i = N; k > 0; --k) {
    i = static_cast<std::size_t>(from[k][i]);
    cut.first_block[k - 1] = static_cast<int>(i);
  }
  return cut;
}

CutShape cut_shape(const Model& model, const LayerParallelCut& cut, int c) {
  if (c < 1 || c >= cut.modules()) throw Error(fmt::format("cut {} of {} modules", c, cut.modules()));
  const Block& b = model.blocks.at(static_cast<std::size_t>(cut.first_block[static_cast<std::size_t>(c)] - 1));
  const Layer& last = b.layers.back(); // a block's output is its last layer's
  return {b.out_channels, last.out_h, last.out_w};
}

std::vector<Layer> auxnet_layers(const Model& model, const CutShape& shape, int width, int c) {
  const int s = model.image_size;
  int stride = 0;
  for (int f = 1; f <= s && stride == 0; ++f)
    if (conv_out_size(s, 3, f, 1) == shape.h) stride = f;
  if (stride == 0 || shape.h != shape.w)
    throw InputError(fmt::format("layer_parallel: no AuxNet stride maps a {}x{} image onto cut {}'s {}x{}", s, s, c,
                                 shape.h, shape.w));
  const std::string p = fmt::format("aux{}.", c);
  std::vector<Layer> layers;
  Layer first = make_conv(p + "conv1", model.in_channels, width, 3, stride, 1, s, s);
  mark_first_layer(first); // the image needs no gradient
  layers.push_back(first);
  layers.push_back(make_batchnorm(p + "bn1", width, shape.h, shape.w));
  layers.push_back(make_relu(p + "relu1", width, shape.h, shape.w));
  layers.push_back(make_conv(p + "conv2", width, shape.channels, 3, 1, 1, shape.h, shape.w));
  return layers;
}

std::int64_t auxnet_params(const std::vector<Layer>& layers) {
  std::int64_t n = 0;
  for (const Layer& l : layers) n += l.params;
  return n;
}

CommPlan layer_parallel_plan(const Model& model, const LayerParallelCut& cut, int batch, int steps) {
  CommPlan plan;
  for (int c = 1; c < cut.modules(); ++c) {
    const std::int64_t bytes = cut_shape(model, cut, c).bytes() * batch;
    plan.exchanges.push_back({fmt::format("lp.cut{}.target", c), bytes, {c}, {c - 1}, steps});
    plan.exchanges.push_back({fmt::format("lp.cut{}.activation", c), bytes, {c - 1}, {c}, steps});
  }
  return plan;
}

} // namespace resist
