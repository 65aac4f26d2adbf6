// The GPU model: seconds per layer for one local step, from FLOPs and bytes through a roofline
// (peak FLOP/s and memory bandwidth of the GPU kind, each scaled by an achieved-efficiency factor), or
// from a measured per-layer profile when one is given (it takes precedence for the layers it lists).
// GPU kinds live in platforms/gpus.csv with the source of every number; the file is compiled in.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/model.hpp"
#include "core/profile.hpp"

namespace resist::sim {

/// Which peak applies to convolutions and linear layers: plain FP32, or TF32 tensor cores (Ampere and
/// later; cuDNN uses TF32 for convolutions by default in PyTorch >= 1.7).
enum class MathMode { fp32, tf32 };
MathMode parse_math(const std::string& name); // throws InputError naming the value

struct GpuKind {
  std::string name;
  double fp32_flops = 0;       // peak FLOP/s
  double tf32_flops = 0;       // peak FLOP/s, 0 when the kind has no TF32
  double mem_Bps = 0;          // peak memory bandwidth, bytes/s
  double fp32_efficiency = 1;  // achieved fraction of the FP32 peak
  double tf32_efficiency = 1;
  double mem_efficiency = 1;   // achieved fraction of the memory bandwidth
  double launch_s = 0;         // fixed cost per kernel, seconds

  /// Achieved FLOP/s of matrix-type layers under `math`.
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

/// Roofline time of one layer for `batch` images: max(FLOPs / achieved FLOP/s, bytes / achieved
/// bandwidth) plus a launch cost per kernel. Bytes are fp32 activations in and out (read once
/// forward, twice backward) and the parameters (read forward and backward, gradient written).
StepTime roofline_layer_time(const Layer& layer, const GpuKind& gpu, MathMode math, int batch);

/// Per-block step times of a model on one GPU kind (profile entries replace the roofline of their layers;
/// times scale linearly with the batch). The profile must have been checked against the model.
std::vector<StepTime> block_step_times(const Model& model, const GpuKind& gpu, MathMode math, int batch,
                                       const Profile* profile = nullptr);

} // namespace resist::sim
