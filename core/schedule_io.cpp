#include "core/schedule_io.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include <limits>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/json_number.hpp"
#include "core/limits.hpp"
#include "core/schedule_check.hpp"

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
    nlohmann::json jr = {{"round", r.round}, {"first_step", r.first_step}, {"steps", r.steps}, {"lr", lr},
                         {"workers", workers}};
    // Only in a phase other than the run's (a local SGD warm-up), so other schedules' hashes stay as they were.
    if (r.protocol != s.config.protocol) jr["protocol"] = to_string(r.protocol);
    rounds.push_back(std::move(jr));
  }
  nlohmann::json j = {{"format", kScheduleFormat},
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
  // layer_parallel only (other protocols' hashes stay as they were): the module cut, hashed with the rest.
  if (s.config.protocol == Protocol::layer_parallel) j["layer_parallel"] = {{"module_first_block", s.module_first_block}};
  // Continuations only (an original schedule's hash stays as it was): the parent's hash is hashed with the rest.
  if (s.segment.is_continuation())
    j["segment"] = {{"first_round", s.segment.first_round},
                    {"parent_hash", s.segment.parent_hash},
                    {"worker_origin", s.segment.worker_origin}};
  return j;
}

std::string hash_of(const nlohmann::json& content) {
  const std::string text = content.dump();
  const XXH128_hash_t h = XXH3_128bits(text.data(), text.size());
  return fmt::format("xxh3-128:{:016x}{:016x}", h.high64, h.low64);
}

} // namespace

std::string schedule_document_hash(const nlohmann::json& document) {
  nlohmann::json content = document;
  if (content.is_object()) content.erase("hash");
  return hash_of(content);
}

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
    s.params = json_int(m, "params", 0, std::numeric_limits<std::int64_t>::max());
    for (const auto& b : m.at("partitionable")) s.partitionable.push_back(json_int32(nlohmann::json{{"block", b}}, "block"));
    s.eval_scale = json_double(m.at("eval_scale"), "eval_scale");
    s.train_size = json_int(j, "train_size", 1, limits::kTrainSize);
    s.steps_per_epoch = json_int32(j, "steps_per_epoch", 1);
    s.total_steps = json_int(j, "total_steps", 1, std::numeric_limits<std::int64_t>::max());
    if (s.config.protocol == Protocol::layer_parallel)
      for (const auto& b : j.at("layer_parallel").at("module_first_block"))
        s.module_first_block.push_back(json_int32(nlohmann::json{{"module_first_block", b}}, "module_first_block"));
    if (j.contains("segment")) {
      const auto& g = j.at("segment");
      s.segment.first_round = json_int32(g, "first_round", 1, limits::kRounds);
      s.segment.parent_hash = g.at("parent_hash").get<std::string>();
      if (s.segment.parent_hash.empty()) throw InputError("segment: parent_hash is empty");
      for (const auto& w : g.at("worker_origin"))
        s.segment.worker_origin.push_back(json_int32(nlohmann::json{{"worker_origin", w}}, "worker_origin", 0,
                                                     limits::kWorkers - 1));
    }
    const auto& rounds = j.at("rounds");
    if (!rounds.is_array() || rounds.size() > static_cast<std::size_t>(limits::kRounds))
      throw InputError(fmt::format("rounds: an array of at most {} rounds expected", limits::kRounds));
    for (const auto& jr : rounds) {
      Round r;
      r.round = json_int32(jr, "round");
      r.first_step = json_int(jr, "first_step", 0, std::numeric_limits<std::int64_t>::max());
      r.steps = json_int32(jr, "steps", 1, limits::kLocalSteps);
      r.protocol = jr.contains("protocol") ? parse_protocol(jr.at("protocol").get<std::string>()) : s.config.protocol;
      for (const auto& seg : jr.at("lr")) {
        if (!seg.is_array() || seg.size() != 2) throw InputError(fmt::format("round {}: lr entries are [step, lr] pairs", r.round));
        r.lr.push_back({json_int32(nlohmann::json{{"lr step", seg.at(0)}}, "lr step"), json_double(seg.at(1), "lr")});
      }
      const auto& workers = jr.at("workers");
      if (!workers.is_array() || workers.size() > static_cast<std::size_t>(limits::kWorkers))
        throw InputError(fmt::format("round {}: an array of at most {} workers expected", r.round, limits::kWorkers));
      for (const auto& jw : workers) {
        WorkerRound w;
        w.worker = json_int32(jw, "worker", 0, limits::kWorkers - 1);
        for (const auto& b : jw.at("blocks")) w.blocks.push_back(json_int32(nlohmann::json{{"block", b}}, "block"));
        w.data_seed = json_uint64(jw, "data_seed");
        r.workers.push_back(std::move(w));
      }
      s.rounds.push_back(std::move(r));
    }
    check_schedule(s);
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("malformed schedule: {}", e.what()));
  }
}

std::string schedule_to_string(const Schedule& schedule) { return schedule_to_json(schedule).dump(2) + "\n"; }

Schedule read_schedule(const std::string& path) {
  const std::string text = read_input_file(path, "schedule file");
  try {
    return schedule_from_json(nlohmann::json::parse(text));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("schedule file '{}' is not valid JSON: {}", path, e.what()));
  } catch (const InputError& e) {
    throw InputError(fmt::format("schedule file '{}': {}", path, e.what()));
  }
}

} // namespace resist
