// Math precision of training: fp32, tf32 (CUDA matmul/convolutions on TF32 tensor cores), and mixed
// precision with autocast (bf16; fp16 with a dynamic loss scaler). Weights, their averaging across
// ranks and the optimizer's state stay fp32 in every mode: autocast casts per operation, the parameters
// are never cast. Torch-free header (the CLI parses the option); the torch side is in precision.cpp.
#pragma once
#include <string>

namespace resist::exec {

enum class Precision { fp32, tf32, bf16, fp16 };

/// Throws InputError naming the value and the known ones.
Precision parse_precision(const std::string& name);
const char* to_string(Precision p);

/// Throws InputError for a precision the device cannot run: tf32 and fp16 need CUDA (CPU autocast
/// runs bf16 only in LibTorch 1.13).
void check_precision(Precision p, bool cuda);

/// Layout of activations and convolution weights: NCHW, or channels-last (NHWC), which tensor-core
/// convolutions read without transposes. `automatic`: channels-last on CUDA in tf32, bf16 and fp16, NCHW
/// in fp32 and on the CPU. Measured on an H100 (experiments/gpu_h100), torchvision ResNet-50 at batch
/// 256 ran 1.35x (tf32) to 1.8x (bf16) faster channels-last and 4% slower in fp32.
enum class MemoryFormat { automatic, nchw, channels_last };

/// "auto", "nchw" or "channels_last"; throws InputError naming the value and the known ones.
MemoryFormat parse_memory_format(const std::string& name);
/// What `f` means for this precision and device: true = channels-last.
bool channels_last(MemoryFormat f, Precision p, bool cuda);

} // namespace resist::exec
