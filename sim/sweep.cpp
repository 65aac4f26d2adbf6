#include "sim/sweep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "core/number.hpp"
#include "core/progress.hpp"
#include "core/schedule.hpp"
#include "core/schedule_io.hpp"
#include "sim/child_process.hpp"
#include "sim/platform.hpp"
#include "sim/result_io.hpp"
#include "sim/sweep_accuracy.hpp"
#include "sim/sweep_file.hpp"

namespace resist::sim {

long sweep_size(const SweepGrid& g) {
  const long bw = g.bandwidths_GBps.empty() ? 1 : static_cast<long>(g.bandwidths_GBps.size());
  return static_cast<long>(g.workers.size() * g.platforms.size() * g.protocols.size() * g.local_steps.size()) * bw;
}

const std::vector<std::string>& sweep_columns() {
  static const std::vector<std::string> c{
      "platform", "bandwidth_GBps", "protocol", "collective", "workers", "min_depth", "local_steps",
      "rounds", "total_s", "per_round_s", "compute_s", "comm_s", "overhead_s", "idle_s", "wire_bytes",
      "payload_bytes", "speedup_vs_local_sgd", "sim_wall_s", "point", "point_id"};
  return c;
}

namespace {

enum class Kind { text, integer, real };
const std::vector<Kind>& column_kinds() {
  using K = Kind;
  static const std::vector<Kind> k{K::text, K::real, K::text, K::text, K::integer, K::integer, K::integer,
                                   K::integer, K::real, K::real, K::real, K::real, K::real, K::real, K::integer,
                                   K::integer, K::real, K::real, K::integer, K::text};
  return k;
}
constexpr std::size_t kTotalS = 8, kSpeedup = 16, kPoint = 18, kPointId = 19;

struct Point {
  std::string platform;
  double bw_GBps;
  int workers;
  int local_steps;
  Protocol protocol;
  int cell; // index of its (platform, bandwidth, workers, l): the slice unit
};

RunConfig point_config(const SweepGrid& g, const Point& p, int partitionable) {
  RunConfig c = g.base;
  c.protocol = p.protocol;
  c.workers = p.workers;
  c.local_steps = p.local_steps;
  c.min_depth = p.protocol == Protocol::resist ? g.base.min_depth : 0;
  if (p.protocol == Protocol::resist && p.workers > partitionable && c.min_depth < 1) c.min_depth = 1;
  return c;
}

/// FNV-1a, 64 bits: a stable name for a point (the same on every machine and build).
std::string fnv1a_hex(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

/// What decides a point's result: its schedule (by hash) and every simulation option.
std::string point_id(const Schedule& s, const SimOptions& o) {
  std::string key = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", schedule_hash(s), o.platform,
                                o.nic_bw_GBps, o.collective, o.gpu, o.gpu_table, o.profile, o.profile_basis, o.math,
                                o.efficiency, o.background_threads, o.threads, o.reuse,
                                o.step_replay ? "steps" : "spans");
  if (o.fusion != "none") key += "|fusion=" + o.fusion; // ids of earlier sweeps stay valid
  // nccl's model changed with NCCL's protocols (nccl_tuner.hpp): rows of the earlier model are not reused.
  if (o.collective == "nccl") key += "|nccl=2.27" + (o.nccl_algo.empty() ? "" : "|algo=" + o.nccl_algo) +
                                     (o.nccl_proto.empty() ? "" : "|proto=" + o.nccl_proto);
  for (const auto& [k, v] : o.params) key += fmt::format("|{}={}", k, v);
  for (const auto& [w, f] : o.speed_factors) key += fmt::format("|w{}={}", w, f);
  if (o.step_spread_cv > 0) key += fmt::format("|spread={}", o.step_spread_cv);
  return fnv1a_hex(key);
}

bool with_events(const SweepGrid& g) { return !g.events.empty() || g.failure.failure_every_s > 0; }

/// The failure policy of a point: elastic unless its protocol restarts from checkpoints.
FailurePolicy point_policy(const SweepGrid& g, const Schedule& s) {
  FailurePolicy p = g.failure;
  const std::string name = to_string(s.config.protocol);
  p.elastic = std::find(g.restart_protocols.begin(), g.restart_protocols.end(), name) == g.restart_protocols.end();
  p.seed = s.config.seed;
  return p;
}

/// The events and their policy, for the point's id: rows with other events are not reused.
std::string events_key(const SweepGrid& g, const Schedule& s) {
  if (!with_events(g)) return "";
  const FailurePolicy p = point_policy(g, s);
  return fmt::format("|events={}|{}|{}|{}|{}|{}|{}", fnv1a_hex(events_csv(g.events)), p.elastic, p.detect_s,
                     p.rebuild_s, p.restart_s, p.checkpoint_every, p.failure_every_s);
}

std::vector<std::string> result_fields(const Point& p, std::size_t index, const Schedule& s, const SimResult& r,
                                       const std::string& id) {
  auto num = [](double v) { return fmt::format("{}", v); };
  return {p.platform, num(p.bw_GBps), r.protocol, r.collective, std::to_string(p.workers),
          std::to_string(s.config.min_depth), std::to_string(p.local_steps), std::to_string(r.rounds),
          num(r.total_s), num(r.per_round_s()), num(r.compute_s), num(r.comm_s), num(r.overhead_s), num(r.idle_s),
          std::to_string(r.wire_bytes), std::to_string(r.payload_bytes), "0", num(r.wall_s), std::to_string(index),
          id};
}

std::vector<Cell> typed(const std::vector<std::string>& fields, const std::string& origin) {
  std::vector<Cell> cells;
  const auto& kinds = column_kinds();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::string what = fmt::format("{}: {}", origin, sweep_columns()[i]);
    switch (kinds[i]) {
    case Kind::text: cells.emplace_back(fields[i]); break;
    case Kind::integer: cells.emplace_back(parse_int(fields[i], what)); break;
    case Kind::real: cells.emplace_back(parse_double(fields[i], what)); break;
    }
  }
  return cells;
}

} // namespace

