// The data-set file formats, parsed without LibTorch so they can be fuzzed alone: IDX (MNIST layout)
// and CIFAR binary records. Every header number is checked against the bytes present before any size is
// computed (a hostile header's N x rows x cols must not overflow or allocate), and every label must be
// below the number of classes (torch's loss would otherwise fail deep inside with a stack trace).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace resist::exec {

/// Images as bytes, N x C x H x W, with one label each.
struct RawImages {
  std::int64_t n = 0, channels = 0, height = 0, width = 0;
  std::vector<std::uint8_t> pixels; // N*C*H*W
  std::vector<std::uint8_t> labels; // N
};

/// An IDX image file (magic 2051, [N, rows, cols]) and its label file (magic 2049, [N]).
/// Throws InputError naming the file.
RawImages parse_idx(const std::vector<std::uint8_t>& images, const std::vector<std::uint8_t>& labels,
                    const std::string& images_name, const std::string& labels_name, int classes);

/// CIFAR binary records: `label_bytes` label bytes (the last is the label), then 3x32x32 bytes CHW.
/// Appends to `out`. Throws InputError naming the file.
void append_cifar_records(const std::vector<std::uint8_t>& bytes, int label_bytes, const std::string& name,
                          int classes, RawImages& out);

} // namespace resist::exec
