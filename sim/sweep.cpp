#include "sim/sweep.hpp"

#include <fmt/format.h>

#include <map>
#include <tuple>

#include "core/model_zoo.hpp"
#include "core/schedule.hpp"
#include "sim/platform.hpp"
#include "core/progress.hpp"

namespace resist::sim {

long sweep_size(const SweepGrid& g) {
  const long bw = g.bandwidths_GBps.empty() ? 1 : static_cast<long>(g.bandwidths_GBps.size());
  return static_cast<long>(g.workers.size() * g.platforms.size() * g.protocols.size() * g.local_steps.size()) * bw;
}

namespace {

struct Point {
  std::string platform;
  double bw_GBps;
  int workers;
  int local_steps;
  Protocol protocol;
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

} // namespace

Table run_sweep(const SweepGrid& g) {
  std::vector<Point> points;
  const std::vector<double> bws = g.bandwidths_GBps.empty() ? std::vector<double>{0} : g.bandwidths_GBps;
  for (const auto& platform : g.platforms)
    for (double bw : bws)
      for (int s : g.workers)
        for (int l : g.local_steps)
          for (const auto& proto : g.protocols) points.push_back({platform, bw, s, l, parse_protocol(proto)});
  const Model model = make_model(g.base.model, g.base.model_options);
  // Fully connected nets (IST) have no residual blocks to partition; make_schedule refuses resist on them.
  const int partitionable = model.is_mlp() ? 0 : static_cast<int>(partitionable_blocks(model, g.base.partition).size());
  std::vector<Schedule> schedules;
  for (const Point& p : points) { // every config and platform checked before the first simulation
    schedules.push_back(make_schedule(point_config(g, p, partitionable)));
    SimOptions o = g.options;
    o.platform = p.platform;
    o.nic_bw_GBps = p.bw_GBps;
    platform_for(o);
  }

  std::vector<SimResult> results;
  Progress bar(g.progress ? "sweep" : "", static_cast<long>(points.size()));
  for (std::size_t i = 0; i < points.size(); ++i) {
    SimOptions o = g.options;
    o.platform = points[i].platform;
    o.nic_bw_GBps = points[i].bw_GBps;
    o.timeline = false;
    results.push_back(simulate(schedules[i], o));
    bar.update(static_cast<long>(i) + 1);
  }

  using Key = std::tuple<std::string, double, int, int>;
  std::map<Key, double> local_sgd_s;
  for (std::size_t i = 0; i < points.size(); ++i)
    if (points[i].protocol == Protocol::local_sgd)
      local_sgd_s[{points[i].platform, points[i].bw_GBps, points[i].workers, points[i].local_steps}] = results[i].total_s;

  Table t({"platform", "bandwidth_GBps", "protocol", "collective", "workers", "min_depth", "local_steps", "rounds",
           "total_s", "per_round_s", "compute_s", "comm_s", "overhead_s", "idle_s", "wire_bytes", "payload_bytes",
           "speedup_vs_local_sgd", "sim_wall_s"});
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Point& p = points[i];
    const SimResult& r = results[i];
    const auto base = local_sgd_s.find({p.platform, p.bw_GBps, p.workers, p.local_steps});
    const double speedup = base == local_sgd_s.end() || r.total_s <= 0 ? 0.0 : base->second / r.total_s;
    t.add_row({p.platform, p.bw_GBps, r.protocol, r.collective, std::int64_t{p.workers},
               std::int64_t{schedules[i].config.min_depth}, std::int64_t{p.local_steps}, std::int64_t{r.rounds},
               r.total_s, r.per_round_s(), r.compute_s, r.comm_s, r.overhead_s, r.idle_s, r.wire_bytes,
               r.payload_bytes, speedup, r.wall_s});
  }
  return t;
}

} // namespace resist::sim
