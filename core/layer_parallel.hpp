// Layer-parallel training with auxiliary networks (protocol `layer_parallel`): a RECONSTRUCTION from the
// abstract of Sun et al., arXiv 2112.05387 (see reference/auxnet-method.md); the paper's body was not
// available. The network's blocks are cut into K contiguous modules, module k on rank k (the stem on the
// first, the head on the last). Module k > 0 takes its input from a small auxiliary network psi_k(x)
// (the AuxNet, on rank k) instead of from module k - 1, so all K modules run at once on local losses:
//   inner module k:  (beta/2D) mean_i ||F_k(in_i) - psi_{k+1}(x_i)||^2 (+ <mu_{k+1}, F_k - psi_{k+1}>/D with AL),
//                    D = C H W of the cut, so beta does not depend on the cut's size
//   last module:     cross-entropy of the head's logits.
// psi_k is then refitted to the updated auxiliary variable lambda* = a - (B D g - mu) / beta, where a is
// module k - 1's real output and g rank k's input gradient (the argmin of the penalty objective with the
// downstream loss linearized), so the AuxNet tracks the real activations.
// What crosses ranks every step, per cut c (between ranks c - 1 and c), fp32, B images:
//   rank c -> c - 1: the target psi_c(x)      (B x C x H x W)
//   rank c - 1 -> c: the activation F_{c-1}   (B x C x H x W)
// The AuxNets are not replicated, so nothing is all-reduced; evaluation runs the real serial network.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/comm.hpp"
#include "core/model.hpp"
#include "core/partition.hpp"

namespace resist {

/// How the local losses relax the layer-to-layer constraints.
enum class LpMethod { penalty, augmented_lagrangian };
const char* to_string(LpMethod m);
/// "penalty" or "al"; throws InputError naming the value.
LpMethod parse_lp_method(const std::string& name);

/// The layer_parallel options of a run (RunConfig::layer_parallel; ignored by other protocols).
struct LayerParallelOptions {
  LpMethod method = LpMethod::penalty;
  double beta = 1.0;   // penalty weight of the local losses, e.g. 1
  int aux_width = 16;  // channels of the AuxNet's hidden layer, e.g. 16 (low capacity)
};

/// K contiguous modules of a model's blocks: module k holds blocks [first_block[k], first_block[k + 1]).
struct LayerParallelCut {
  std::vector<int> first_block; // size K + 1, first_block[0] = 0, first_block[K] = blocks

  int modules() const { return static_cast<int>(first_block.size()) - 1; }
  /// Module holding block b.
  int module_of(int block) const;
};

/// The schedule's view of a cut: worker k holds the blocks of `blocks` (ascending) inside module k.
ResistPartition layer_parallel_partition(const LayerParallelCut& cut, const std::vector<int>& blocks);

/// Throws InputError unless the model is a ResNet (stem, residual blocks, head) with at least K blocks.
void check_layer_parallel_shape(const Model& model, int modules);

/// The cut that minimizes the largest module's forward + backward MACs (ties: earlier cuts). Deterministic.
LayerParallelCut layer_parallel_cut(const Model& model, int modules);

/// The tensor entering module c >= 1 (the output of block first_block[c] - 1), per image.
struct CutShape {
  int channels = 0;
  int h = 0, w = 0;
  std::int64_t bytes() const { return std::int64_t{channels} * h * w * kBytesPerParam; } // per image, fp32
};
CutShape cut_shape(const Model& model, const LayerParallelCut& cut, int c);

/// AuxNet psi_c (c >= 1) as core layers "aux<c>.*": conv3x3(image -> width, stride f) - BN - ReLU -
/// conv3x3(width -> C), with f the smallest stride that maps the image onto the cut's H x W.
/// Throws InputError if no stride does.
std::vector<Layer> auxnet_layers(const Model& model, const CutShape& shape, int width, int c);
/// Parameters of those layers.
std::int64_t auxnet_params(const std::vector<Layer>& layers);

/// A round of `steps` steps at `batch` images: per cut, the target and the activation, `steps` times.
CommPlan layer_parallel_plan(const Model& model, const LayerParallelCut& cut, int batch, int steps);

} // namespace resist
