#include "exec/data_format.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/limits.hpp"

namespace resist::exec {
namespace {

std::uint32_t be32(const std::vector<std::uint8_t>& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

void check_labels(const std::uint8_t* first, std::int64_t n, int classes, const std::string& name) {
  for (std::int64_t i = 0; i < n; ++i)
    if (first[i] >= classes)
      throw InputError(fmt::format("{}: label {} of image {} is not below the {} classes", name, first[i], i, classes));
}

} // namespace

RawImages parse_idx(const std::vector<std::uint8_t>& img, const std::vector<std::uint8_t>& lab,
                    const std::string& images_name, const std::string& labels_name, int classes) {
  if (img.size() < 16 || be32(img, 0) != 2051) throw InputError(fmt::format("{}: not an IDX image file", images_name));
  if (lab.size() < 8 || be32(lab, 0) != 2049) throw InputError(fmt::format("{}: not an IDX label file", labels_name));
  const std::uint64_t n = be32(img, 4), rows = be32(img, 8), cols = be32(img, 12);
  if (rows == 0 || cols == 0 || rows > limits::kImageSize || cols > limits::kImageSize)
    throw InputError(fmt::format("{}: images of {}x{} pixels (limit {} per side)", images_name, rows, cols,
                                 limits::kImageSize));
  // rows, cols <= 4096 and n < 2^32: the product fits in 64 bits.
  if (img.size() - 16 != n * rows * cols)
    throw InputError(fmt::format("{}: the header says {} images of {}x{} but the file holds {} pixel bytes",
                                 images_name, n, rows, cols, img.size() - 16));
  if (be32(lab, 4) != n || lab.size() - 8 != n)
    throw InputError(fmt::format("{}: {} labels for the {} images of {}", labels_name, lab.size() - 8, n, images_name));
  RawImages r;
  r.n = static_cast<std::int64_t>(n);
  r.channels = 1;
  r.height = static_cast<std::int64_t>(rows);
  r.width = static_cast<std::int64_t>(cols);
  check_labels(lab.data() + 8, r.n, classes, labels_name);
  r.pixels.assign(img.begin() + 16, img.end());
  r.labels.assign(lab.begin() + 8, lab.end());
  return r;
}

void append_cifar_records(const std::vector<std::uint8_t>& bytes, int label_bytes, const std::string& name,
                          int classes, RawImages& out) {
  constexpr std::size_t kImage = 3 * 32 * 32;
  const std::size_t record = static_cast<std::size_t>(label_bytes) + kImage;
  if (bytes.empty() || bytes.size() % record != 0)
    throw InputError(fmt::format("{}: {} bytes is not a whole number of {}-byte CIFAR records", name, bytes.size(), record));
  const std::size_t n = bytes.size() / record;
  out.channels = 3;
  out.height = out.width = 32;
  out.pixels.reserve(out.pixels.size() + n * kImage);
  out.labels.reserve(out.labels.size() + n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* rec = bytes.data() + i * record;
    const std::uint8_t label = rec[label_bytes - 1];
    if (label >= classes)
      throw InputError(fmt::format("{}: label {} of record {} is not below the {} classes", name, label, i, classes));
    out.labels.push_back(label);
    out.pixels.insert(out.pixels.end(), rec + label_bytes, rec + record);
  }
  out.n += static_cast<std::int64_t>(n);
}

} // namespace resist::exec
