#include "sim/gpu_model.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h> // fmt::join (in format.h before fmt 11)

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/limits.hpp"
#include "core/number.hpp"
#include "sim/embedded.hpp"

namespace resist::sim {

MathMode parse_math(const std::string& name) {
  for (MathMode m : {MathMode::fp32, MathMode::tf32, MathMode::fp16, MathMode::bf16})
    if (name == to_string(m)) return m;
  throw InputError(fmt::format("unknown precision '{}' (known: fp32, tf32, fp16, bf16)", name));
}

const char* to_string(MathMode math) {
  switch (math) {
  case MathMode::fp32: return "fp32";
  case MathMode::tf32: return "tf32";
  case MathMode::fp16: return "fp16";
  case MathMode::bf16: return "bf16";
  }
  return "?";
}

bool is_half(MathMode math) { return math == MathMode::fp16 || math == MathMode::bf16; }

Fusion parse_fusion(const std::string& name) {
  for (Fusion f : {Fusion::none, Fusion::bn_act, Fusion::conv_bn})
    if (name == to_string(f)) return f;
  throw InputError(fmt::format("unknown fusion '{}' (known: none, bn_act, conv_bn)", name));
}

const char* to_string(Fusion fusion) {
  switch (fusion) {
  case Fusion::none: return "none";
  case Fusion::bn_act: return "bn_act";
  case Fusion::conv_bn: return "conv_bn";
  }
  return "?";
}

const char* to_string(FusedRole role) {
  switch (role) {
  case FusedRole::own: return "no";
  case FusedRole::folded: return "folded";
  case FusedRole::shortcut: return "shortcut";
  }
  return "?";
}

std::vector<FusedRole> fusion_roles(const std::vector<Layer>& layers, Fusion fusion) {
  std::vector<FusedRole> role(layers.size(), FusedRole::own);
  if (fusion == Fusion::none) return role;
  // i - 1 below 0 wraps to a huge index, which is no layer.
  const auto is = [&](std::size_t i, LayerKind kind) { return i < layers.size() && layers[i].kind == kind; };
  for (std::size_t i = 0; i < layers.size(); ++i) {
    switch (layers[i].kind) {
    case LayerKind::relu: // the BatchNorm's or add's epilogue (or the next convolution's prologue)
      if (is(i - 1, LayerKind::batchnorm) || is(i - 1, LayerKind::add)) role[i] = FusedRole::folded;
      break;
    case LayerKind::add: // BN-add-ReLU: the BatchNorm before the add reads the shortcut too
      if (is(i - 1, LayerKind::batchnorm)) role[i] = FusedRole::shortcut;
      // NormConv's block end applies the projection's BatchNorm in the same kernel (BN, conv, BN, add).
      if (fusion == Fusion::conv_bn && is(i - 1, LayerKind::batchnorm) && is(i - 2, LayerKind::conv2d) &&
          is(i - 3, LayerKind::batchnorm))
        role[i - 1] = FusedRole::folded;
      break;
    case LayerKind::batchnorm: // NormConv: scale, bias and ReLU in the next convolution's prologue
      if (fusion == Fusion::conv_bn && is(i + 1, LayerKind::relu) && is(i + 2, LayerKind::conv2d))
        role[i] = FusedRole::folded;
      break;
    default: break;
    }
  }
  return role;
}

double GpuKind::matmul_flops(MathMode math) const {
  switch (math) {
  case MathMode::fp32: break;
  case MathMode::tf32:
    if (tf32_flops > 0) return tf32_flops * tf32_efficiency;
    break; // no TF32 (Volta): PyTorch runs FP32
  case MathMode::fp16:
  case MathMode::bf16: {
    const double peak = math == MathMode::fp16 ? fp16_flops : bf16_flops;
    if (peak <= 0) throw InputError(fmt::format("GPU '{}' has no {} tensor cores", name, to_string(math)));
    return peak * half_efficiency;
  }
  }
  return fp32_flops * fp32_efficiency;
}

namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) {
    cell.erase(0, cell.find_first_not_of(" \t\r"));
    cell.erase(cell.find_last_not_of(" \t\r") + 1);
    out.push_back(cell);
  }
  return out;
}

double number(const std::string& s, const std::string& origin, int line_no) {
  return parse_double(s, fmt::format("{}:{}", origin, line_no), 0, 1e30); // finite, non-negative
}

std::string read_text(const std::string& path, const char* what) { return read_input_file(path, what); }

