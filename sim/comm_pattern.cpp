#include "sim/comm_pattern.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h> // fmt::join (in format.h before fmt 11)

#include <algorithm>
#include <map>
#include <cmath>
#include <limits>
#include <set>

#include "core/error.hpp"

namespace resist::sim {

std::string CollectiveChoice::name() const {
  return c10d ? "c10d" : reference ? "reference" : nccl ? "nccl" : to_string(algorithm);
}

CollectiveChoice parse_collective(const std::string& name) {
  CollectiveChoice c;
  if (name == "reference") return c;
  c.reference = false;
  if (name == "nccl") {
    c.nccl = true;
    return c;
  }
  if (name == "c10d") {
    c.c10d = true;
    return c;
  }
  try {
    c.algorithm = parse_algorithm(name);
    return c;
  } catch (const InputError&) {
    throw InputError(fmt::format("unknown collective algorithm '{}' (known: reference, c10d, nccl, ring, star, "
                                 "hierarchical, leader, nvls, tree, nvlstree)",
                                 name));
  }
}

NcclHardware nccl_hardware(const std::vector<WorkerHost>& hosts, const GpuTable& gpus) {
  NcclHardware hw;
  if (hosts.empty()) return hw;
  hw.nvls_capable = true;
  hw.rails = hosts.front().nics;
  double intra = std::numeric_limits<double>::infinity(), nic = intra;
  for (std::size_t w = 0; w < hosts.size(); ++w) {
    const WorkerHost& h = hosts[w];
    hw.rails = std::min(hw.rails, h.nics);
    hw.nvls_capable = hw.nvls_capable && h.nvswitch && gpus.at(h.gpu).nvls;
    hw.nvlink = hw.nvlink && h.nvlink;
    hw.compute_capability = std::min(w == 0 ? 1000 : hw.compute_capability, gpus.at(h.gpu).compute_capability());
    const WorkerHost& next = hosts[(w + 1) % hosts.size()];
    if (&next == &h) continue;
    double& rate = next.node == h.node ? intra : nic;
    rate = std::min(rate, route_between(h, next).bandwidth_Bps); // the GPU's port in a node, its NIC across
  }
  hw.intra_Bps = std::isfinite(intra) ? intra : 0;
  hw.nic_Bps = std::isfinite(nic) ? nic : 0;
  return hw;
}

void set_nccl_params(NcclHardware& hw, const PlatformParams& params) {
  hw.net_latency_us = params.nccl_net_latency_s * 1e6;
  hw.chunk_intra_s = params.nccl_chunk_intra_s;
  hw.chunk_net_s = params.nccl_chunk_net_s;
}

namespace {

/// An all-reduce's shape: workers, nodes, workers per node (0: uneven nodes).
struct Shape {
  int n = 0, m = 0, l = 0;
};

Shape shape_of(const Exchange& e, const std::vector<int>& node_of) {
  std::map<int, int> per_node;
  for (int w : e.contributors) ++per_node[w < static_cast<int>(node_of.size()) ? node_of[w] : w];
  Shape s{static_cast<int>(e.contributors.size()), static_cast<int>(per_node.size()), per_node.begin()->second};
  for (const auto& [node, count] : per_node)
    if (count != s.l) s.l = 0;
  return s;
}

} // namespace

NcclComm nccl_comm(const Exchange& e, const std::vector<int>& node_of, const NcclHardware& hw) {
  const Shape s = shape_of(e, node_of);
  const double gb = 1e9, port = hw.intra_Bps > 0 ? hw.intra_Bps / gb : 1.0, nic = hw.nic_Bps > 0 ? hw.nic_Bps / gb : 1.0;
  const double nics = std::min(hw.rails, std::max(s.l, 1)) * nic;
  NcclComm c;
  c.ranks = s.n;
  c.nodes = s.m;
  c.ppn = s.l;
  c.compute_capability = hw.compute_capability;
  c.nvlink = hw.nvlink;
  c.nvls = hw.nvls_capable;
  // Across nodes every channel crosses a port and a NIC (one GPU per node: the NIC alone).
  c.ring_busbw_GBps = s.m == 1 ? port : s.l == 1 ? nics : std::min(port, nics);
  // NCCL's search raises a tree's intra-node bandwidth up to twice the inter-node one on 2 nodes (pass 2 of
  // src/graph/search.cc, "increase bwIntra for trees"); the NVLS graph's inter-node bandwidth likewise.
  c.tree_busbw_GBps = s.m == 2 && s.l > 1 ? std::min(port, 2 * nics) : c.ring_busbw_GBps;
  c.nvls_busbw_GBps = port * kNvlsEfficiency;
  c.nvls_inter_busbw_GBps = s.m == 2 ? 2 * nics : nics;
  c.net_latency_us = hw.net_latency_us;
  c.chunk_intra_s = hw.chunk_intra_s;
  c.chunk_net_s = hw.chunk_net_s;
  return c;
}

NcclCall nccl_call(const Exchange& e, const std::vector<int>& node_of, const NcclHardware& hw,
                   const NcclEnable& enable) {
  if (e.contributors.size() < 2) return {};
  Exchange reduce = e;
  reduce.receivers = e.contributors;
  NcclEnable allowed = enable;
  if (e.contributors != e.receivers) { // a delivery beyond the contributors: core's ring does it
    allowed.ring = true;
    allowed.tree = allowed.nvls = allowed.nvls_tree = false;
  }
  return nccl_choose(nccl_comm(reduce, node_of, hw), e.bytes, allowed);
}

int block_tensors(const Block& block) {
  int n = 0;
  for (const Layer& l : block.layers)
    if (l.params > 0) n += l.kind == LayerKind::batchnorm ? 2 : 1 + (l.bias ? 1 : 0);
  return n;
}

namespace {

SyncOp make_op(const Exchange& e, Algorithm algorithm, int tensors, const std::vector<int>& node_of, int rails,
               Granularity granularity, const NcclCall* nccl = nullptr) {
  SyncOp op;
  op.exchange = e;
  op.algorithm = algorithm;
  op.tensors = tensors;
  op.transfers = expand_exchange(e, algorithm, node_of, rails, granularity);
  auto node = [&](int w) { return w < static_cast<int>(node_of.size()) ? node_of[w] : w; };
  // The switch's reduce and multicast run below port rate (NVLS-tree: its transfers inside a node).
  if (algorithm == Algorithm::nvls || algorithm == Algorithm::nvls_tree)
    for (Transfer& t : op.transfers)
      if (algorithm == Algorithm::nvls || node(t.src) == node(t.dst))
        t.bytes = static_cast<std::int64_t>(static_cast<double>(t.bytes) / kNvlsEfficiency);
  if (nccl) { // NCCL's protocol at this size: its latency once per call, its bandwidth against Simple's
    op.nccl = true;
    op.protocol = nccl->protocol;
    op.latency_s = nccl->latency_s;
    op.bytes_factor = 1 / nccl->bandwidth_factor;
    if (op.bytes_factor != 1)
      for (Transfer& t : op.transfers) t.bytes = static_cast<std::int64_t>(std::llround(static_cast<double>(t.bytes) * op.bytes_factor));
  }
  return op;
}

/// Participants and their call sites: one call for everyone in the exchange, or, with groups, one per
/// group a worker belongs to (reduce group, broadcast group).
void finish(SyncOp& op) {
  std::set<int> who(op.exchange.contributors.begin(), op.exchange.contributors.end());
  who.insert(op.exchange.receivers.begin(), op.exchange.receivers.end());
  for (const auto& g : op.groups) who.insert(g.begin(), g.end());
  for (const auto& t : op.transfers) {
    who.insert(t.src);
    who.insert(t.dst);
  }
  op.participants.assign(who.begin(), who.end());
  for (int w : op.participants) {
    int calls = 0;
    for (const auto& g : op.groups) calls += std::binary_search(g.begin(), g.end(), w) ? 1 : 0;
    op.calls.push_back(op.groups.empty() ? 1 : calls);
  }
}

/// Reference pattern for one partitioned block: new group + reduce to the lowest holder, new group of
/// the next holders and that owner + broadcast.
SyncOp reference_block_op(const Exchange& e, int tensors) {
  SyncOp op = make_op(e, Algorithm::star, tensors, {}, 1, Granularity::steps);
  const int root = e.contributors.empty() ? 0 : e.contributors.front();
  if (!e.contributors.empty()) op.groups.push_back(e.contributors);
  std::vector<int> bcast = e.receivers;
  if (!std::binary_search(bcast.begin(), bcast.end(), root)) bcast.insert(std::upper_bound(bcast.begin(), bcast.end(), root), root);
  op.groups.push_back(bcast);
  return op;
}

} // namespace

std::vector<SyncOp> make_sync_ops(const CommPlan& plan, const Model& model, Protocol protocol,
                                  const std::vector<int>& partitionable, const CollectiveChoice& choice,
                                  const std::vector<int>& node_of, const NcclHardware& hw) {
  std::vector<SyncOp> ops;
  auto add = [&](SyncOp op) {
    finish(op);
    ops.push_back(std::move(op));
  };
  if (!choice.reference || choice.c10d) { // c10d: data parallel only here (make_c10d_ops does the rest)
    for (const Exchange& e : plan.exchanges) {
      if (choice.nccl && e.contributors.size() >= 2) {
        const NcclCall call = nccl_call(e, node_of, hw, choice.nccl_enable);
        add(make_op(e, call.algorithm, 1, node_of, hw.rails, choice.granularity, &call));
      } else {
        add(make_op(e, choice.c10d || choice.nccl ? Algorithm::ring : choice.algorithm, 1, node_of, hw.rails,
                    choice.granularity));
      }
    }
    return ops;
  }
  int shared_tensors = 0;
  for (std::size_t b = 0; b < model.blocks.size(); ++b)
    if (std::find(partitionable.begin(), partitionable.end(), static_cast<int>(b)) == partitionable.end())
      shared_tensors += block_tensors(model.blocks[b]);
  for (const Exchange& e : plan.exchanges) {
    switch (protocol) {
    case Protocol::resist:
      if (e.label == "shared") {
        add(make_op(e, Algorithm::ring, shared_tensors, {}, 1, choice.granularity));
      } else {
        add(reference_block_op(e, block_tensors(model.blocks[static_cast<std::size_t>(model.block_by_name(e.label))])));
      }
      break;
    case Protocol::local_sgd: { // the baseline script: all-reduce the shared part, reduce + broadcast each block
      Exchange shared = e;
      shared.label = "shared";
      shared.bytes = shared_param_bytes(model, partitionable);
      add(make_op(shared, Algorithm::ring, shared_tensors, {}, 1, choice.granularity));
      for (int b : partitionable) {
        const Block& block = model.blocks[static_cast<std::size_t>(b)];
        Exchange one = e;
        one.label = block.name;
        one.bytes = block.param_bytes();
        add(reference_block_op(one, block_tensors(block)));
      }
      break;
    }
    case Protocol::data_parallel: add(make_op(e, Algorithm::ring, 1, {}, 1, choice.granularity)); break;
    case Protocol::ist: add(make_op(e, Algorithm::star, 1, {}, 1, Granularity::steps)); break;
    // One source, one destination: the star is the point-to-point send (layer_parallel replays its own
    // steps in layer_parallel_replay; this keeps the plan's bytes for any other caller).
    case Protocol::layer_parallel: add(make_op(e, Algorithm::star, 1, {}, 1, Granularity::steps)); break;
    }
  }
  return ops;
}

std::vector<SyncOp> make_c10d_ops(const CommPlan& plan, int workers, std::vector<std::vector<int>>& created,
                                  Granularity granularity) {
  std::vector<SyncOp> ops;
  // 1-2. One flat all-reduce per holder set, in the order of the sets (std::map, as the trainer walks them).
  std::map<std::vector<int>, std::int64_t> by_set;
  for (const Exchange& e : plan.exchanges) by_set[e.contributors] += e.bytes;
  std::vector<std::vector<int>> new_groups;
  for (const auto& [set, bytes] : by_set) {
    if (set.size() < 2) continue;
    const bool world = static_cast<int>(set.size()) == workers;
    if (!world && std::find(created.begin(), created.end(), set) == created.end()) {
      created.push_back(set);
      new_groups.push_back(set);
    }
  }
  for (const auto& [set, bytes] : by_set) {
    if (set.size() < 2) continue;
    Exchange e{fmt::format("allreduce {{{}}}", fmt::join(set, ",")), bytes, set, set, 1};
    SyncOp op = make_op(e, Algorithm::ring, 1, {}, 1, granularity);
    finish(op);
    ops.push_back(std::move(op));
  }
  // Group creation happens before the first all-reduce, on the members of each new group.
  if (!new_groups.empty()) {
    SyncOp create;
    create.exchange.label = "group_create";
    create.groups = new_groups;
    create.tensors = 0; // no collective call, only the groups
    finish(create);
    ops.insert(ops.begin(), std::move(create));
  }
  // 3. Deliveries: block by block, next round's holders that lack it, sources in turn.
  std::map<std::pair<int, int>, std::int64_t> by_pair;
  for (const Exchange& e : plan.exchanges) {
    std::size_t k = 0;
    for (int dst : e.receivers) {
      if (std::binary_search(e.contributors.begin(), e.contributors.end(), dst) || e.contributors.empty()) continue;
      by_pair[{e.contributors[k++ % e.contributors.size()], dst}] += e.bytes;
    }
  }
  if (!by_pair.empty()) {
    SyncOp deliver;
    deliver.exchange.label = "deliver";
    for (const auto& [pair, bytes] : by_pair) {
      deliver.transfers.push_back({pair.first, pair.second, bytes, 0});
      deliver.exchange.bytes += bytes;
    }
    finish(deliver);
    ops.push_back(std::move(deliver));
  }
  // 4. IST (exec/ist_round.cpp): the slices nobody else trains go up to rank 0, the server (step 0), and
  // next round's come down from it once all are in (step 1).
  SyncOp server;
  server.exchange.label = "ist_gather_scatter";
  for (const Exchange& e : plan.exchanges) {
    for (int src : e.receivers.empty() ? e.contributors : std::vector<int>{})
      if (src != 0) server.transfers.push_back({src, 0, e.bytes, 0});
    for (int dst : e.contributors.empty() ? e.receivers : std::vector<int>{})
      if (dst != 0) server.transfers.push_back({0, dst, e.bytes, 1});
  }
  for (const Transfer& t : server.transfers) server.exchange.bytes += t.bytes;
  if (!server.transfers.empty()) {
    finish(server);
    ops.push_back(std::move(server));
  }
  return ops;
}

double group_create_member_s(int members, const PlatformParams& p) {
  const auto& m = p.group_create_measured_s;
  if (!m.empty() && members >= 2) {
    const auto i = static_cast<std::size_t>(members - 2);
    if (i < m.size()) return m[i];
    const double step = m.size() >= 2 ? std::max(0.0, m.back() - m[m.size() - 2]) : m.back(); // per member more
    return m.back() + step * static_cast<double>(i - (m.size() - 1));
  }
  const double g = members;
  return p.group_create_s + p.group_create_per_peer_s * (g - 1) +
         (members > 1 ? p.group_init_s * std::pow(g / 2, p.group_init_exponent) : 0.0);
}

double op_overhead_s(const SyncOp& op, int worker, const PlatformParams& p) {
  const auto it = std::lower_bound(op.participants.begin(), op.participants.end(), worker);
  if (it == op.participants.end() || *it != worker) return 0;
  // Under nccl the call's latency is NCCL's own (SyncOp::latency_s, paid with the transfers).
  double s = op.nccl ? 0.0 : op.calls[static_cast<std::size_t>(it - op.participants.begin())] * op.tensors * p.collective_latency_s;
  for (const auto& g : op.groups)
    if (std::binary_search(g.begin(), g.end(), worker))
      s += group_create_member_s(static_cast<int>(g.size()), p);
  return s;
}

} // namespace resist::sim
