// Communication-volume regression: every cell of experiments/baselines/comm_volume.csv is recomputed
// and must match exactly. A drift fails naming the cell. To change the accounting on purpose,
// regenerate the file with scripts/update-comm-baseline.sh and commit it with the change.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <sstream>

#include "core/comm_volume.hpp"

using namespace resist;

namespace {
std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) out.push_back(cell);
  return out;
}
} // namespace

TEST_CASE("comm volume matches the checked-in baseline", "[core]") {
  const std::string path = std::string(RESIST_SOURCE_DIR) + "/experiments/baselines/comm_volume.csv";
  std::ifstream in(path);
  REQUIRE(in.good());
  std::string line;
  std::getline(in, line);
  const auto header = split(line);
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  int cells = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto f = split(line);
    RunConfig c;
    c.model = f.at(col.at("model"));
    c.model_options.classes = std::stoi(f.at(col.at("classes")));
    c.protocol = parse_protocol(f.at(col.at("protocol")));
    c.workers = std::stoi(f.at(col.at("workers")));
    c.min_depth = std::stoi(f.at(col.at("min_depth")));
    const CommVolume v = comm_volume(c, Algorithm::ring);
    const std::string cell = fmt::format("model={} classes={} protocol={} workers={} min_depth={}", c.model,
                                         c.model_options.classes, to_string(c.protocol), c.workers, c.min_depth);
    const std::pair<const char*, std::int64_t> now[] = {{"slots", v.slots},
                                                        {"bytes_per_round", v.bytes_per_round},
                                                        {"wire_bytes_per_round", v.wire_bytes_per_round},
                                                        {"rounds", v.rounds},
                                                        {"bytes_per_run", v.bytes_per_run}};
    for (const auto& [name, value] : now) {
      const std::int64_t baseline = std::stoll(f.at(col.at(name)));
      if (value != baseline)
        FAIL_CHECK(fmt::format("comm volume drifted in cell {}: {} was {} in the baseline, now {} "
                               "(if intended, run scripts/update-comm-baseline.sh)",
                               cell, name, baseline, value));
    }
    ++cells;
  }
  CHECK(cells > 50);
}
