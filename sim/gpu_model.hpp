// The GPU model: seconds per layer for one local step, from FLOPs and bytes through a roofline, or from
// a measured per-layer profile when one is given (it takes precedence for the layers it lists).
// Two layer classes, each with its own achieved efficiency, so nothing is counted twice:
//   - convolutions and linear layers: max(FLOPs / (peak of the math mode x matmul efficiency),
//     bytes / (bandwidth x memory efficiency));
//   - BatchNorm, ReLU, pooling, adds (no MACs): bytes / (bandwidth x memory efficiency), each as its own
//     kernel or fused into a neighbour as the software stack does (`Fusion`).
// The efficiencies are fitted per layer class on published single-GPU throughput
// (experiments/sim_calibration), not derived from total step FLOPs over step time.
// GPU kinds live in platforms/gpus.csv with the source of every number; the file is compiled in.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/model.hpp"
#include "core/profile.hpp"

namespace resist::sim {

/// The math mode of a training step (`--precision`):
///   fp32  plain FP32 everywhere (CUDA cores);
///   tf32  FP32 tensors, convolutions and matmuls on TF32 tensor cores (Ampere and later; a GPU without
///         TF32 runs them in FP32, as PyTorch does);
///   fp16, bf16  automatic mixed precision (torch.autocast): convolutions and matmuls on FP16/BF16 tensor
///         cores, activations stored in half precision (half the bytes for every layer), FP32 master
///         weights, gradients and optimizer; each step also casts the weights to half and unscales and
///         checks the gradients (fp16 loss scaling; bf16 does the same work in torch.amp's recipe).
/// Gradients stay FP32, so the bytes all-reduced are the same in every mode.
enum class MathMode { fp32, tf32, fp16, bf16 };
MathMode parse_math(const std::string& name); // throws InputError naming the value
const char* to_string(MathMode math);
/// fp16 or bf16: activations in half precision.
bool is_half(MathMode math);

/// Which memory-bound layers the software stack fuses into a neighbour (`--fusion`). The stacks the GPU
/// model is calibrated on differ exactly here (experiments/sim_calibration, section 1):
///   none     every BatchNorm, ReLU and add is a kernel of its own: PyTorch eager (and so this toolkit's
///            trainer), and the FP32/TF32 configurations of NVIDIA's MXNet and PaddlePaddle examples;
///   bn_act   cuDNN's fused batch norm: BN + ReLU one kernel, and the BN closing a residual block does the
///            add and ReLU too (MXNet --fuse-bn-relu/--fuse-bn-add-relu, Paddle fuse_bn_act_ops /
///            fuse_bn_add_act_ops: their AMP configurations);
///   conv_bn  BatchNorm folded into the convolutions (cuDNN NormConv, NVIDIA's MLPerf ResNet-50): the
///            statistics in the producing convolution's epilogue, scale, bias and ReLU in the next one's
///            prologue; the block's end is one kernel applying its BatchNorm(s), the add and the ReLU.
enum class Fusion { none, bn_act, conv_bn };
Fusion parse_fusion(const std::string& name); // throws InputError naming the value
const char* to_string(Fusion fusion);

/// How a layer is charged under a fusion level: as a kernel of its own, folded into a neighbour (no time,
/// no launch), or, for a residual add fused into the BatchNorm before it, only its second operand (the
/// shortcut read forward, its gradient written backward).
enum class FusedRole { own, folded, shortcut };
/// The role of each of a block's layers (in forward order) under `fusion`; none gives `own` everywhere.
std::vector<FusedRole> fusion_roles(const std::vector<Layer>& layers, Fusion fusion);
const char* to_string(FusedRole role); // "no", "folded", "shortcut" (the fused column of bench train)

struct GpuKind {
  std::string name;
  double fp32_flops = 0;         // peak FLOP/s, CUDA cores
  double tf32_flops = 0;         // dense tensor-core peaks, FLOP/s; 0 when the kind lacks the type
  double fp16_flops = 0;
  double bf16_flops = 0;
  double mem_Bps = 0;            // peak memory bandwidth, bytes/s
  double fp32_efficiency = 1;    // convolutions / matmuls on CUDA cores: achieved fraction of the FP32 peak
  double tf32_efficiency = 1;    // convolutions / matmuls on TF32 tensor cores: achieved fraction of that peak
  double half_efficiency = 1;    // ... on FP16 / BF16 tensor cores (AMP): achieved fraction of that peak
  double mem_efficiency = 1;     // memory-bound layers: achieved fraction of the bandwidth
  double launch_s = 0;           // fixed cost per kernel, seconds
  bool nvls = false;             // NVLink SHARP all-reduce possible (Hopper and later, on an NVSwitch)

