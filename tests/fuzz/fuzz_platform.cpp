// libFuzzer target: parametric platform descriptions, as a TOML file and as a parametric:k=v,... spec.
// (SimGrid XML is parsed by SimGrid itself inside the simulator's child process; not fuzzed here.)
#include "core/error.hpp"
#include "sim/platform.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (bool toml : {true, false}) {
    try {
      resist::sim::parse_parametric(text, toml, "fuzz");
    } catch (const resist::Error&) {
    }
  }
  return 0;
}
