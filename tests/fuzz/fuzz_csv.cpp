// libFuzzer target: the CSV readers: the GPU table (sim) and the timeline (core; the trainer reads its
// ranks' rows back through it).
#include "core/error.hpp"
#include "core/timeline.hpp"
#include "sim/gpu_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    resist::sim::GpuTable::parse(text, "fuzz.csv");
  } catch (const resist::Error&) {
  }
  try {
    resist::timeline_from_csv(text);
  } catch (const resist::Error&) {
  }
  return 0;
}
