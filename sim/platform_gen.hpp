// The parametric platform generator for what-if studies: nodes x GPUs per node, intra-node and
// inter-node bandwidth and latency, a star or a two-level fat-tree between nodes. Built through
// SimGrid's C++ platform API (star zones), which scales to thousands of hosts.
#pragma once
#include <string>

#include "sim/platform.hpp"

namespace resist::sim {

/// Builds the platform in the current engine (before any actor). Hosts are named node<i>-gpu<j>,
/// carry `gpu` and `speed_factor` properties; each node is a zone (hierarchical collectives group by it).
/// `workers` sizes the platform when spec.nodes is 0.
void build_parametric_platform(const ParametricSpec& spec, int workers, const std::string& origin);

/// Node count the spec gives for `workers` workers.
int parametric_node_count(const ParametricSpec& spec, int workers);

} // namespace resist::sim
