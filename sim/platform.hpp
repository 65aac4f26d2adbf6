// Platforms: where the simulated workers run. A platform is either a SimGrid XML file (hosts carrying
// a `gpu` property are workers, in natural name order) or a parametric description (TOML file, or a
// `parametric:key=value,...` string) that platform_gen.hpp builds. Both carry the named fixed costs
// below. The files under platforms/ are compiled in and resolve by name (`aws_p3_8xlarge`).
//
// Worker host properties (XML): gpu (a kind of platforms/gpus.csv), speed_factor (1 = nominal; 0.5 =
// a straggler at half speed), node (index for the hierarchical algorithm; default: the host's zone),
// compute_host (a host whose cores the worker's compute runs on, shared with every worker naming it:
// time-sharing; SimGrid divides its cores among the executions running at once), nics (NICs of its
// node, default 1: a ring across nodes runs one channel per NIC).
#pragma once
#include <map>
#include <string>
#include <vector>

namespace simgrid::s4u {
class Engine;
class Host;
} // namespace simgrid::s4u

namespace resist::sim {

/// Named fixed costs per operation, seconds. Platform files set them (with their sources); the CLI
/// overrides them.
struct PlatformParams {
  double collective_latency_s = 0;    // per collective call, per participant (launch + base latency)
  double group_create_s = 0;          // per process group created, per member (new_group + barrier)
  double group_create_per_peer_s = 0; // per process group created, per member and other member (legacy form)
  // Measured instead (`resist profile --comm` writes it): seconds per member of a new group of 2, 3, ...
  // members, in that order. When set it replaces the three-term form above for every size it lists, and
  // beyond the last it grows by the last measured step per member (comm_pattern.hpp group_create_member_s).
  std::vector<double> group_create_measured_s;
  // Communicator set-up on first use, per member of a group of g: group_init_s x (g / 2)^group_init_exponent.
  // The exponent 0.5 is FITTED to NVIDIA/nccl#534 (per-communicator init 16.3 s / 8 = 2.04 s at 8 ranks,
  // 130 s / 32 = 4.06 s at 32 ranks: 4.06 / 2.04 = 4^0.497); group_init_s is set per platform.
  double group_init_s = 0;
  double group_init_exponent = 0.5;
  // DDP (sim/ddp_model.hpp); the defaults hold for every platform unless it or the CLI sets them.
  // comm_compute_slowdown 0.189: MEASURED by Lee et al., "Characterizing Compute-Communication Overlap in
  // GPU-Accelerated Distributed Deep Learning" (arXiv 2507.03114): compute kernels run on average 18.9%
  // slower (at most 40%) while collectives overlap them (GPT and LLaMA training on 4 A100, H100, MI250,
  // MI210); not measured on convolutions here. ddp_step_cv: FITTED to PyTorch DDP 1 -> 8 V100 FP32 strong
  // scaling 7.76 (NVIDIA DeepLearningExamples RN50; experiments/sim_calibration/fit_ddp.py).
  double comm_compute_slowdown = 0.189; // compute runs this much slower while an all-reduce runs beside it
  double ddp_step_cv = 0.017;          // coefficient of variation of a worker's step time (barrier)
  // The same when the workers span several nodes (their steps wait on the network's all-reduce, and each
  // node's jitter adds): 0 = ddp_step_cv. FITTED to one MLPerf 2-node data-parallel ResNet-50 point
  // (experiments/sim_calibration/README.md, section 3b); the platforms set it.
  double ddp_step_cv_net = 0;
  // Host input pipeline per node, images/s (sim/input_pipeline.hpp); 0 = unbounded. Dataset- and
  // host-specific, so no platform sets it.
  double input_img_per_s = 0;
  // NCCL's latencyInter (sim/nccl_tuner.hpp): the network's latency per inter-node step beyond NCCL's own
  // constants, as its network plugin reports it (InfiniBand: 0). Under `--algorithm nccl` it enters both
  // NCCL's choice and the call's latency; a fabric whose measured latency is higher sets it (fitted:
  // experiments/sim_calibration).
  double nccl_net_latency_s = 0;
  // NCCL's pipelined algorithms (trees, NVLS, NVLS-tree) keep a few chunks in flight per operation: the
  // seconds a chunk holds its slot, inside a node and across nodes (sim/nccl_tuner.hpp nccl_call_window).
  // 0: no such bound. FITTED per fabric (experiments/sim_calibration).
  double nccl_chunk_intra_s = 0;
  double nccl_chunk_net_s = 0;
};
/// The parameter names, as written in files and on the CLI.
const std::vector<std::string>& param_names();
/// Sets a parameter by name; throws InputError naming an unknown one or a negative value.
void set_param(PlatformParams& p, const std::string& name, double value);

/// A parametric cluster: nodes of GPUs behind a switch (NVSwitch / NVLink ports), nodes connected
/// through NICs by a single switch (star) or a two-level fat-tree (leaf switches, spine).
struct ParametricSpec {
  int nodes = 0;                  // 0 = as many as the workers need
  int gpus_per_node = 8;
  std::string gpu = "V100";
  double intra_bw_GBps = 150;     // per GPU port, per direction, line rate
  double intra_efficiency = 1;    // fraction of intra_bw that NCCL achieves (protocol overhead)
  double intra_latency_us = 2;    // GPU port latency (a route inside a node crosses two)
  bool nvswitch = true;           // the GPU ports meet at an NVSwitch (NVLink SHARP where the GPU has it)
  std::string intra_link = "nvlink"; // what a GPU's port is: nvlink (NVLink / NVSwitch) or pcie (PCIe-only
                                  // node: intra_bw_GBps is the GPU's PCIe link; no NVSwitch, no LL128)
  double nvlink_bridge_GBps = 0;  // pcie nodes: > 0 joins GPUs 2k and 2k+1 by an NVLink bridge of this rate
                                  // per direction (A100 PCIe with bridges); their traffic skips PCIe
  double nic_bw_GBps = 12.5;      // per NIC, per direction, line rate
  double nic_efficiency = 1;      // fraction of nic_bw that NCCL achieves
  int nics_per_node = 1;          // as the datasheet counts them, one link each. Fewer NICs than GPUs: GPU g uses
                                  // NIC g nics_per_node / gpus_per_node (a divisor of gpus_per_node); more: every
                                  // GPU has nics_per_node / gpus_per_node of its own (a multiple), used together
  double inter_latency_us = 5;    // per node uplink (a route between nodes crosses two)
  std::string topology = "star";  // star or fat-tree
  int nodes_per_leaf = 4;         // fat-tree: nodes under one leaf switch
  double oversubscription = 1;    // fat-tree: leaf downlink capacity over uplink capacity
  std::vector<int> slow_workers;  // workers at slow_factor speed
  double slow_factor = 1;
  int cores_per_node = 0;         // > 0: the node's workers time-share this many cores (CPU ranks, or
                                  // processes sharing a device); 0: every worker has its own device
};

struct PlatformDesc {
  std::string name;    // as given: built-in name, path, or parametric string
  std::string origin;  // where it was read from (for messages)
  bool parametric = false;
  std::string xml;     // XML platforms: the document
  ParametricSpec spec; // parametric platforms
  std::map<std::string, double> params; // fixed costs the description sets (XML: read at load)
  std::vector<double> group_create_measured_s; // PlatformParams::group_create_measured_s (TOML array)
  std::vector<std::string> keys;                // parametric: the keys the description sets, in order
};

/// Built-in platform names (the files of platforms/ without extension).
std::vector<std::string> builtin_platform_names();
/// Resolves a file path, a built-in name or a `parametric:` string. Throws InputError naming the value.
PlatformDesc resolve_platform(const std::string& name_or_path);
/// Parses `key=value,...` (the part after `parametric:`) or a TOML document into a spec + params.
PlatformDesc parse_parametric(const std::string& text, bool toml, const std::string& origin);

struct WorkerHost {
  simgrid::s4u::Host* host = nullptr;
  simgrid::s4u::Host* compute_host = nullptr; // shared cores (time-sharing); nullptr: its own device
  std::string gpu;
  double speed_factor = 1;
  int node = 0;
  bool nvswitch = false; // host property nvswitch=1: its node's GPUs meet at an NVSwitch
  bool nvlink = true;    // host property intra_link=pcie: its node's GPUs meet over PCIe (NCCL: no LL128)
  int nics = 1;          // host property nics: NICs of its node (channels of a ring across nodes)
};

/// A route between two workers' hosts: its latency (the sum over its links) and its narrowest link's
/// bandwidth.
struct RouteInfo {
  double latency_s = 0;
  double bandwidth_Bps = 0;
};
RouteInfo route_between(const WorkerHost& from, const WorkerHost& to);

/// Builds the platform inside a fresh engine and returns `workers` worker hosts in order, with the
/// platform's fixed costs (the description's, then `overrides`). Throws InputError for a malformed
/// description, a platform with fewer GPU hosts than workers, or a bad property.
std::vector<WorkerHost> load_platform(simgrid::s4u::Engine& engine, const PlatformDesc& desc, int workers,
                                      const std::map<std::string, double>& overrides, PlatformParams& params);

} // namespace resist::sim
