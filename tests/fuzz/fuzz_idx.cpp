// libFuzzer target: IDX image + label files (Fashion-MNIST). The input is split in two at its first
// byte's position (a fraction of the rest), so header and label file vary together.
#include "core/error.hpp"
#include "exec/data_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t rest = size - 1;
  const std::size_t cut = rest * data[0] / 255;
  const std::vector<std::uint8_t> images(data + 1, data + 1 + cut), labels(data + 1 + cut, data + size);
  try {
    const auto raw = resist::exec::parse_idx(images, labels, "images", "labels", 10);
    if (raw.pixels.size() != static_cast<std::size_t>(raw.n * raw.height * raw.width)) __builtin_trap();
  } catch (const resist::Error&) {
  }
  return 0;
}
