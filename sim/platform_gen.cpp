#include "sim/platform_gen.hpp"

#include <fmt/format.h>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>
#include <simgrid/s4u/NetZone.hpp>

#include <algorithm>

#include "core/error.hpp"

namespace sg4 = simgrid::s4u;

namespace resist::sim {

int parametric_node_count(const ParametricSpec& spec, int workers) {
  return spec.nodes > 0 ? spec.nodes : (workers + spec.gpus_per_node - 1) / spec.gpus_per_node;
}

namespace {

using Direction = sg4::LinkInRoute::Direction;

/// One node: a zone of GPU ports (the NVSwitch or NVLink fabric) and a router standing for the node's
/// NICs as the gateway to other nodes. Every NIC is a link of its own rate and GPU g reaches the
/// gateway through NIC g nics_per_node / gpus_per_node (rail-optimized: the GPU's PCIe switch holds its
/// NIC), so one flow gets at most one NIC's rate and the node's NICs add up only over several flows
/// (NCCL's channels, core's railed ring). Routes leaving the node do not cross the GPU's NVLink port:
/// GPUDirect RDMA goes GPU -> PCIe switch -> NIC, so the port carries a ring's in-node bytes and the NIC
/// the rest (8 x H100 with 8 NDR NICs reach ~396 GB/s ring busbw across nodes, above the 370 an NVLink
/// port gives: NVIDIA/nccl-tests#319). A full zone, since a star zone gives every member one route to
/// all others. Link rates are line rate x the achieved protocol efficiency (intra_efficiency,
/// nic_efficiency).
struct Zone {
  sg4::NetZone* zone;
  simgrid::kernel::routing::NetPoint* gateway;
};

/// A node's links: its NICs and its GPUs' NVLink ports. Created in the root zone before any node zone
/// exists: SimGrid 3.32 checks a new link's name against every zone (a recursive search), so links made
/// inside 1,024 node zones cost a quadratic search (a third of an 8,192-worker simulation).
struct NodeLinks {
  std::vector<sg4::Link*> nics, ports, bridges;
};

NodeLinks make_node_links(const ParametricSpec& s, int node, sg4::NetZone* root) {
  NodeLinks out;
  // More NICs than GPUs (2 or 4 per GPU, as several clouds build them): a GPU's own NICs carry its traffic
  // together (NCCL spreads a GPU's channels over them), one link of their summed rate per GPU.
  const int per_gpu = s.nics_per_node > s.gpus_per_node ? s.nics_per_node / s.gpus_per_node : 1;
  for (int k = 0; k < s.nics_per_node / per_gpu; ++k)
    out.nics.push_back(root->create_split_duplex_link(per_gpu > 1 ? fmt::format("node{}-gpu{}-nics", node, k)
                                                                  : fmt::format("node{}-nic{}", node, k),
                                                      per_gpu * s.nic_bw_GBps * s.nic_efficiency * 1e9)
                           ->set_latency(s.inter_latency_us * 1e-6)
                           ->seal());
  for (int g = 0; g < s.gpus_per_node; ++g)
    out.ports.push_back(root->create_split_duplex_link(fmt::format("node{}-gpu{}-port", node, g),
                                                       s.intra_bw_GBps * s.intra_efficiency * 1e9)
                            ->set_latency(s.intra_latency_us * 1e-6)
                            ->seal());
  if (s.nvlink_bridge_GBps > 0) // GPUs 2k and 2k+1 of a PCIe node joined by an NVLink bridge
    for (int g = 0; g + 1 < s.gpus_per_node; g += 2)
      out.bridges.push_back(root->create_split_duplex_link(fmt::format("node{}-gpu{}-bridge", node, g),
                                                           s.nvlink_bridge_GBps * s.intra_efficiency * 1e9)
                                ->set_latency(s.intra_latency_us * 1e-6)
                                ->seal());
  return out;
}

Zone build_node(const ParametricSpec& s, int node, sg4::NetZone* parent, int first_worker, const NodeLinks& links) {
  auto* zone = sg4::create_full_zone(fmt::format("node{}", node));
  zone->set_parent(parent);
  if (s.cores_per_node > 0) // the cores the node's workers time-share; 1 Gflop/s per core
    zone->create_host(fmt::format("node{}-cpu", node), 1e9)->set_core_count(s.cores_per_node)->seal();
  auto* gateway = zone->create_router(fmt::format("node{}-nic", node));
  const auto& nics = links.nics;
  const auto& ports = links.ports;
  std::vector<sg4::Host*> gpus;
  for (int g = 0; g < s.gpus_per_node; ++g) {
    const int worker = first_worker + g;
    auto* host = zone->create_host(fmt::format("node{}-gpu{}", node, g), 1e12);
    host->set_property("gpu", s.gpu);
    const bool slow = std::find(s.slow_workers.begin(), s.slow_workers.end(), worker) != s.slow_workers.end();
    host->set_property("speed_factor", fmt::format("{}", slow ? s.slow_factor : 1.0));
    if (s.cores_per_node > 0) host->set_property("compute_host", fmt::format("node{}-cpu", node));
    const bool pcie = s.intra_link == "pcie";
    host->set_property("nvswitch", s.nvswitch && !pcie ? "1" : "0");
    host->set_property("intra_link", s.intra_link);
    host->set_property("nics", fmt::format("{}", s.nics_per_node));
    host->seal();
    gpus.push_back(host);
  }
  for (int a = 0; a < s.gpus_per_node; ++a) {
    for (int b = a + 1; b < s.gpus_per_node; ++b) {
      if (!links.bridges.empty() && b == a + 1 && a % 2 == 0) // bridged pair: over the bridge, not PCIe
        zone->add_route(gpus[a]->get_netpoint(), gpus[b]->get_netpoint(), nullptr, nullptr,
                        {{links.bridges[static_cast<std::size_t>(a / 2)], Direction::UP}}, true);
      else
        zone->add_route(gpus[a]->get_netpoint(), gpus[b]->get_netpoint(), nullptr, nullptr,
                        {{ports[a], Direction::UP}, {ports[b], Direction::DOWN}}, true);
    }
    const auto nic = static_cast<std::size_t>(static_cast<long>(a) * static_cast<long>(nics.size()) / s.gpus_per_node);
    zone->add_route(gpus[a]->get_netpoint(), gateway, nullptr, nullptr,
                    {{nics[nic], Direction::UP}}, true);
  }
  zone->seal();
  return {zone, gateway};
}

/// Connects a child zone to the centre of a star zone through `links` (may be empty).
void attach(sg4::NetZone* star, const Zone& child, const std::vector<sg4::LinkInRoute>& links) {
  star->add_route(child.zone->get_netpoint(), nullptr, child.gateway, nullptr, links, true);
}

/// A zero-latency hop of `bw_Bps` (star routes between two zones need at least one link).
sg4::Link* hop(sg4::NetZone* z, const std::string& name, double bw_Bps) {
  return z->create_split_duplex_link(name, bw_Bps)->set_latency(0)->seal();
}

/// Two-level fat-tree: leaf switches of nodes_per_leaf nodes below a spine; a leaf's uplink carries its
/// nodes' NIC capacity divided by the oversubscription. Nodes of one leaf meet at the leaf switch; others
/// cross both leaves' uplinks. Each leaf is a full zone of its nodes; the fabric a full zone with a route
/// per pair of leaves, so routes grow with the leaves squared, not the nodes (1,024 nodes: 32,640 routes
/// instead of 523,776, which took most of the time and memory of an 8,192-worker simulation). A leaf's
/// gateway is its first node's NIC router: a route between leaves enters and leaves a leaf through the
/// nodes' zero-latency, unbounded leaf ports, so only the NICs and uplinks limit it, as before.
void build_fat_tree(const ParametricSpec& s, int nodes, int used, sg4::NetZone* root) {
  // Only the nodes that hold workers are built (a 2,000-node tree for 4 workers costs 1 node's routes);
  // the leaves' uplink bandwidth still follows the whole tree's size.
  const int built = std::min(nodes, used);
  const int leaves = (built + s.nodes_per_leaf - 1) / s.nodes_per_leaf;
  // Every link first, while the root is the only zone (NodeLinks).
  std::vector<sg4::Link*> uplinks, leaf_ports;
  std::vector<NodeLinks> node_links;
  for (int l = 0; l < leaves; ++l) {
    const int members = std::min(nodes, (l + 1) * s.nodes_per_leaf) - l * s.nodes_per_leaf;
    uplinks.push_back(hop(root, fmt::format("leaf{}-spine", l),
                          members * s.nics_per_node * s.nic_bw_GBps * s.nic_efficiency * 1e9 / s.oversubscription));
  }
  for (int n = 0; n < built; ++n) {
    node_links.push_back(make_node_links(s, n, root));
    leaf_ports.push_back(hop(root, fmt::format("node{}-leaf", n), 1e15));
  }
  std::vector<Zone> leaf_zones;
  for (int l = 0; l < leaves; ++l) {
    auto* leaf = sg4::create_full_zone(fmt::format("leaf{}", l));
    leaf->set_parent(root);
    std::vector<Zone> in_leaf;
    std::vector<sg4::Link*> ports;
    for (int n = l * s.nodes_per_leaf; n < std::min(built, (l + 1) * s.nodes_per_leaf); ++n) {
      in_leaf.push_back(build_node(s, n, leaf, n * s.gpus_per_node, node_links[static_cast<std::size_t>(n)]));
      ports.push_back(leaf_ports[static_cast<std::size_t>(n)]);
    }
    for (std::size_t a = 0; a < in_leaf.size(); ++a)
      for (std::size_t b = a + 1; b < in_leaf.size(); ++b)
        leaf->add_route(in_leaf[a].zone->get_netpoint(), in_leaf[b].zone->get_netpoint(), in_leaf[a].gateway,
                        in_leaf[b].gateway, {{ports[a], Direction::UP}, {ports[b], Direction::DOWN}}, true);
    leaf->seal();
    leaf_zones.push_back({leaf, in_leaf.front().gateway});
  }
  for (int a = 0; a < leaves; ++a)
    for (int b = a + 1; b < leaves; ++b)
      root->add_route(leaf_zones[a].zone->get_netpoint(), leaf_zones[b].zone->get_netpoint(), leaf_zones[a].gateway,
                      leaf_zones[b].gateway, {{uplinks[a], Direction::UP}, {uplinks[b], Direction::DOWN}}, true);
}

} // namespace

void build_parametric_platform(const ParametricSpec& s, int workers, const std::string& origin) {
  const int nodes = parametric_node_count(s, workers);
  if (nodes < 1) throw InputError(fmt::format("{}: the platform has no nodes", origin));
  const int used = std::min(nodes, (workers + s.gpus_per_node - 1) / s.gpus_per_node); // nodes holding workers
  auto* root = s.topology == "star" ? sg4::create_star_zone("fabric") : sg4::create_full_zone("fabric");
  if (s.topology == "star") {
    std::vector<NodeLinks> links;
    std::vector<sg4::Link*> switch_ports;
    for (int n = 0; n < used; ++n) { // every link first (NodeLinks)
      links.push_back(make_node_links(s, n, root));
      switch_ports.push_back(hop(root, fmt::format("node{}-switch", n), 1e15));
    }
    for (int n = 0; n < used; ++n) {
      const Zone node = build_node(s, n, root, n * s.gpus_per_node, links[static_cast<std::size_t>(n)]);
      attach(root, node, {{switch_ports[static_cast<std::size_t>(n)], Direction::UP}});
    }
  } else {
    build_fat_tree(s, nodes, used, root);
  }
  root->seal();
}

} // namespace resist::sim