  /// NCCL's compute capability class of the kind, from what the table says of it: NVLink SHARP (Hopper) 90,
  /// BF16 tensor cores (Ampere) 80, else 70 (Volta). It picks NCCL's tuning rows (sim/nccl_tuner.hpp).
  int compute_capability() const { return nvls ? 90 : bf16_flops > 0 ? 80 : 70; }
  /// Achieved FLOP/s of convolutions and linear layers under `math`. Throws InputError when the kind
  /// has no tensor cores for fp16/bf16 (V100 has no BF16).
  double matmul_flops(MathMode math) const;
};

class GpuTable {
public:
  /// Parses the CSV text of platforms/gpus.csv (`origin` names it in errors). Throws InputError.
  static GpuTable parse(const std::string& text, const std::string& origin);
  /// The compiled-in platforms/gpus.csv.
  static const GpuTable& builtin();
  /// Reads a table from a file; throws InputError naming the file.
  static GpuTable read(const std::string& path);

  /// Throws InputError naming the kind and the known ones.
  const GpuKind& at(const std::string& name) const;
  std::vector<std::string> names() const;

private:
  std::map<std::string, GpuKind> kinds_;
};


/// Seconds of one block (or layer) for one local step.
struct StepTime {
  double forward_s = 0;
  double backward_s = 0;
  double update_s = 0; // SGD with momentum and weight decay: memory bound

  double total_s() const { return forward_s + backward_s + update_s; }
};

/// Which roof a pass of a layer sits under: FLOPs at the achieved FLOP/s (convolutions and linear layers
/// whose math outweighs their bytes), bytes at the achieved bandwidth, or fused (inside a neighbour's
/// kernel: no launch, and no bytes, or a fused add's shortcut bytes only).
enum class Bound { compute, memory, fused };
const char* to_string(Bound bound);

/// One layer's roofline with the quantities behind it, for `batch` images: what `roofline_layer_time`
/// returns and why. FLOPs count 2 per MAC (0 outside convolutions and linear layers); bytes are those the
/// roofline charges (activations and parameters, halved as the math mode halves them). `role` is the
/// layer's under the stack's fusion (`fusion_roles`); convolutions and linear layers are always their own.
struct LayerRoofline {
  StepTime time;          // launches included
  double forward_flops = 0, backward_flops = 0;
  double forward_bytes = 0, backward_bytes = 0;
  Bound forward_bound = Bound::fused, backward_bound = Bound::fused;
  int kernels = 0;        // launches, forward and backward, each charged GpuKind::launch_s
};
LayerRoofline roofline_layer(const Layer& layer, const GpuKind& gpu, MathMode math, int batch,
                             FusedRole role = FusedRole::own);

/// Roofline time of one layer, as its own kernel, for `batch` images plus a launch cost per kernel.
/// Convolutions and linear layers: max(FLOPs / achieved FLOP/s, bytes / achieved bandwidth); other
/// layers: bytes / achieved bandwidth. Bytes are activations in and out (read once forward, twice
/// backward; half precision under fp16/bf16) and the parameters (read forward and backward, gradient written). The update is
/// SGD with momentum on FP32 master weights (read w, grad, momentum; write w, momentum), plus under
/// AMP the weight cast to half (read 4, write 2 bytes) and the gradient unscale (read and write 4).
StepTime roofline_layer_time(const Layer& layer, const GpuKind& gpu, MathMode math, int batch);

/// Per-block step times of a model on one GPU kind (profile entries replace the roofline of their layers;
/// times scale linearly with the batch). The profile must have been checked against the model.
std::vector<StepTime> block_step_times(const Model& model, const GpuKind& gpu, MathMode math, int batch,
                                       const Profile* profile = nullptr, Fusion fusion = Fusion::none);

/// Per-block step times of a sub-network `sub` of `full` (IST: the same layers, fewer neurons), from its own
/// layer shapes. A profile measured on `full` is scaled layer by layer by the sub-layer's share of the full
/// layer's work (MACs for linear and conv layers, output elements otherwise).
std::vector<StepTime> sub_block_step_times(const Model& full, const Model& sub, const GpuKind& gpu, MathMode math,
                                           int batch, const Profile* profile = nullptr,
                                           Fusion fusion = Fusion::none);

} // namespace resist::sim
