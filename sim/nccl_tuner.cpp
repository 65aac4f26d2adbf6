#include "sim/nccl_tuner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/error.hpp"

namespace resist::sim {
namespace {

// NCCL 2.27.7, src/graph/tuning.cc (lines as of that tag). Protocol index: LL, LL128, Simple.
constexpr int kLL = 0, kLL128 = 1, kSimple = 2;
// baseLat (l.134): tree, ring; NVLS and NVLS-tree 0.
constexpr double kBaseLatTree[3] = {6.8, 14.0, 8.4};
constexpr double kBaseLatRing[3] = {6.6, 14.0, 8.4};
// hwLat (l.143): [NVLink, PCI, net] per algorithm.
constexpr double kHwLatTree[3][3] = {{.6, 1.25, 4.0}, {1.0, 1.9, 4.0}, {5.0, 8.5, 14}};
constexpr double kHwLatRing[3][3] = {{.6, 1.9, 3.4}, {1.0, 2.5, 5.7}, {2.7, 4.0, 14.0}};
constexpr double kHwLatNvls[3] = {25, 0, 18};
constexpr double kHwLatNvlsTree[3] = {25, 0, 14};
// By compute-capability row (Volta, Ampere, Hopper, Blackwell) and nodes column (1, 2, 4+); l.165-189.
constexpr double kLlMaxBws[4][3] = {{39.0, 39.0, 20.4}, {87.7, 22.5, 19.0}, {141.0, 45.0, 35.0}, {282.0, 90.0, 70.0}};
constexpr double kPerChMaxRingLL128Bws[4] = {20.0, 20.0, 36.7, 73.4};
constexpr double kPerChMaxTreeLL128Bws[4][3] = {{20, 20, 20}, {20, 20, 20}, {36.7, 36.7, 29.0}, {73.4, 73.4, 58.0}};
constexpr double kPerChMaxTreeBws[4][3] = {{26.5, 18.5, 10.0}, {24.0, 23.6, 17.8}, {38.7, 41.4, 36.0}, {77.4, 82.8, 72.0}};
// treeCorrectionFactor (l.555): by log2(bytes / 64), 64 B to 256 MiB.
constexpr double kTreeCorrection[3][23] = {
    {1.0, 1.0, 1.0, 1.0, .9, .8, .7, .7, .7, .7, .6, .5, .4, .4, .5, .6, .7, .8, .9, 1.0, 1.0, 1.0, 1.0},
    {1.0, 1.0, 1.0, 1.0, 1.0, .9, .8, .8, .8, .7, .6, .6, .6, .6, .6, .6, .8, .9, .9, .9, .9, 1.0, 1.0},
    {.9, .9, .9, .9, .9, .9, .9, .8, .7, .6, .6, .5, .5, .5, .5, .6, .7, .8, .7, .7, .8, .9, .9}};
// Threads per channel and bytes per thread before a call takes another channel (src/include/device.h,
// comm.h: NCCL_{LL,LL128,SIMPLE}_THREAD_THRESHOLD; the ring LL threshold is times the ranks, tuning.cc).
constexpr double kThreadThreshold[3] = {8, 8, 64};
constexpr double kMaxThreads[3] = {512, 640, 512};
constexpr double kGraphChannelGBps = 20;
constexpr int kNvlsChannels = 16;            // NCCL_NVLS_NCHANNELS' default (src/transport/nvls.cc)
constexpr std::int64_t kNvlsChunk = 128 << 10; // NCCL_NVLS_CHUNKSIZE's default
constexpr std::int64_t kStepBytes[3] = {(512 << 10) / 8, 4915200 / 8, (4 << 20) / 8}; // buffSizes / NCCL_STEPS
constexpr int kMaxChannels = 64; // MAXCHANNELS from NCCL 2.25

int log2i(std::int64_t n) {
  int k = -1;
  while (n > 0) {
    n >>= 1;
    ++k;
  }
  return std::max(k, 0);
}

int cc_row(int cc) { return cc >= 100 ? 3 : cc >= 90 ? 2 : cc >= 80 ? 1 : 0; }
int nodes_col(int nodes) { return nodes <= 2 ? nodes - 1 : 2; }
int proto_index(NcclProto p) { return p == NcclProto::ll ? kLL : p == NcclProto::ll128 ? kLL128 : kSimple; }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// NCCL's list syntax: names separated by commas, all of them excluded when the list starts with '^'.
template <typename Set> void parse_list(const std::string& text, const char* what, Set set) {
  if (text.empty()) return;
  const bool exclude = text.front() == '^';
  std::istringstream in(exclude ? text.substr(1) : text);
  std::vector<std::string> names;
  for (std::string item; std::getline(in, item, ',');) names.push_back(lower(item));
  if (names.empty()) throw InputError(fmt::format("{} '{}': no name given", what, text));
  set(names, exclude);
}

} // namespace

const char* to_string(NcclProto p) {
  switch (p) {
  case NcclProto::ll: return "LL";
  case NcclProto::ll128: return "LL128";
  case NcclProto::simple: return "Simple";
  }
  return "?";
}

NcclEnable NcclEnable::parse(const std::string& algos, const std::string& protos) {
  NcclEnable e;
  parse_list(algos, "--nccl-algo", [&](const std::vector<std::string>& names, bool exclude) {
    bool* flags[] = {&e.ring, &e.tree, &e.nvls, &e.nvls_tree};
    for (bool* f : flags) *f = exclude;
    for (const auto& n : names) {
      bool* f = n == "ring" ? &e.ring : n == "tree" ? &e.tree : n == "nvls" ? &e.nvls : n == "nvlstree" ? &e.nvls_tree : nullptr;
      if (!f) throw InputError(fmt::format("--nccl-algo '{}': unknown algorithm '{}' (known: ring, tree, nvls, nvlstree)", algos, n));
      *f = !exclude;
    }
  });
  parse_list(protos, "--nccl-proto", [&](const std::vector<std::string>& names, bool exclude) {
    bool* flags[] = {&e.ll, &e.ll128, &e.simple};
    for (bool* f : flags) *f = exclude;
    for (const auto& n : names) {
      bool* f = n == "ll" ? &e.ll : n == "ll128" ? &e.ll128 : n == "simple" ? &e.simple : nullptr;
      if (!f) throw InputError(fmt::format("--nccl-proto '{}': unknown protocol '{}' (known: LL, LL128, Simple)", protos, n));
      *f = !exclude;
    }
  });
  if (!e.ring && !e.tree && !e.nvls && !e.nvls_tree)
    throw InputError(fmt::format("--nccl-algo '{}': leaves no algorithm", algos));
  if (!e.ll && !e.ll128 && !e.simple) throw InputError(fmt::format("--nccl-proto '{}': leaves no protocol", protos));
  return e;
}

bool NcclEnable::allows(Algorithm a) const {
  switch (a) {
  case Algorithm::ring: return ring;
  case Algorithm::tree: return tree;
  case Algorithm::nvls: return nvls;
  case Algorithm::nvls_tree: return nvls_tree;
  default: return false;
  }
}

bool NcclEnable::allows(NcclProto p) const {
  return p == NcclProto::ll ? ll : p == NcclProto::ll128 ? ll128 : simple;
}

int NcclComm::channels() const {
  return std::max(1, static_cast<int>(std::ceil(ring_busbw_GBps / kGraphChannelGBps - 1e-9)));
}

int NcclComm::comm_channels() const { return std::min(kMaxChannels, 2 * channels()); }

NcclPairModel nccl_pair_model(const NcclComm& c, Algorithm a, NcclProto proto) {
  NcclPairModel m;
  const int p = proto_index(proto);
  const int n = c.ranks, nodes = c.nodes, row = cc_row(c.compute_capability), col = nodes_col(nodes);
  if (n < 2 || nodes < 1) return m;
  const bool nvl_algo = a == Algorithm::nvls || a == Algorithm::nvls_tree;
  if (nvl_algo && p != kSimple) return m;
  // Enabled here (tuning.cc l.440-470): NVLS on one node, NVLS-tree across nodes, both on NVLink SHARP;
  // trees need the same ranks on every node; LL128 needs NVLink inside the node (and Volta or later).
  if (a == Algorithm::nvls && (!c.nvls || nodes != 1)) return m;
  if (a == Algorithm::nvls_tree && (!c.nvls || nodes < 2 || c.ppn < 2)) return m;
  if (a == Algorithm::tree && (nodes < 2 || c.ppn < 1)) return m; // NCCL runs a one-node tree too; we do not
  if (p == kLL128 && (!c.nvlink || c.compute_capability < 70)) return m;
  if (a != Algorithm::ring && a != Algorithm::tree && !nvl_algo) return m;
  const double ch = c.channels();
  const double ll_max = kLlMaxBws[nodes == 1 ? row : 0][col]; // multi-node: the Intel row
  const int intra_hw = c.nvlink ? 0 : 1;
  const int ppn = c.ppn > 0 ? c.ppn : n / nodes;
  const int nsteps = 2 * (n - 1);
  // Bandwidth (tuning.cc l.262-327): the graph's channels x bandwidth, the protocol's refinements, then
  // bus bandwidth to algorithm bandwidth.
  double bus = a == Algorithm::tree ? c.tree_busbw_GBps : c.ring_busbw_GBps;
  if (a == Algorithm::nvls) bus = c.nvls_busbw_GBps;
  if (a == Algorithm::nvls_tree)
    bus = std::min(c.nvls_busbw_GBps, nodes <= 2 ? c.nvls_inter_busbw_GBps : c.nvls_inter_busbw_GBps / 2);
  if (a == Algorithm::ring && p == kLL) bus = std::min(ll_max, bus * .5);
  if (a == Algorithm::ring && p == kLL128) bus = std::min(bus * .92, ch * kPerChMaxRingLL128Bws[row]);
  if (a == Algorithm::tree) bus = std::min(bus * .92, ch * kPerChMaxTreeBws[row][col]);
  if (a == Algorithm::tree && p == kLL) bus = std::min(bus / 3.8, ll_max);
  if (a == Algorithm::tree && p == kLL128)
    bus = std::min(bus * (nodes == 1 ? 7.0 / 9.0 : 120.0 / 128.0), ch * kPerChMaxTreeLL128Bws[row][col]);
  m.algbw_GBps = bus * (a == Algorithm::ring ? static_cast<double>(n) / nsteps : nvl_algo ? 5.0 / 6.0 : 0.5);
  // Latency (l.328-375).
  const double net_lat = (ppn == 1 ? kHwLatTree[2][p] : a == Algorithm::ring ? kHwLatRing[2][p]
                                                      : a == Algorithm::tree ? kHwLatTree[2][p]
                                                      : a == Algorithm::nvls ? kHwLatNvls[2]
                                                                             : kHwLatNvlsTree[2]) +
                         c.net_latency_us * (p == kSimple ? 2 : 1); // Simple adds the flush's latency
  switch (a) {
  case Algorithm::ring: {
    // Across nodes every step is launched at least at the network's post overhead (x3 for Simple).
    double intra = kHwLatRing[intra_hw][p];
    if (nodes > 1) intra = std::max(intra, c.net_overhead_us * (p == kSimple ? 3 : 1));
    const int inter_steps = nodes == 1 ? 0 : 2 * (nodes - 1);
    m.latency_us = kBaseLatRing[p] + (nsteps - inter_steps) * intra + inter_steps * net_lat;
    break;
  }
  case Algorithm::tree:
    m.latency_us = kBaseLatTree[p] + 2 * ((n / nodes - 1) * kHwLatTree[intra_hw][p] + log2i(nodes) * net_lat);
    break;
  case Algorithm::nvls: m.latency_us = kHwLatNvls[0]; break;
  case Algorithm::nvls_tree: m.latency_us = kHwLatNvlsTree[0] + 2 * log2i(nodes) * net_lat; break;
  default: break;
  }
  return m;
}

int nccl_call_channels(const NcclComm& c, Algorithm a, NcclProto proto, std::int64_t bytes) {
  const int max = c.comm_channels();
  if (a == Algorithm::nvls || a == Algorithm::nvls_tree) return max; // nvlsChannels, not reduced by size
  const int p = proto_index(proto);
  const double threshold = kThreadThreshold[p] * (a == Algorithm::ring && p == kLL ? c.ranks : 1);
  const double per_channel = (a == Algorithm::tree ? 640.0 : kMaxThreads[p]) * threshold; // trees: 640 (2.22+)
  const double fit = std::floor(static_cast<double>(bytes) / per_channel);
  return static_cast<int>(std::clamp(fit, 1.0, static_cast<double>(max)));
}

namespace {

/// ncclTopoGetAlgoTime's latency (us) and bandwidth (GB/s) at `bytes`: the tree's correction by size and
/// the ring Simple plateau factor across nodes applied. Bandwidth 0: not available.
NcclPairModel at_size(const NcclComm& c, Algorithm a, NcclProto proto, std::int64_t bytes) {
  NcclPairModel m = nccl_pair_model(c, a, proto);
  const int p = proto_index(proto), log_size = log2i(bytes >> 6);
  if (a == Algorithm::tree && (bytes >> 6) > 0 && log_size < 23) m.algbw_GBps *= kTreeCorrection[p][log_size];
  if (a == Algorithm::ring && p == kSimple && c.nodes > 1 &&
      bytes / (static_cast<std::int64_t>(c.comm_channels()) * c.ranks) >= 64)
    m.latency_us *= c.compute_capability < 80 ? 1.9 : 1.4; // "plateau effect of ring"
  return m;
}

} // namespace

double nccl_pair_time_s(const NcclComm& c, Algorithm a, NcclProto proto, std::int64_t bytes) {
  const NcclPairModel m = at_size(c, a, proto, bytes);
  if (!(m.algbw_GBps > 0)) return std::numeric_limits<double>::infinity();
  return (m.latency_us + static_cast<double>(bytes) / (1000 * m.algbw_GBps)) * 1e-6;
}

std::int64_t nccl_chunk_bytes(const NcclComm& c, Algorithm a, NcclProto proto, std::int64_t bytes, int channels) {
  const int p = proto_index(proto);
  const std::int64_t nch = std::max(1, channels);
  const std::int64_t heads = std::max(1, c.ppn > 0 ? c.ppn : c.ranks / std::max(1, c.nodes));
  std::int64_t chunk = kStepBytes[p] * (a == Algorithm::ring && p == kSimple ? 4 : 1); // ALLREDUCE_CHUNKSTEPS
  if (p == kLL) chunk /= 2;
  if (p == kLL128) chunk = chunk / 16 * 15;
  if (a == Algorithm::nvls) {
    const std::int64_t ops = kNvlsChannels * heads;
    chunk = std::min(chunk, kNvlsChunk);
    if (bytes < 64 * ops * chunk && chunk > 65536) chunk = 65536;
    if (bytes < 8 * ops * chunk && chunk > 32768) chunk = 32768;
    if (bytes < 2 * ops * chunk && chunk > 16384) chunk = 16384;
  } else if (a == Algorithm::nvls_tree) {
    const std::int64_t ops = kNvlsChannels * heads;
    chunk = c.nodes >= 4 ? 65536 : kNvlsChunk;
    if (bytes < 32 * ops * chunk && chunk > 262144) chunk = 262144;
    if (bytes < 16 * ops * chunk && chunk > 131072) chunk = 131072;
    if (bytes < 4 * ops * chunk && chunk > 65536) chunk = 65536;
    if (bytes < 1 * ops * chunk && chunk > 32768) chunk = 32768;
  } else if (a == Algorithm::tree && p == kLL128) {
    const double ppn = static_cast<double>(heads), steps = 1 + log2i(c.nodes) + 0.1 * ppn;
    while (static_cast<double>(bytes / (nch * chunk)) < steps * 64 / ppn && chunk > 131072) chunk /= 2;
    while (static_cast<double>(bytes / (nch * chunk)) < steps * 16 / ppn && chunk > 32768) chunk /= 2;
  } else if (a == Algorithm::ring) { // one loop of nch x ranks chunks: a step carries what the message leaves it
    chunk = std::min<std::int64_t>(chunk, std::max<std::int64_t>(1, bytes / (nch * c.ranks)));
  }
  return chunk;
}

double nccl_call_window(const NcclComm& c, Algorithm a, std::int64_t chunk_bytes, int ops, double algbw_GBps) {
  if (a == Algorithm::ring || !(algbw_GBps > 0)) return 1.0;
  const double chunk_s = c.nodes > 1 ? c.chunk_net_s : c.chunk_intra_s;
  if (!(chunk_s > 0)) return 1.0;
  const double window_GBps = static_cast<double>(ops) * static_cast<double>(chunk_bytes) / chunk_s / 1e9;
  return std::min(1.0, window_GBps / algbw_GBps);
}

int nccl_pipeline_stages(const NcclComm& c, Algorithm a) {
  const int ppn = std::max(1, c.ppn > 0 ? c.ppn : c.ranks / std::max(1, c.nodes));
  switch (a) {
  case Algorithm::nvls: return 2;
  case Algorithm::nvls_tree: return 1 + 2 * log2i(c.nodes);
  case Algorithm::tree: return 2 * (ppn - 1) + 2 * log2i(c.nodes);
  default: return 1;
  }
}

NcclCall nccl_choose(const NcclComm& c, std::int64_t bytes, const NcclEnable& enable) {
  NcclCall best;
  best.time_s = std::numeric_limits<double>::infinity();
  for (Algorithm a : {Algorithm::tree, Algorithm::ring, Algorithm::nvls, Algorithm::nvls_tree}) {
    if (!enable.allows(a) || (c.ppn == 0 && a != Algorithm::ring)) continue;
    for (NcclProto p : {NcclProto::ll, NcclProto::ll128, NcclProto::simple}) {
      if (!enable.allows(p)) continue;
      const double t = nccl_pair_time_s(c, a, p, bytes);
      if (t < best.time_s) {
        best.algorithm = a;
        best.protocol = p;
        best.time_s = t;
      }
    }
  }
  if (!std::isfinite(best.time_s)) { // nothing enabled applies here: NCCL falls back on the ring
    best.algorithm = Algorithm::ring;
    best.protocol = NcclProto::simple;
    best.time_s = nccl_pair_time_s(c, best.algorithm, best.protocol, bytes);
  }
  const NcclPairModel m = at_size(c, best.algorithm, best.protocol, bytes);
  const NcclPairModel simple = nccl_pair_model(c, best.algorithm, NcclProto::simple);
  best.latency_s = m.latency_us * 1e-6;
  best.channels = nccl_call_channels(c, best.algorithm, best.protocol, bytes);
  // What the pair moves per second at this size against Simple at full channels (what the replay's links
  // carry): the protocol's bandwidth, the tree's correction by size, the channels a call of this size runs.
  const double factor = simple.algbw_GBps > 0 ? m.algbw_GBps / simple.algbw_GBps : 1.0;
  const bool nvl = best.algorithm == Algorithm::nvls || best.algorithm == Algorithm::nvls_tree;
  const int heads = std::max(1, c.ppn > 0 ? c.ppn : 1);
  const int chunk_channels = nvl ? kNvlsChannels : best.channels;
  best.concurrent_ops = chunk_channels * (nvl ? heads : 1);
  // No chunk holds more than an operation's share of the message.
  best.chunk_bytes = std::min(nccl_chunk_bytes(c, best.algorithm, best.protocol, bytes, chunk_channels),
                              std::max<std::int64_t>(1, bytes / best.concurrent_ops));
  best.window_factor = nccl_call_window(c, best.algorithm, best.chunk_bytes, best.concurrent_ops, m.algbw_GBps);
  // A pipeline of chunks fills before it streams: the first chunk crosses every stage, each a chunk time
  // of one operation (its share of the bandwidth). NCCL grows its chunks with the message, so the fill
  // grows with the size up to the largest chunk: the ramp of bus bandwidth by size.
  if (best.algorithm != Algorithm::ring && best.protocol == NcclProto::simple && m.algbw_GBps > 0) {
    const double op_Bps = m.algbw_GBps * 1e9 * best.window_factor / best.concurrent_ops;
    best.fill_s = (nccl_pipeline_stages(c, best.algorithm) - 1) * static_cast<double>(best.chunk_bytes) / op_Bps;
    best.latency_s += best.fill_s;
  }
  best.bandwidth_factor = std::clamp(factor * best.window_factor *
                                         std::min(1.0, static_cast<double>(best.channels) / c.comm_channels()),
                                     1e-6, 1.0);
  return best;
}

} // namespace resist::sim
