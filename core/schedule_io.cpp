#include "core/schedule_io.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"

namespace resist {
namespace {

nlohmann::json content_json(const Schedule& s) {
  nlohmann::json rounds = nlohmann::json::array();
  for (const Round& r : s.rounds) {
    nlohmann::json lr = nlohmann::json::array();
    for (const auto& seg : r.lr) lr.push_back({seg.first_step, seg.lr});
    nlohmann::json workers = nlohmann::json::array();
    for (const auto& w : r.workers)
      workers.push_back({{"worker", w.worker}, {"blocks", w.blocks}, {"data_seed", w.data_seed}});
    rounds.push_back({{"round", r.round}, {"first_step", r.first_step}, {"steps", r.steps}, {"lr", lr},
                      {"workers", workers}});
  }
  return {{"format", kScheduleFormat},
          {"config", to_json(s.config)},
          {"model",
           {{"name", s.model},
            {"params", s.params},
            {"partitionable", s.partitionable},
            {"eval_scale", s.eval_scale}}},
          {"train_size", s.train_size},
          {"steps_per_epoch", s.steps_per_epoch},
          {"total_steps", s.total_steps},
          {"rounds", rounds}};
}

std::string hash_of(const nlohmann::json& content) {
  const std::string text = content.dump();
  const XXH128_hash_t h = XXH3_128bits(text.data(), text.size());
  return fmt::format("xxh3-128:{:016x}{:016x}", h.high64, h.low64);
}

} // namespace

std::string schedule_hash(const Schedule& schedule) { return hash_of(content_json(schedule)); }

nlohmann::json schedule_to_json(const Schedule& schedule) {
  nlohmann::json j = content_json(schedule);
  j["hash"] = hash_of(j);
  return j;
}

Schedule schedule_from_json(const nlohmann::json& j) {
  try {
    if (j.at("format") != kScheduleFormat)
      throw InputError(fmt::format("schedule format '{}' is not {}", j.at("format").dump(), kScheduleFormat));
    nlohmann::json content = j;
    const std::string stated = content.at("hash").get<std::string>();
    content.erase("hash");
    const std::string actual = hash_of(content);
    if (stated != actual)
      throw InputError(fmt::format("schedule hash mismatch: the file says {} but its content hashes to {}", stated,
                                   actual));
    Schedule s;
    s.config = run_config_from_json(j.at("config"));
    const auto& m = j.at("model");
    s.model = m.at("name").get<std::string>();
    s.params = m.at("params").get<std::int64_t>();
    s.partitionable = m.at("partitionable").get<std::vector<int>>();
    s.eval_scale = m.at("eval_scale").get<double>();
    s.train_size = j.at("train_size").get<std::int64_t>();
    s.steps_per_epoch = j.at("steps_per_epoch").get<int>();
    s.total_steps = j.at("total_steps").get<std::int64_t>();
    for (const auto& jr : j.at("rounds")) {
      Round r;
      r.round = jr.at("round").get<int>();
      r.first_step = jr.at("first_step").get<std::int64_t>();
      r.steps = jr.at("steps").get<int>();
      for (const auto& seg : jr.at("lr")) r.lr.push_back({seg.at(0).get<int>(), seg.at(1).get<double>()});
      for (const auto& jw : jr.at("workers"))
        r.workers.push_back({jw.at("worker").get<int>(), jw.at("blocks").get<std::vector<int>>(),
                             jw.at("data_seed").get<std::uint64_t>()});
      s.rounds.push_back(std::move(r));
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("malformed schedule: {}", e.what()));
  }
}

std::string schedule_to_string(const Schedule& schedule) { return schedule_to_json(schedule).dump(2) + "\n"; }

Schedule read_schedule(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("cannot read schedule file '{}'", path));
  try {
    return schedule_from_json(nlohmann::json::parse(in));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("schedule file '{}' is not valid JSON: {}", path, e.what()));
  } catch (const InputError& e) {
    throw InputError(fmt::format("schedule file '{}': {}", path, e.what()));
  }
}

} // namespace resist
