// NCCL's own cost model of an all-reduce (its tuner), as NCCL 2.27.7 computes it (src/graph/tuning.cc,
// ncclTopoTuneModel and ncclTopoGetAlgoTime; src/enqueue.cc for the channels a call of a given size runs):
// for every algorithm (ring, tree, NVLS, NVLS-tree) and protocol (LL, LL128, Simple) a latency and a
// bandwidth, the time latency + bytes / bandwidth, and the choice of the fastest enabled pair.
//
// The simulator uses it in two ways (sim/comm_pattern.hpp, `--algorithm nccl`):
//   - the choice: algorithm and protocol per call, as NCCL makes it (NCCL_ALGO / NCCL_PROTO restrict it,
//     `--nccl-algo`, `--nccl-proto`);
//   - the time of the call: NCCL's latency for that pair is paid once per call, and the bytes go through
//     SimGrid's links (with their contention) scaled by what the protocol costs against Simple in NCCL's own
//     bandwidth model (LL: half the wire carries flags, LL128 8 of 128 bytes, the per-channel caps of
//     LL / LL128 / tree, the tree's correction by size) and by the channels a call of that size runs
//     (fewer below a few hundred KiB: src/enqueue.cc, getChannnelThreadInfo).
// What NCCL learns from its topology search (channels x per-channel bandwidth) is taken from the platform:
// the bus bandwidth the replay's algorithm reaches on its links (NcclComm). The constants below are NCCL's,
// not fitted; `net_latency_us` is NCCL's latencyInter (what the network plugin reports: 0 for InfiniBand),
// which a platform may set to a fitted value (experiments/sim_calibration).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/collective.hpp"