/// Calls `row(fields, line_no)` for every data row of a CSV whose first non-comment line must be `header`;
/// blank lines and lines starting with '#' are skipped. Wrong headers and field counts are InputErrors.
template <class Row>
void for_each_csv_row(const std::string& text, const std::string& origin, const std::vector<std::string>& header,
                      Row row) {
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  bool header_seen = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] == '#') continue;
    const auto f = split_csv_line(line);
    if (!header_seen) {
      if (f != header)
        throw InputError(fmt::format("{}:{}: expected the header '{}'", origin, line_no, fmt::join(header, ",")));
      header_seen = true;
      continue;
    }
    if (f.size() != header.size())
      throw InputError(fmt::format("{}:{}: expected {} fields, got {}", origin, line_no, header.size(), f.size()));
    row(f, line_no);
  }
}

} // namespace

GpuTable GpuTable::parse(const std::string& text, const std::string& origin) {
  static const std::vector<std::string> kHeader = {"kind",           "fp32_tflops",       "tf32_tflops",
                                                   "fp16_tflops",    "bf16_tflops",       "mem_GBps",
                                                   "fp32_efficiency", "tf32_efficiency", "half_efficiency",
                                                   "mem_efficiency", "launch_us",       "nvls"};
  GpuTable t;
  for_each_csv_row(text, origin, kHeader, [&](const std::vector<std::string>& f, int line_no) {
    GpuKind g;
    g.name = f[0];
    g.fp32_flops = number(f[1], origin, line_no) * 1e12;
    g.tf32_flops = number(f[2], origin, line_no) * 1e12;
    g.fp16_flops = number(f[3], origin, line_no) * 1e12;
    g.bf16_flops = number(f[4], origin, line_no) * 1e12;
    g.mem_Bps = number(f[5], origin, line_no) * 1e9;
    g.fp32_efficiency = number(f[6], origin, line_no);
    g.tf32_efficiency = number(f[7], origin, line_no);
    g.half_efficiency = number(f[8], origin, line_no);
    g.mem_efficiency = number(f[9], origin, line_no);
    g.launch_s = number(f[10], origin, line_no) * 1e-6;
    g.nvls = number(f[11], origin, line_no) > 0;
    if (g.fp32_flops <= 0 || g.mem_Bps <= 0 || g.fp32_efficiency <= 0 || g.mem_efficiency <= 0)
      throw InputError(fmt::format("{}:{}: GPU '{}' needs positive FP32 peak, bandwidth and efficiencies", origin,
                                   line_no, g.name));
    // A tensor-core peak without an efficiency would make its convolutions take forever.
    if ((g.tf32_flops > 0 && g.tf32_efficiency <= 0) || ((g.fp16_flops > 0 || g.bf16_flops > 0) && g.half_efficiency <= 0))
      throw InputError(fmt::format("{}:{}: GPU '{}' has tensor-core peaks but no positive tf32_efficiency / "
                                   "half_efficiency for them", origin, line_no, g.name));
    t.kinds_[g.name] = g;
  });
  if (t.kinds_.empty()) throw InputError(fmt::format("{}: no GPU kinds", origin));
  return t;
}

const GpuTable& GpuTable::builtin() {
  static const GpuTable table = [] {
    for (const auto& f : embedded_files())
      if (std::string(f.name) == "gpus.csv") return parse(f.text, "platforms/gpus.csv");
    throw Error("the built-in GPU table is missing");
  }();
  return table;
}

GpuTable GpuTable::read(const std::string& path) { return parse(read_text(path, "GPU table"), path); }

const GpuKind& GpuTable::at(const std::string& name) const {
  auto it = kinds_.find(name);
  if (it == kinds_.end())
    throw InputError(fmt::format("unknown GPU kind '{}' (known: {})", name, fmt::join(names(), ", ")));
  return it->second;
}

std::vector<std::string> GpuTable::names() const {
  std::vector<std::string> out;
  for (const auto& [name, kind] : kinds_) out.push_back(name);
  return out;
}

const char* to_string(Bound bound) {
  switch (bound) {
  case Bound::compute: return "compute";
  case Bound::memory: return "memory";
  case Bound::fused: return "fused";
  }
  return "?";
}