std::pair<int, int> parse_slice(const std::string& text) {
  const auto slash = text.find('/');
  const std::string what = fmt::format("--slice '{}': expected K/N with 0 <= K < N", text);
  if (slash == std::string::npos) throw InputError(what);
  const auto n = parse_int(text.substr(slash + 1), "--slice N", 1, 1000000);
  const auto k = parse_int(text.substr(0, slash), "--slice K", 0, 1000000);
  if (k >= n) throw InputError(what);
  return {static_cast<int>(k), static_cast<int>(n)};
}

Table run_sweep(const SweepGrid& g) {
  if (g.jobs < 1 || g.jobs > 1024) throw InputError(fmt::format("--jobs {}: must be in 1..1024", g.jobs));
  if (g.slice_count < 1 || g.slice_index < 0 || g.slice_index >= g.slice_count)
    throw InputError(fmt::format("--slice {}/{}: expected K/N with 0 <= K < N", g.slice_index, g.slice_count));
  std::vector<Point> points;
  std::vector<std::size_t> index; // each point's index in the whole grid
  const std::vector<double> bws = g.bandwidths_GBps.empty() ? std::vector<double>{0} : g.bandwidths_GBps;
  int cell = 0;
  std::size_t i_grid = 0;
  for (const auto& platform : g.platforms)
    for (double bw : bws)
      for (int s : g.workers)
        for (int l : g.local_steps) {
          for (const auto& proto : g.protocols) {
            const Protocol protocol = parse_protocol(proto);
            if (cell % g.slice_count == g.slice_index) {
              points.push_back({platform, bw, s, l, protocol, cell});
              index.push_back(i_grid);
            }
            ++i_grid;
          }
          ++cell;
        }
  const Model model = make_model(g.base.model, g.base.model_options);
  // Fully connected nets (IST) have no residual blocks to partition; make_schedule refuses resist on them.
  const int partitionable = model.is_mlp() ? 0 : static_cast<int>(partitionable_blocks(model, g.base.partition).size());
  std::vector<Schedule> schedules;
  std::vector<SimOptions> options;
  std::vector<std::string> ids;
  for (const Point& p : points) { // every config and platform checked before the first simulation
    schedules.push_back(make_schedule(point_config(g, p, partitionable)));
    SimOptions o = g.options;
    o.platform = p.platform;
    o.nic_bw_GBps = p.bw_GBps;
    o.timeline = false;
    platform_for(o);
    for (const Event& e : g.events)
      if (e.worker >= p.workers)
        throw InputError(fmt::format("events: worker {} is not a worker of the {}-worker points", e.worker, p.workers));
    ids.push_back(with_events(g) ? fnv1a_hex(point_id(schedules.back(), o) + events_key(g, schedules.back()))
                                 : point_id(schedules.back(), o));
    options.push_back(std::move(o));
  }

  const SweepCurves curves = read_sweep_curves(g, schedules); // checked before the first simulation
  const bool with_curves = !curves.curves.empty();
  std::vector<std::vector<double>> round_end_s(points.size());

  // Rows already finished (an earlier output, the journal of an interrupted run), by point id.
  std::map<std::string, std::vector<std::string>> done;
  std::vector<std::string> sources = g.finished;
  if (!g.journal.empty()) sources.push_back(g.journal);
  if (with_curves) sources.clear(); // their rows hold no round times to join
  for (const auto& path : sources)
    for (auto& row : read_sweep_csv(path, sweep_columns()).rows) done[row[kPointId]] = std::move(row);
  std::unique_ptr<SweepJournal> journal;
  if (!g.journal.empty()) journal = std::make_unique<SweepJournal>(g.journal, sweep_columns());

  std::vector<SimRun> runs;
  std::vector<std::size_t> run_point;
  for (std::size_t i = 0; i < points.size(); ++i)
    if (!done.count(ids[i])) {
      runs.push_back({&schedules[i], &options[i]});
      run_point.push_back(i);
    }
  const long already = static_cast<long>(points.size() - runs.size());
  Progress bar(g.progress ? "sweep" : "", static_cast<long>(points.size()));
  if (already > 0) bar.update(already);
  long finished = already;
  auto record = [&](std::size_t k, const SimResult& r) {
    const std::size_t i = run_point[k];
    auto fields = result_fields(points[i], index[i], schedules[i], r, ids[i]);
    if (with_curves) round_end_s[i] = r.round_end_s;
    if (journal) journal->append(fields);
    done[ids[i]] = std::move(fields);
    bar.update(++finished);
  };
  if (with_events(g)) { // each point several simulations (its own children), points side by side
    run_in_children(
        runs.size(), g.jobs,
        [&](std::size_t k) {
          const Schedule& s = *runs[k].schedule;
          const EventRun run = replay_with_events({s}, g.events, *runs[k].options, point_policy(g, s));
          if (!run.finished) // a row's total_s would say less than the truth
            throw InputError(fmt::format("{} on {} workers does not finish with these events: {}", run.result.protocol,
                                         s.config.workers, run.unfinished_why));
          return encode_result(run.result);
        },
        [&](std::size_t k, std::string reply) { record(k, decode_result(reply)); },
        [&](std::size_t k) { return fmt::format("platform '{}' with events", runs[k].options->platform); });
  } else {
    simulate_many(runs, g.jobs, [&](std::size_t k, SimResult r) { record(k, r); });
  }

  std::vector<std::vector<Cell>> rows;
  using Key = std::tuple<std::string, double, int, int>;
  std::map<Key, double> local_sgd_s;
  for (std::size_t i = 0; i < points.size(); ++i) {
    std::vector<std::string> fields = done.at(ids[i]);
    fields[kPoint] = std::to_string(index[i]); // the same point may sit elsewhere in another grid
    rows.push_back(typed(fields, "sweep row " + ids[i]));
    if (points[i].protocol == Protocol::local_sgd)
      local_sgd_s[{points[i].platform, points[i].bw_GBps, points[i].workers, points[i].local_steps}] =
          std::get<double>(rows.back()[kTotalS]);
  }
  std::vector<std::string> columns = sweep_columns();
  std::map<Key, std::vector<Cell>> local_sgd_times; // the speedups at the targets are over these
  std::vector<std::vector<Cell>> times(points.size());
  if (with_curves) {
    for (const auto& c : sweep_accuracy_columns(curves.targets_pct)) columns.push_back(c);
    for (std::size_t i = 0; i < points.size(); ++i) {
      times[i] = point_times(curves, to_string(points[i].protocol), round_end_s[i]);
      if (points[i].protocol == Protocol::local_sgd)
        local_sgd_times[{points[i].platform, points[i].bw_GBps, points[i].workers, points[i].local_steps}] = times[i];
    }
  }
  Table t(columns);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Point& p = points[i];
    const double total = std::get<double>(rows[i][kTotalS]);
    const auto base = local_sgd_s.find({p.platform, p.bw_GBps, p.workers, p.local_steps});
    rows[i][kSpeedup] = base == local_sgd_s.end() || total <= 0 ? 0.0 : base->second / total;
    if (with_curves) {
      const auto base_times = local_sgd_times.find({p.platform, p.bw_GBps, p.workers, p.local_steps});
      rows[i].insert(rows[i].end(), times[i].begin(), times[i].end());
      for (std::size_t k = 0; k < times[i].size(); ++k) {
        const double* mine = std::get_if<double>(&times[i][k]);
        const double* theirs = base_times == local_sgd_times.end() ? nullptr : std::get_if<double>(&base_times->second[k]);
        rows[i].push_back(mine && theirs && *mine > 0 ? Cell{*theirs / *mine} : Cell{std::string("-")});
      }
    }
    t.add_row(std::move(rows[i]));
  }
  return t;
}

Table merge_sweeps(const std::vector<std::string>& paths) {
  std::map<std::int64_t, std::pair<std::vector<std::string>, std::string>> by_point; // point -> row, file
  for (const auto& path : paths) {
    const auto rows = read_sweep_csv(path, sweep_columns());
    if (rows.rows.empty()) throw InputError(fmt::format("{}: no sweep rows (missing or empty)", path));
    for (const auto& row : rows.rows) {
      typed(row, path); // every value well-formed before anything is written
      const auto point = parse_int(row[kPoint], fmt::format("{}: point", path));
      const auto [it, fresh] = by_point.emplace(point, std::make_pair(row, path));
      if (!fresh && it->second.first[kPointId] != row[kPointId])
        throw InputError(fmt::format("{} and {}: point {} differs (slices of different sweeps?)", it->second.second,
                                     path, point));
    }
  }
  Table t(sweep_columns());
  for (const auto& [point, row] : by_point) t.add_row(typed(row.first, row.second));
  return t;
}

} // namespace resist::sim
