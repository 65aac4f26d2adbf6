#include "core/collective.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "core/error.hpp"

namespace resist {

const char* to_string(Algorithm a) {
  switch (a) {
  case Algorithm::ring: return "ring";
  case Algorithm::star: return "star";
  case Algorithm::hierarchical: return "hierarchical";
  case Algorithm::leader: return "leader";
  case Algorithm::nvls: return "nvls";
  case Algorithm::tree: return "tree";
  case Algorithm::nvls_tree: return "nvlstree";
  }
  return "?";
}

Algorithm parse_algorithm(const std::string& name) {
  for (Algorithm a : {Algorithm::ring, Algorithm::star, Algorithm::hierarchical, Algorithm::leader, Algorithm::nvls,
                      Algorithm::tree, Algorithm::nvls_tree})
    if (name == to_string(a)) return a;
  throw InputError(fmt::format(
      "unknown collective algorithm '{}' (known: ring, star, hierarchical, leader, nvls, tree, nvlstree)", name));
}

namespace {

std::int64_t chunk_bytes(std::int64_t bytes, int n, int i) {
  return bytes / n + (i < bytes % n ? 1 : 0);
}

int mod(int a, int n) { return ((a % n) + n) % n; }

/// Ring reduce-scatter among `ranks`, steps first_step .. first_step + n - 2: position p sends chunk
/// (p - k) at step k and ends up owning the reduced chunk (p + 1) mod n. `phase`: the ring phase's first
/// step and steps when it is part of a longer one (an all-reduce), else this reduce-scatter's own.
void ring_reduce_scatter(const std::vector<int>& ranks, std::int64_t bytes, int first_step, std::vector<Transfer>& out,
                         bool spans, std::pair<int, int> phase = {-1, 0}) {
  const int n = static_cast<int>(ranks.size());
  if (phase.second == 0) phase = {first_step, n - 1};
  if (spans) { // position p sends every chunk but (p + 1) mod n
    if (n > 1)
      for (int p = 0; p < n; ++p)
        out.push_back({ranks[p], ranks[mod(p + 1, n)], bytes - chunk_bytes(bytes, n, mod(p + 1, n)), first_step, n - 1,
                       first_step, n - 1});
    return;
  }
  for (int k = 0; k < n - 1; ++k)
    for (int p = 0; p < n; ++p)
      out.push_back({ranks[p], ranks[mod(p + 1, n)], chunk_bytes(bytes, n, mod(p - k, n)), first_step + k, 1,
                     phase.first, phase.second});
}

/// Ring all-gather among `ranks` from the reduce-scatter's ownership: position p sends chunk (p + 1 - k).
void ring_all_gather(const std::vector<int>& ranks, std::int64_t bytes, int first_step, std::vector<Transfer>& out,
                     bool spans, std::pair<int, int> phase = {-1, 0}) {
  const int n = static_cast<int>(ranks.size());
  if (phase.second == 0) phase = {first_step, n - 1};
  if (spans) { // position p sends every chunk but (p + 2) mod n
    if (n > 1)
      for (int p = 0; p < n; ++p)
        out.push_back({ranks[p], ranks[mod(p + 1, n)], bytes - chunk_bytes(bytes, n, mod(p + 2, n)), first_step, n - 1,
                       first_step, n - 1});
    return;
  }
  for (int k = 0; k < n - 1; ++k)
    for (int p = 0; p < n; ++p)
      out.push_back({ranks[p], ranks[mod(p + 1, n)], chunk_bytes(bytes, n, mod(p + 1 - k, n)), first_step + k, 1,
                     phase.first, phase.second});
}

/// Ring all-reduce among `ranks` (ascending), steps first_step .. first_step + 2(n-1) - 1.
void ring_allreduce(const std::vector<int>& ranks, std::int64_t bytes, int first_step, std::vector<Transfer>& out,
                    bool spans) {
  const int n = static_cast<int>(ranks.size());
  if (n < 2) return;
  if (spans) { // both phases go between the same pairs: one span of 2(n-1) steps each
    for (int p = 0; p < n; ++p)
      out.push_back({ranks[p], ranks[mod(p + 1, n)], ring_allreduce_sent_bytes(bytes, n, p), first_step, 2 * (n - 1),
                     first_step, 2 * (n - 1)});
    return;
  }
  ring_reduce_scatter(ranks, bytes, first_step, out, false, {first_step, 2 * (n - 1)});
  ring_all_gather(ranks, bytes, first_step + n - 1, out, false, {first_step, 2 * (n - 1)});
}

void ring_exchange(const Exchange& e, std::vector<Transfer>& out, bool spans) {
  ring_allreduce(e.contributors, e.bytes, 0, out, spans);
  const int after = e.contributors.size() > 1 ? 2 * (static_cast<int>(e.contributors.size()) - 1) : 0;
  std::vector<int> fresh;
  for (int r : e.receivers)
    if (!std::binary_search(e.contributors.begin(), e.contributors.end(), r)) fresh.push_back(r);
  for (std::size_t j = 0; j < fresh.size(); ++j) {
    const int src = e.contributors.empty() ? 0 : e.contributors[j % e.contributors.size()];
    if (src != fresh[j]) out.push_back({src, fresh[j], e.bytes, after});
  }
}

void star_exchange(const Exchange& e, std::vector<Transfer>& out) {
  const int root = e.contributors.empty() ? 0 : e.contributors.front();
  for (int c : e.contributors)
    if (c != root) out.push_back({c, root, e.bytes, 0});
  for (int r : e.receivers)
    if (r != root) out.push_back({root, r, e.bytes, 1});
}

/// Workers of an all-reduce grouped by node (ascending within a node, nodes in order of their id).
std::map<int, std::vector<int>> by_node(const std::vector<int>& workers, const std::vector<int>& node_of) {
  std::map<int, std::vector<int>> members;
  for (int w : workers) members[w < static_cast<int>(node_of.size()) ? node_of[w] : w].push_back(w);
  return members;
}

/// Two levels: reduce-scatter in the node, one ring per rail across nodes, all-gather in the node.
/// Returns false (nothing added) when the nodes hold different numbers of workers.
bool nccl_hierarchical_exchange(const Exchange& e, const std::vector<int>& node_of, std::vector<Transfer>& out,
                                bool spans) {
  const auto members = by_node(e.contributors, node_of);
  const std::size_t local = members.begin()->second.size();
  for (const auto& [node, ws] : members)
    if (ws.size() != local) return false;
  const int l = static_cast<int>(local), m = static_cast<int>(members.size());
  // Pipelined: the buffer goes in kHierarchicalPieces pieces, piece j starting one intra-node phase
  // (L-1 steps) after piece j-1, so the NVLink phases of one piece overlap the network phase of another.
  for (int p0 = 0; p0 < kHierarchicalPieces; ++p0) {
    const int j = p0 * (l - 1); // first step of this piece
    const std::int64_t bytes = chunk_bytes(e.bytes, kHierarchicalPieces, p0);
    if (bytes == 0) continue;
    for (const auto& [node, ws] : members) ring_reduce_scatter(ws, bytes, j, out, spans);
    for (int p = 0; p < l; ++p) { // rail p: position p owns chunk (p + 1) mod l on every node
      std::vector<int> rail;
      for (const auto& [node, ws] : members) rail.push_back(ws[static_cast<std::size_t>(p)]);
      ring_allreduce(rail, chunk_bytes(bytes, l, mod(p + 1, l)), j + l - 1, out, spans);
    }
    const int after = j + l - 1 + (m > 1 ? 2 * (m - 1) : 0);
    for (const auto& [node, ws] : members) ring_all_gather(ws, bytes, after, out, spans);
  }
  return true;
}

/// NCCL's ring across nodes on a rail-optimized fabric (see the header): `rails` channels of B/rails
/// bytes, each a ring over all workers. Channel c enters every node at local position s_c = c L / rails
/// and leaves it from position s_c - 1 through that GPU's NIC, so the channels cross between nodes on
/// different NICs. In every channel a worker's successor is local position p + 1 (on the next node where
/// p is the channel's exit), so one step of all channels is two transfers per worker: the channels that
/// stay in the node, merged, and the one that leaves it. Returns false (nothing added) when the nodes hold
/// different numbers of workers.
bool railed_ring_exchange(const Exchange& e, const std::vector<int>& node_of, int rails, std::vector<Transfer>& out,
                          bool spans) {
  const auto members = by_node(e.contributors, node_of);
  std::vector<std::vector<int>> nodes;
  for (const auto& [node, ws] : members) nodes.push_back(ws);
  const int l = static_cast<int>(nodes.front().size()), m = static_cast<int>(nodes.size()), n = l * m;
  for (const auto& ws : nodes)
    if (static_cast<int>(ws.size()) != l) return false;
  const int c_count = std::min(rails, l);
  std::vector<int> start(static_cast<std::size_t>(c_count)), exit_of(static_cast<std::size_t>(l), -1);
  std::vector<std::int64_t> channel_bytes(static_cast<std::size_t>(c_count));
  for (int c = 0; c < c_count; ++c) {
    start[c] = c * l / c_count;
    exit_of[static_cast<std::size_t>(mod(start[c] - 1, l))] = c;
    channel_bytes[c] = chunk_bytes(e.bytes, c_count, c);
  }
  // Chunk that position p sends at ring step k (reduce-scatter, then all-gather), as in ring_allreduce.
  auto chunk = [&](int c, int p, int k) {
    const int index = k < n - 1 ? mod(p - k, n) : mod(p + 1 - (k - (n - 1)), n);
    return chunk_bytes(channel_bytes[c], n, index);
  };
  // Channel masks: the channel leaving at position j, and the others (every channel when there are more
  // than a mask holds).
  const std::uint64_t all = c_count >= 64 ? 0 : (std::uint64_t{1} << c_count) - 1;
  auto leaving_mask = [&](int j) {
    const int c = exit_of[static_cast<std::size_t>(j)];
    return c < 0 || all == 0 ? all : std::uint64_t{1} << c;
  };
  auto inside_mask = [&](int j) {
    const int c = exit_of[static_cast<std::size_t>(j)];
    return c < 0 || all == 0 ? all : all & ~(std::uint64_t{1} << c);
  };
  if (spans) { // a channel's position q sends ring_allreduce_sent_bytes over all its steps
    for (int node = 0; node < m; ++node)
      for (int j = 0; j < l; ++j) {
        std::int64_t inside = 0, leaving = 0;
        for (int c = 0; c < c_count; ++c)
          (exit_of[static_cast<std::size_t>(j)] == c ? leaving : inside) +=
              ring_allreduce_sent_bytes(channel_bytes[c], n, node * l + mod(j - start[c], l));
        const int src = nodes[node][j], next = (j + 1) % l;
        if (inside > 0)
          out.push_back({src, nodes[node][next], inside, 0, 2 * (n - 1), 0, 2 * (n - 1), inside_mask(j)});
        if (leaving > 0)
          out.push_back({src, nodes[(node + 1) % m][next], leaving, 0, 2 * (n - 1), 0, 2 * (n - 1), leaving_mask(j)});
      }
    return true;
  }
  for (int k = 0; k < 2 * (n - 1); ++k)
    for (int node = 0; node < m; ++node)
      for (int j = 0; j < l; ++j) {
        std::int64_t inside = 0, leaving = 0;
        for (int c = 0; c < c_count; ++c) {
          const std::int64_t b = chunk(c, node * l + mod(j - start[c], l), k);
          (exit_of[static_cast<std::size_t>(j)] == c ? leaving : inside) += b;
        }
        const int src = nodes[node][j], next = (j + 1) % l;
        if (inside > 0) out.push_back({src, nodes[node][next], inside, k, 1, 0, 2 * (n - 1), inside_mask(j)});
        if (leaving > 0)
          out.push_back({src, nodes[(node + 1) % m][next], leaving, k, 1, 0, 2 * (n - 1), leaving_mask(j)});
      }
  return true;
}

/// One NVLS phase (reduce or broadcast) of `bytes` among `ranks` at `step`: every GPU to every other,
/// B (N+1) / (2N(N-1)) bytes rounded up, which puts B (N+1) / (2N) on each port each way.
void nvls_phase(const std::vector<int>& ranks, std::int64_t bytes, int step, std::vector<Transfer>& out) {
  const std::int64_t n = static_cast<std::int64_t>(ranks.size());
  if (n < 2) return;
  const std::int64_t each = (bytes * (n + 1) + 2 * n * (n - 1) - 1) / (2 * n * (n - 1));
  for (int src : ranks)
    for (int dst : ranks)
      if (src != dst) out.push_back({src, dst, each, step});
}

/// Parent in NCCL's binary tree rooted at 0 (see nccl_tree_parent): r's lowest set bit b; the parent is r
/// with b cleared and 2b set, or with b cleared alone where that is out of range.
int btree_parent(int ranks, int rank) {
  if (rank == 0) return -1;
  const int bit = rank & -rank;
  const int up = (rank ^ bit) | (bit << 1);
  return up < ranks ? up : rank ^ bit;
}

/// NCCL's tree or NVLS-tree across nodes (see the header). Returns false (nothing added) when the nodes hold
/// different numbers of workers.
bool tree_exchange(const Exchange& e, const std::vector<int>& node_of, int rails, bool nvls,
                   std::vector<Transfer>& out) {
  std::vector<std::vector<int>> nodes;
  for (const auto& [node, ws] : by_node(e.contributors, node_of)) nodes.push_back(ws);
  const int l = static_cast<int>(nodes.front().size()), m = static_cast<int>(nodes.size());
  for (const auto& ws : nodes)
    if (static_cast<int>(ws.size()) != l) return false;
  // Heads: the GPUs that talk across nodes, each with the share of the buffer it carries. Tree: channel c's
  // chain head, c L / channels. NVLS-tree: every GPU, for the chunk the NVLS reduce left it.
  const int heads = nvls ? l : std::min(rails, l);
  std::vector<int> head_pos(static_cast<std::size_t>(heads));
  for (int c = 0; c < heads; ++c) head_pos[c] = nvls ? c : c * l / heads;
  for (int j = 0; j < kTreePieces; ++j) {
    const std::int64_t piece = chunk_bytes(e.bytes, kTreePieces, j);
    if (piece == 0) continue;
    // bytes[c][t]: head c's share of this piece in tree t
    std::vector<std::array<std::int64_t, 2>> bytes(static_cast<std::size_t>(heads));
    for (int c = 0; c < heads; ++c)
      for (int t = 0; t < 2; ++t) bytes[c][t] = chunk_bytes(chunk_bytes(piece, heads, c), 2, t);
    // Up inside the node (step j): the chain towards each channel's head, or the NVLS reduce.
    for (const auto& ws : nodes) {
      if (l < 2) break;
      if (nvls) {
        nvls_phase(ws, piece, j, out);
        continue;
      }
      for (int p = 0; p < l; ++p) { // p sends towards p - 1 in every channel it does not head
        std::int64_t b = 0;
        for (int c = 0; c < heads; ++c)
          if (head_pos[c] != p) b += bytes[c][0] + bytes[c][1];
        if (b > 0) out.push_back({ws[p], ws[mod(p - 1, l)], b, j});
      }
    }
    // Across nodes, each tree, every head on its own rail: up (step j + 1), the result down (j + 2), all
    // levels at once (NCCL streams a piece through them in small chunks).
    for (int t = 0; t < 2; ++t)
      for (int r = 0; r < m; ++r) {
        const int up = nccl_tree_parent(m, t, r);
        if (up < 0) continue;
        for (int c = 0; c < heads; ++c) {
          const auto pos = static_cast<std::size_t>(head_pos[c]);
          if (bytes[c][t] == 0) continue;
          out.push_back({nodes[r][pos], nodes[up][pos], bytes[c][t], j + 1});
          out.push_back({nodes[up][pos], nodes[r][pos], bytes[c][t], j + 2});
        }
      }
    // Down inside the node once every head has its results: the chain away from each channel's head, or
    // the NVLS broadcast.
    const int down = m > 1 ? j + 3 : j + 1;
    for (const auto& ws : nodes) {
      if (l < 2) break;
      if (nvls) {
        nvls_phase(ws, piece, down, out);
        continue;
      }
      for (int p = 0; p < l; ++p) { // p sends towards p + 1 in every channel where p + 1 is not the head
        std::int64_t b = 0;
        for (int c = 0; c < heads; ++c)
          if (head_pos[c] != mod(p + 1, l)) b += bytes[c][0] + bytes[c][1];
        if (b > 0) out.push_back({ws[p], ws[mod(p + 1, l)], b, down});
      }
    }
  }
  return true;
}

/// NVLink SHARP on one node: two direct phases carrying B (1 + 1/N) per GPU port each way.
void nvls_exchange(const Exchange& e, std::vector<Transfer>& out) {
  for (int step = 0; step < 2; ++step) nvls_phase(e.contributors, e.bytes, step, out);
}

void hierarchical_exchange(const Exchange& e, const std::vector<int>& node_of, std::vector<Transfer>& out, bool spans) {
  std::map<int, std::vector<int>> members; // node -> workers (ascending)
  for (int w : e.contributors) members[w < static_cast<int>(node_of.size()) ? node_of[w] : w].push_back(w);
  std::vector<int> leaders;
  for (const auto& [node, ws] : members) leaders.push_back(ws.front());
  std::sort(leaders.begin(), leaders.end());
  for (const auto& [node, ws] : members)
    for (std::size_t i = 1; i < ws.size(); ++i) out.push_back({ws[i], ws.front(), e.bytes, 0});
  ring_allreduce(leaders, e.bytes, 1, out, spans);
  const int last = 1 + (leaders.size() > 1 ? 2 * (static_cast<int>(leaders.size()) - 1) : 0);
  for (const auto& [node, ws] : members)
    for (std::size_t i = 1; i < ws.size(); ++i) out.push_back({ws.front(), ws[i], e.bytes, last});
}

} // namespace

std::vector<Transfer> expand_exchange(const Exchange& e, Algorithm algorithm, const std::vector<int>& node_of_worker,
                                      int rails, Granularity granularity) {
  const bool spans = granularity == Granularity::spans;
  std::vector<Transfer> out;
  if (e.bytes == 0) return out;
  if (e.receivers.empty()) { // an upload nobody else trains (IST's gather): to the server, worker 0
    for (int c : e.contributors)
      if (c != 0) out.push_back({c, 0, e.bytes, 0});
    return out;
  }
  switch (algorithm) {
  case Algorithm::star: star_exchange(e, out); break;
  case Algorithm::leader:
    if (e.contributors == e.receivers && !node_of_worker.empty()) {
      hierarchical_exchange(e, node_of_worker, out, spans);
      break;
    }
    ring_exchange(e, out, spans);
    break;
  case Algorithm::hierarchical:
    if (e.contributors == e.receivers && e.contributors.size() > 1 && !node_of_worker.empty() &&
        by_node(e.contributors, node_of_worker).size() > 1 && nccl_hierarchical_exchange(e, node_of_worker, out, spans))
      break;
    ring_exchange(e, out, spans);
    break;
  case Algorithm::nvls:
    if (e.contributors == e.receivers && (node_of_worker.empty() || by_node(e.contributors, node_of_worker).size() == 1)) {
      nvls_exchange(e, out);
      break;
    }
    ring_exchange(e, out, spans);
    break;
  case Algorithm::tree:
  case Algorithm::nvls_tree: {
    const bool all_reduce = e.contributors == e.receivers && e.contributors.size() > 1;
    const std::size_t node_count =
        node_of_worker.empty() ? e.contributors.size() : by_node(e.contributors, node_of_worker).size();
    if (all_reduce && algorithm == Algorithm::nvls_tree && node_count == 1) { // NCCL: NVLS-tree needs 2+ nodes
      nvls_exchange(e, out);
      break;
    }
    if (all_reduce && tree_exchange(e, node_of_worker, rails, algorithm == Algorithm::nvls_tree, out)) break;
    ring_exchange(e, out, spans);
    break;
  }
  case Algorithm::ring:
    if (rails > 1 && e.contributors == e.receivers && e.contributors.size() > 1 && !node_of_worker.empty() &&
        by_node(e.contributors, node_of_worker).size() > 1 &&
        railed_ring_exchange(e, node_of_worker, rails, out, spans))
      break;
    ring_exchange(e, out, spans);
    break;
  }
  return out;
}

std::vector<WorkerBytes> wire_bytes(const CommPlan& plan, int workers, Algorithm algorithm,
                                    const std::vector<int>& node_of_worker, int rails) {
  std::vector<WorkerBytes> out(static_cast<std::size_t>(workers));
  for (const Exchange& e : plan.exchanges)
    for (const Transfer& t : expand_exchange(e, algorithm, node_of_worker, rails, Granularity::spans)) {
      out.at(static_cast<std::size_t>(t.src)).sent += t.bytes * e.repeat;
      out.at(static_cast<std::size_t>(t.dst)).received += t.bytes * e.repeat;
    }
  return out;
}

int nccl_tree_parent(int ranks, int tree, int rank) {
  if (tree == 0) return btree_parent(ranks, rank);
  if (ranks % 2 == 1) { // shift by one
    const int up = btree_parent(ranks, mod(rank - 1, ranks));
    return up < 0 ? -1 : (up + 1) % ranks;
  }
  const int up = btree_parent(ranks, ranks - 1 - rank); // mirror
  return up < 0 ? -1 : ranks - 1 - up;
}

std::int64_t ring_allreduce_sent_bytes(std::int64_t bytes, int n, int position) {
  if (n < 2) return 0;
  return 2 * bytes - chunk_bytes(bytes, n, mod(position + 1, n)) - chunk_bytes(bytes, n, mod(position + 2, n));
}

} // namespace resist