LayerRoofline roofline_layer(const Layer& layer, const GpuKind& gpu, MathMode math, int batch, FusedRole role) {
  LayerRoofline r;
  const bool matmul = layer.kind == LayerKind::conv2d || layer.kind == LayerKind::linear;
  const bool half = is_half(math);
  const double bytes_per_s = gpu.mem_Bps * gpu.mem_efficiency;
  const double param_bytes = static_cast<double>(layer.param_bytes()); // FP32 master copy
  const double act_scale = half ? 0.5 : 1.0;                           // activations in half precision
  // SGD with momentum on FP32: read w, grad, momentum; write w, momentum. AMP adds the cast of the
  // weights to half (read 4, write 2 bytes per parameter) and the unscale of the gradients (read, write).
  const double update_s = (half ? 5 + 1.5 + 2 : 5) * param_bytes / bytes_per_s;
  if (role != FusedRole::own && !matmul) {
    // Inside a neighbour's kernel: no launch; a folded layer moves no activation bytes of its own, a fused
    // add only its shortcut (read forward, gradient written backward). Parameters are still updated.
    r.forward_bound = r.backward_bound = Bound::fused;
    if (role == FusedRole::shortcut) {
      r.forward_bytes = static_cast<double>(layer.output_bytes) * batch * act_scale;
      r.backward_bytes = 2 * r.forward_bytes;
      r.time.forward_s = r.forward_bytes / bytes_per_s;
      r.time.backward_s = r.backward_bytes / bytes_per_s;
    }
    r.time.update_s = update_s;
    return r;
  }
  const double act_bytes = static_cast<double>(layer.input_bytes + layer.output_bytes) * batch * act_scale;
  const double param_read_bytes = half && matmul ? param_bytes / 2 : param_bytes; // autocast's half copy
  r.forward_bytes = act_bytes + param_read_bytes;
  r.backward_bytes = 2 * (act_bytes + param_read_bytes);
  const double fwd_mem_s = r.forward_bytes / bytes_per_s;
  const double bwd_mem_s = r.backward_bytes / bytes_per_s;
  // Backward: data gradient (skipped for the first layer) and, with parameters, weight gradient.
  const int bwd_kernels = (layer.first_layer ? 0 : 1) + (layer.params > 0 ? 1 : 0);
  StepTime& t = r.time;
  r.forward_bound = r.backward_bound = Bound::memory;
  if (matmul) {
    const double flops_per_s = gpu.matmul_flops(math);
    r.forward_flops = static_cast<double>(layer.forward_flops()) * batch;
    r.backward_flops = static_cast<double>(layer.backward_flops()) * batch;
    const double fwd_math_s = r.forward_flops / flops_per_s, bwd_math_s = r.backward_flops / flops_per_s;
    t.forward_s = std::max(fwd_math_s, fwd_mem_s);
    t.backward_s = std::max(bwd_math_s, bwd_mem_s);
    if (fwd_math_s >= fwd_mem_s) r.forward_bound = Bound::compute;
    if (bwd_math_s >= bwd_mem_s) r.backward_bound = Bound::compute;
  } else {
    t.forward_s = fwd_mem_s;
    t.backward_s = bwd_mem_s;
  }
  r.kernels = 1 + bwd_kernels;
  t.forward_s += gpu.launch_s;
  t.backward_s += bwd_kernels * gpu.launch_s;
  t.update_s = update_s;
  return r;
}

StepTime roofline_layer_time(const Layer& layer, const GpuKind& gpu, MathMode math, int batch) {
  return roofline_layer(layer, gpu, math, batch).time;
}

std::vector<StepTime> block_step_times(const Model& model, const GpuKind& gpu, MathMode math, int batch,
                                       const Profile* profile, Fusion fusion) {
  return sub_block_step_times(model, model, gpu, math, batch, profile, fusion);
}

std::vector<StepTime> sub_block_step_times(const Model& full, const Model& sub, const GpuKind& gpu, MathMode math,
                                           int batch, const Profile* profile, Fusion fusion) {
  if (sub.blocks.size() != full.blocks.size())
    throw Error(fmt::format("{} is no sub-network of {}: {} blocks, not {}", sub.description, full.name,
                            sub.blocks.size(), full.blocks.size()));
  std::vector<StepTime> out;
  for (std::size_t b = 0; b < sub.blocks.size(); ++b) {
    StepTime sum;
    const std::vector<FusedRole> roles = fusion_roles(sub.blocks[b].layers, fusion);
    for (std::size_t i = 0; i < sub.blocks[b].layers.size(); ++i) {
      const Layer& l = sub.blocks[b].layers[i];
      const Layer& whole = full.blocks[b].layers.at(i);
      StepTime t = roofline_layer(l, gpu, math, batch, roles[i]).time;
      const ProfileEntry* measured = nullptr;
      if (profile)
        if (const auto it = profile->layers.find(whole.name); it != profile->layers.end()) measured = &it->second;
      if (measured) {
        // A sub-network's layer: the measured seconds of the whole layer by its share of the work.
        const double share = &l == &whole             ? 1.0
                             : whole.forward_macs > 0 ? static_cast<double>(l.forward_macs) / whole.forward_macs
                                                      : static_cast<double>(l.output_bytes) / whole.output_bytes;
        const double scale = share * batch / measured->batch;
        t.forward_s = measured->forward_s * scale;
        t.backward_s = measured->backward_s * scale;
        if (profile->complete()) t.update_s = 0; // measured as the profile's @optimizer_step
      }
      sum.forward_s += t.forward_s;
      sum.backward_s += t.backward_s;
      sum.update_s += t.update_s;
    }
    out.push_back(sum);
  }
  return out;
}

} // namespace resist::sim
