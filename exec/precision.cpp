#include "exec/precision.hpp"

#include <ATen/autocast_mode.h>
#include <torch/version.h>
#include <fmt/format.h>

#include "core/error.hpp"
#include "exec/autocast.hpp"

namespace resist::exec {

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::fp32;
  if (name == "tf32") return Precision::tf32;
  if (name == "bf16") return Precision::bf16;
  if (name == "fp16") return Precision::fp16;
  throw InputError(fmt::format("unknown precision '{}' (known: fp32, tf32, bf16, fp16)", name));
}

const char* to_string(Precision p) {
  switch (p) {
  case Precision::fp32: return "fp32";
  case Precision::tf32: return "tf32";
  case Precision::bf16: return "bf16";
  case Precision::fp16: return "fp16";
  }
  return "?";
}

void check_precision(Precision p, bool cuda) {
  if (!cuda && (p == Precision::tf32 || p == Precision::fp16))
    throw InputError(fmt::format("--precision {} needs --device cuda (on CPU: fp32 or bf16)", to_string(p)));
}

MemoryFormat parse_memory_format(const std::string& name) {
  if (name == "auto") return MemoryFormat::automatic;
  if (name == "nchw") return MemoryFormat::nchw;
  if (name == "channels_last") return MemoryFormat::channels_last;
  throw InputError(fmt::format("unknown memory format '{}' (known: auto, nchw, channels_last)", name));
}

bool channels_last(MemoryFormat f, Precision p, bool cuda) {
  if (f != MemoryFormat::automatic) return f == MemoryFormat::channels_last;
  return cuda && p != Precision::fp32;
}

void to_memory_format(torch::nn::Module& module, bool channels_last) {
  const auto format = channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters()) // convolution weights; the other parameters have no layout to choose
    if (p.dim() == 4) p.set_data(p.data().contiguous(format));
}

void apply_math_mode(Precision p) {
  const bool tf32 = p == Precision::tf32;
  at::globalContext().setAllowTF32CuBLAS(tf32);
  at::globalContext().setAllowTF32CuDNN(tf32);
  // Shapes are fixed for a whole run: let cuDNN time its algorithms once per shape (what NVIDIA's
  // DeepLearningExamples and experiments/gpu_h100's PyTorch references do). No effect on CPU.
  at::globalContext().setBenchmarkCuDNN(true);
}

AutocastScope::AutocastScope(Precision p, const torch::Device& device) : cuda_(device.is_cuda()) {
  if (p != Precision::bf16 && p != Precision::fp16) return;
  active_ = true;
  const at::ScalarType dtype = p == Precision::bf16 ? at::kBFloat16 : at::kHalf;
  const at::DeviceType type = cuda_ ? at::kCUDA : at::kCPU;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  // 2.4 made autocast per device type (the per-device calls below were deprecated then).
  at::autocast::set_autocast_dtype(type, dtype);
  at::autocast::set_autocast_enabled(type, true);
#else
  if (type == at::kCUDA) {
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(true);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(true);
  }
#endif
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  at::autocast::set_autocast_enabled(cuda_ ? at::kCUDA : at::kCPU, false);
#else
  if (cuda_) at::autocast::set_enabled(false);
  else at::autocast::set_cpu_enabled(false);
#endif
  at::autocast::clear_cache();
}

bool LossScaler::unscale(const std::vector<torch::Tensor>& params) {
  if (!enabled_) return true;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return true;
  if (grads.front().is_cuda()) {
    // GradScaler's fused kernel: unscale and check every gradient in a few launches, one sync (a
    // per-tensor isfinite().item() was ~300 syncs per ResNet-101 step: 25% of an fp16 step on an H100).
    auto opts = grads.front().options().dtype(torch::kFloat32);
    torch::Tensor found_inf = torch::zeros({1}, opts);
    at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf, torch::full({1}, 1.0 / scale_, opts));
    return found_inf.item<float>() == 0;
  }
  bool finite = true;
  for (auto& g : grads) {
    g.div_(scale_);
    finite = finite && g.isfinite().all().item<bool>();
  }
  return finite;
}

void LossScaler::update(bool stepped) {
  if (!enabled_) return;
  if (!stepped) {
    scale_ = std::max(1.0, scale_ / 2);
    good_steps_ = 0;
  } else if (++good_steps_ >= 2000) {
    scale_ *= 2;
    good_steps_ = 0;
  }
}

} // namespace resist::exec
