#include "sim/collective_bench.hpp"

#include <fmt/format.h>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <xbt/log.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "sim/child_process.hpp"
#include "sim/collective_replay.hpp"
#include "sim/comm_pattern.hpp"
#include "sim/gpu_model.hpp"
#include "sim/platform.hpp"

namespace sg4 = simgrid::s4u;

namespace resist::sim {
namespace {

std::string run_bench(const CollectiveBenchOptions& o) {
  xbt_log_control_set("root.thres:critical");
  sg4::Engine engine("resist-bench");
  // The same network configuration as a training replay (replay.cpp): closed forms hold.
  sg4::Engine::set_config("network/model:CM02");
  sg4::Engine::set_config("network/crosstraffic:0");
  sg4::Engine::set_config("network/TCP-gamma:1e18");
  sg4::Engine::set_config(kActorStackConfig); // KiB per actor (collective_replay.hpp)
  PlatformParams params;
  const auto hosts = load_platform(engine, resolve_platform(o.platform), o.workers, o.params, params);
  std::vector<int> node_of, all;
  for (std::size_t w = 0; w < hosts.size(); ++w) {
    node_of.push_back(hosts[w].node);
    all.push_back(static_cast<int>(w));
  }
  NcclHardware hw = nccl_hardware(hosts, GpuTable::builtin());
  set_nccl_params(hw, params);
  CollectiveChoice choice = parse_collective(o.collective);
  if (choice.reference) choice = parse_collective("ring"); // DDP's all-reduce in the reference
  choice.nccl_enable = NcclEnable::parse(o.nccl_algo, o.nccl_proto);
  choice.granularity = o.step_replay ? Granularity::steps : Granularity::spans;
  std::ostringstream out;
  out << fmt::format("{:.17g}", nccl_comm(Exchange{"allreduce", 1, all, all, 1}, node_of, hw).ring_busbw_GBps) << '\n';
  sg4::Actor::create("controller", hosts.front().host, [&] {
    MailboxTable mailboxes;
    for (std::size_t i = 0; i < o.sizes_bytes.size(); ++i) {
      const Exchange e{"allreduce", o.sizes_bytes[i], all, all, 1};
      const auto ops = make_sync_ops(CommPlan{{e}}, Model{}, Protocol::data_parallel, {}, choice, node_of, hw);
      const SyncOp& op = ops.front();
      const TransferIndex index = index_transfers(op.transfers, o.workers, [&hosts](int src, int dst) {
        return route_between(hosts[static_cast<std::size_t>(src)], hosts[static_cast<std::size_t>(dst)]);
      }, op.latency_s);
      const double t0 = sg4::Engine::get_clock();
      std::vector<sg4::ActorPtr> actors;
      for (int w = 0; w < o.workers; ++w)
        actors.push_back(sg4::Actor::create("rank", hosts[static_cast<std::size_t>(w)].host, [&, w] {
          sg4::this_actor::sleep_for(op_overhead_s(op, w, params));
          run_transfers(op.transfers, index, w, static_cast<int>(i), mailboxes);
        }));
      for (auto& a : actors) a->join();
      out << e.bytes << ' ' << to_string(op.algorithm) << ' ' << (op.nccl ? to_string(op.protocol) : "-") << ' '
          << fmt::format("{:.17g}", sg4::Engine::get_clock() - t0) << '\n';
    }
  });
  engine.run();
  return out.str();
}

} // namespace

std::vector<std::int64_t> size_range(std::int64_t min_bytes, std::int64_t max_bytes, double factor) {
  if (min_bytes < 1 || max_bytes < min_bytes || !(factor > 1))
    throw InputError(fmt::format("sizes {}..{} by x{}: need 1 <= min <= max and a factor > 1", min_bytes, max_bytes,
                                 factor));
  std::vector<std::int64_t> out;
  for (double b = static_cast<double>(min_bytes); b <= static_cast<double>(max_bytes) * (1 + 1e-12); b *= factor)
    out.push_back(static_cast<std::int64_t>(std::llround(b)));
  return out;
}

std::vector<CollectiveBenchRow> bench_allreduce(const CollectiveBenchOptions& o) {
  if (o.workers < 2) throw InputError(fmt::format("an all-reduce needs >= 2 workers, not {}", o.workers));
  for (auto b : o.sizes_bytes)
    if (b < 1) throw InputError(fmt::format("all-reduce size {} bytes: must be >= 1", b));
  resolve_platform(o.platform);
  parse_collective(o.collective);
  NcclEnable::parse(o.nccl_algo, o.nccl_proto);
  const std::string text = run_in_child([&] { return run_bench(o); }, "platform '" + o.platform + "'");
  std::vector<CollectiveBenchRow> rows;
  std::istringstream in(text);
  CollectiveBenchRow r;
  in >> r.ring_bound_busbw_GBps;
  const double bus = 2.0 * (o.workers - 1) / o.workers;
  while (in >> r.bytes >> r.algorithm >> r.protocol >> r.time_s) {
    r.algbw_GBps = static_cast<double>(r.bytes) / r.time_s / 1e9;
    r.busbw_GBps = r.algbw_GBps * bus;
    rows.push_back(r);
  }
  return rows;
}

} // namespace resist::sim
