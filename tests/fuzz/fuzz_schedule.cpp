// libFuzzer target: the schedule reader. Inputs are JSON documents; the hash is recomputed when the
// document is an object so the fuzzer reaches the field validation behind it (check_schedule).
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/schedule_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    try {
      resist::schedule_from_json(j); // as read: the stated hash must match
    } catch (const resist::Error&) {
    }
    if (j.is_object()) {
      j["hash"] = resist::schedule_document_hash(j);
      const resist::Schedule s = resist::schedule_from_json(j);
      resist::schedule_to_string(s); // what was accepted can be written back
    }
  } catch (const nlohmann::json::exception&) {
  } catch (const resist::Error&) {
  }
  return 0;
}
