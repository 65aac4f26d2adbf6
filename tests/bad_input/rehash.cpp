// Test helper: rewrites a schedule document's "hash" field to match its content, so the bad-input suite
// can build schedules whose hash is valid but whose content is not (what check_schedule must catch).
//   schedule_rehash FILE
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/schedule_io.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: schedule_rehash FILE\n";
    return 2;
  }
  nlohmann::json j;
  {
    std::ifstream in(argv[1]);
    j = nlohmann::json::parse(in);
  }
  j["hash"] = resist::schedule_document_hash(j);
  std::ofstream(argv[1]) << j.dump(1) << "\n";
  return 0;
}