namespace resist::sim {

enum class NcclProto { ll, ll128, simple };
const char* to_string(NcclProto p);

/// Which algorithms and protocols NCCL may use: NCCL_ALGO / NCCL_PROTO's syntax ("ring,tree", "^tree",
/// "Simple", "^LL128"; case-insensitive; empty: all). Throws InputError naming an unknown name.
struct NcclEnable {
  bool ring = true, tree = true, nvls = true, nvls_tree = true;
  bool ll = true, ll128 = true, simple = true;
  static NcclEnable parse(const std::string& algos, const std::string& protos);
  bool allows(Algorithm a) const;
  bool allows(NcclProto p) const;
};

/// What NCCL's tuner knows of a communicator (one all-reduce's participants).
struct NcclComm {
  int ranks = 0;
  int nodes = 1;
  int ppn = 0;                    // ranks per node; 0: uneven nodes (NCCL then runs rings only here)
  int compute_capability = 80;    // the GPUs' (lowest): 70 Volta, 80 Ampere, 90 Hopper, 100 Blackwell
  bool nvlink = true;             // GPUs of a node meet over NVLink (else PCIe): LL128 needs it
  bool nvls = false;              // NVLink SHARP (Hopper and later on an NVSwitch)
  // The topology search's result per algorithm, channels x per-channel bandwidth (GB/s): what the
  // tuner starts from (nccl_comm in comm_pattern.hpp derives them from the platform's links).
  double ring_busbw_GBps = 0;       // the ring graph
  double tree_busbw_GBps = 0;       // the tree graph (NCCL's search raises it up to 2x the NICs on 2 nodes)
  double nvls_busbw_GBps = 0;       // NVLS inside the node
  double nvls_inter_busbw_GBps = 0; // NVLS-tree across nodes (the graph's bwInter x channels)
  double net_latency_us = 0;      // NCCL's latencyInter (IB plugin: 0)
  // Seconds a pipelined chunk holds one of its operation's slots (a round of NCCL_STEPS in flight per
  // connection): trees and NVLS move at most ops x chunk / chunk_s (nccl_call_window). Inside a node and
  // across nodes; 0: no such bound. Platform parameters nccl_chunk_intra_s, nccl_chunk_net_s (FITTED).
  double chunk_intra_s = 0;
  double chunk_net_s = 0;
  double net_overhead_us = 1.0;   // getNetOverhead: 1 on Intel x86 hosts, 2 on AMD
  /// Search channels (graph nChannels): the per-channel caps apply to this many. NCCL's searches settle
  /// at about 20 GB/s per channel on NVLink and NICs (speedArrayIntra / Inter), so busbw / 20, at least 1.
  int channels() const;
  /// The communicator's channels (graph channels doubled, ncclTopoPostset; at most 64 from NCCL 2.25).
  int comm_channels() const;
};

/// NCCL's latency (us) and algorithm bandwidth (GB/s, bytes per us / 1000) of one pair; bandwidth 0: not
/// available here (disabled, or the algorithm does not apply).
struct NcclPairModel {
  double latency_us = 0;
  double algbw_GBps = 0;
};

/// One call as NCCL runs it.
struct NcclCall {
  Algorithm algorithm = Algorithm::ring;
  NcclProto protocol = NcclProto::simple;
  double latency_s = 0;         // NCCL's latency of the pair at this size (ring Simple's plateau factor in)
  double time_s = 0;            // NCCL's predicted time: latency + bytes / bandwidth
  double bandwidth_factor = 1;  // the pair's bandwidth at this size over Simple's at full channels (<= 1)
  int channels = 0;             // channels the call runs (of comm_channels)
  std::int64_t chunk_bytes = 0; // NCCL's chunk at this size (calcCollChunking)
  int concurrent_ops = 0;       // chunks in flight side by side: channels (x NVLS heads)
  double window_factor = 1;     // what the chunk window leaves of the links' bandwidth (in bandwidth_factor)
  double fill_s = 0;            // Simple trees and NVLS: the pipeline's fill, (stages - 1) chunk times of one
                                // operation (in latency_s; LL and LL128 fills are in NCCL's latencies)
};

/// The tuner's table for a communicator (ncclTopoTuneModel). `a` in ring, tree, nvls, nvls_tree.
NcclPairModel nccl_pair_model(const NcclComm& comm, Algorithm a, NcclProto p);

/// ncclTopoGetAlgoTime for `bytes`: seconds, or infinity where the pair is not available.
double nccl_pair_time_s(const NcclComm& comm, Algorithm a, NcclProto p, std::int64_t bytes);

/// Channels a call of `bytes` runs with (src/enqueue.cc: fewer until each has nThreads x threshold bytes).
int nccl_call_channels(const NcclComm& comm, Algorithm a, NcclProto p, std::int64_t bytes);

/// NCCL's chunk for an all-reduce of `bytes` by `a` / `p` on `channels` channels (src/enqueue.cc
/// calcCollChunking, NCCL 2.27.7): ring Simple 4 x 512 KiB, LL 32 KiB, LL128 576,000 B (or what one loop
/// leaves a step: bytes / (channels x ranks)); NVLS and NVLS-tree halve their 128 KiB while the message
/// holds fewer than a few chunks per operation (operations: channels x heads, a head per GPU of the node);
/// NVLS-tree on 4+ nodes at most 64 KiB; tree LL128 by its steps.
std::int64_t nccl_chunk_bytes(const NcclComm& comm, Algorithm a, NcclProto p, std::int64_t bytes, int channels);

/// The pipelined algorithms' bound (trees, NVLS, NVLS-tree): each of `ops` operations holds a chunk for
/// chunk_s, so they move ops x chunk / chunk_s bytes per second; as a fraction (<= 1) of the algorithm
/// bandwidth `algbw_GBps`. 1 for rings (a ring's steps form a chain: latency + bytes / bandwidth).
double nccl_call_window(const NcclComm& comm, Algorithm a, std::int64_t chunk_bytes, int ops, double algbw_GBps);

/// Stages a chunk of a pipelined algorithm passes through (1 for rings, whose steps form a chain): NVLS 2
/// (the switch's reduce, its multicast); NVLS-tree 2 + 2 log2(nodes) - 1 (reduce, up and down the tree
/// across nodes, the two-node exchange counted once, multicast); tree 2 (ppn - 1) + 2 log2(nodes) (up and
/// down the chain and the tree).
int nccl_pipeline_stages(const NcclComm& comm, Algorithm a);

/// NCCL's choice for an all-reduce of `bytes` among the enabled pairs (topoGetAlgoInfo: the smallest time,
/// ties to the first in NCCL's order tree, ring, NVLS, NVLS-tree; LL, LL128, Simple). Where nothing enabled
/// applies, ring Simple (NCCL's fallback).
NcclCall nccl_choose(const NcclComm& comm, std::int64_t bytes, const NcclEnable& enable = {});

} // namespace resist::sim
