// libFuzzer target: CIFAR-10 (1 label byte) and CIFAR-100 (2 label bytes) binary records.
#include "core/error.hpp"
#include "exec/data_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> bytes(data, data + size);
  for (int label_bytes : {1, 2}) {
    try {
      resist::exec::RawImages raw;
      resist::exec::append_cifar_records(bytes, label_bytes, "fuzz.bin", label_bytes == 1 ? 10 : 100, raw);
      if (raw.pixels.size() != static_cast<std::size_t>(raw.n) * 3072) __builtin_trap();
    } catch (const resist::Error&) {
    }
  }
  return 0;
}
