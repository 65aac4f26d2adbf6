#include "core/accuracy_seeds.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/schedule_io.hpp"

namespace resist {
namespace {

std::string seed_list(const std::vector<SeedCurve>& runs) {
  std::vector<std::uint64_t> seeds;
  for (const auto& r : runs) seeds.push_back(r.seed);
  std::sort(seeds.begin(), seeds.end());
  return fmt::format("{}", fmt::join(seeds, ","));
}

} // namespace

SeedCurve read_seed_curve(const std::string& path, const Schedule& schedule) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return {read_accuracy_curve(path, schedule), false, 0};
  const Schedule ran = read_schedule(path + "/schedule.json");
  if (schedule_hash(ran) == schedule_hash(schedule)) return {read_accuracy_curve(path, schedule), true, ran.config.seed};
  nlohmann::json want = to_json(schedule.config), got = to_json(ran.config);
  std::vector<std::string> differ;
  for (const auto& [key, value] : want.items())
    if (key != "seed" && (!got.contains(key) || got[key] != value))
      differ.push_back(fmt::format("{} {} (simulated {})", key, got.contains(key) ? got[key].dump() : "absent",
                                   value.dump()));
  for (const auto& [key, value] : got.items())
    if (!want.contains(key)) differ.push_back(fmt::format("{} {} (simulated: absent)", key, value.dump()));
  if (!differ.empty())
    throw InputError(fmt::format("{}: the run differs from the simulated config in more than the seed: {} (schedules "
                                 "{} and {})", path, fmt::join(differ, ", "), schedule_hash(ran),
                                 schedule_hash(schedule)));
  if (ran.config.seed == schedule.config.seed || ran.segment.is_continuation() || schedule.segment.is_continuation())
    return {read_accuracy_curve(path, schedule), true, ran.config.seed}; // refused there, both hashes named
  // Same config, another seed: its own schedule's curve; the rounds are the same in number and steps.
  return {read_accuracy_curve(path, ran), true, ran.config.seed};
}

void check_seed_sets(const std::vector<std::pair<std::string, std::vector<SeedCurve>>>& by_protocol) {
  for (const auto& [protocol, runs] : by_protocol)
    for (std::size_t i = 0; i < runs.size(); ++i)
      for (std::size_t j = i + 1; j < runs.size(); ++j)
        if (runs[i].seed_known && runs[j].seed_known && runs[i].seed == runs[j].seed)
          throw InputError(fmt::format("--accuracy-curve {}: {} and {} are both seed {} (seed variance needs runs of "
                                       "different seeds)", protocol, runs[i].curve.source, runs[j].curve.source,
                                       runs[i].seed));
  const std::pair<std::string, std::vector<SeedCurve>>* first = nullptr;
  for (const auto& p : by_protocol) {
    const bool known = p.second.size() > 1 && std::all_of(p.second.begin(), p.second.end(),
                                                          [](const SeedCurve& r) { return r.seed_known; });
    if (!known) continue;
    if (!first) {
      first = &p;
    } else if (seed_list(first->second) != seed_list(p.second)) {
      throw InputError(fmt::format("--accuracy-curve: {}'s seeds {} differ from {}'s seeds {} (compare protocols "
                                   "over the same seeds)", first->first, seed_list(first->second), p.first,
                                   seed_list(p.second)));
    }
  }
}

SeedSpread seed_spread(const std::vector<TargetTime>& per_seed) {
  SeedSpread s;
  constexpr double never = std::numeric_limits<double>::infinity();
  std::vector<double> t;
  for (const TargetTime& x : per_seed) {
    t.push_back(x.reached ? x.time_s : never);
    s.reached += x.reached ? 1 : 0;
    s.extrapolated += x.reached && x.extrapolated ? 1 : 0;
  }
  s.seeds = static_cast<int>(t.size());
  if (t.empty()) return s;
  std::sort(t.begin(), t.end());
  const std::size_t n = t.size();
  const double median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
  s.median_reached = median < never;
  s.median_s = s.median_reached ? median : 0;
  s.min_s = t.front() < never ? t.front() : 0;
  s.max_reached = t.back() < never;
  s.max_s = s.max_reached ? t.back() : 0;
  return s;
}

} // namespace resist
