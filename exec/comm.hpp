// c10d from C++: the store, the world process group (Gloo on CPU, NCCL on GPU when compiled in), and
// subgroups created once per member set and cached. Every call is asynchronous and returns a Work;
// wait_all() turns a c10d failure (a peer that died, a timeout) into a resist::Error with context.
// Counts the bytes handed to c10d (inputs of collectives and sends, outputs of receives).
#pragma once
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "exec/launch_env.hpp"

namespace resist::exec {

/// A c10d operation failed because a peer died, hung or became unreachable (not a fault of this rank's
/// own work): what an elastic run recovers from (exec/elastic.hpp); otherwise an Error like any other.
class PeerError : public Error {
public:
  using Error::Error;
};

/// Bytes a tensor hands to c10d (what the byte counters and the round rows count).
inline std::int64_t bytes_of(const torch::Tensor& t) { return static_cast<std::int64_t>(t.nbytes()); }

/// "3,0,7" -> {3, 0, 7}: a list of ranks or rounds a rank wrote to the store (joined with ',').
std::vector<int> split_ints(const std::string& s);

enum class Backend { gloo, nccl };
/// "gloo" or "nccl"; throws InputError for another name or for nccl in a build without it.
Backend parse_backend(const std::string& name);
/// Whether this build carries ProcessGroupNCCL (a CUDA LibTorch).
bool nccl_compiled();

// torch 2.x split ProcessGroup into a dispatcher over Backends; the concrete groups derive from Backend.
#if TORCH_VERSION_MAJOR >= 2
using GroupBase = c10d::Backend;
#else
using GroupBase = c10d::ProcessGroup;
#endif
using Work = c10::intrusive_ptr<c10d::Work>;

struct CommOptions {
  Backend backend = Backend::gloo;
  double timeout_s = 60;  // store operations and every collective
  int gloo_threads = 2;   // worker threads per Gloo process group
};

class Comm {
public:
  /// Opens the launch's store (exec/rendezvous_store.hpp) and builds the world group.
  /// Blocks until every rank has arrived or the timeout passes (then throws Error).
  Comm(const LaunchInfo& launch, const CommOptions& options);

  /// The same store, a new world group of `size` ranks (this one `rank`) whose keys and groups all live
  /// under `prefix`: an elastic run's next generation (a fresh Gloo group over the survivors).
  std::unique_ptr<Comm> regroup(const std::string& prefix, int rank, int size) const;

  int rank() const { return rank_; }
  int size() const { return size_; }
  c10d::Store& store() { return *store_; }
  /// The job's store without a generation's prefix (elastic agreement keys, the launcher's view).
  c10d::Store& root_store() { return *root_; }
  /// 0 .. size-1: the member list of the world group.
  std::vector<int> everyone() const;

  /// Creates the groups of `member_sets` that do not exist yet, in the given order. Collective over each
  /// set's members: every rank must pass the same list (sorted the same way). Returns seconds spent
  /// creating groups (0 when all existed).
  double ensure_groups(const std::vector<std::vector<int>>& member_sets);
  std::size_t cached_groups() const { return groups_.size(); }

  /// SUM all-reduce of `t` over `members` (ascending, this rank included; everyone = the world group).
  Work allreduce(torch::Tensor& t, const std::vector<int>& members);
  /// Broadcast from `root` / SUM reduce to `root` (world ranks) over the world group (`resist profile --comm`).
  Work broadcast(torch::Tensor& t, int root);
  Work reduce(torch::Tensor& t, int root);
  /// Creates a process group of `members` under a fresh store prefix; seconds it took this rank (members
  /// only; others return 0 at once). Measures what ensure_groups pays per new group. The group lives on
  /// until release_probe_groups(): dropping it while a peer still connects closes that peer's socket.
  double probe_group_create(const std::vector<int>& members, const std::string& tag);
  /// Drops the probe groups; call once every member is known to be done (after a barrier).
  void release_probe_groups() { probes_.clear(); }
  Work send(torch::Tensor& t, int dst, int tag);
  Work recv(torch::Tensor& t, int src, int tag);
  /// `timeout_s` <= 0: the configured timeout (a longer one suits waiting for rank 0's evaluation).
  void barrier(const std::string& what, double timeout_s = 0);
  /// Waits for every work; a failure becomes resist::Error naming `what` and this rank.
  void wait_all(std::vector<Work>& works, const std::string& what);

  /// Publishes `value` under `key` and returns every rank's value (store round trip, for checks).
  std::vector<std::string> all_gather_strings(const std::string& key, const std::string& value);

  std::int64_t handed_out_bytes = 0; // tensor bytes given to c10d (collective inputs, sends)
  std::int64_t handed_in_bytes = 0;  // tensor bytes taken from c10d (collective results, receives)

private:
  Comm() = default;
  c10::intrusive_ptr<GroupBase> make_group(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size);
  GroupBase& group_for(const std::vector<int>& members);

  int rank_ = 0, size_ = 1;
  LaunchInfo launch_;
  CommOptions options_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::Store> root_; // store_ before a generation's prefix
  c10::intrusive_ptr<GroupBase> world_;
  std::map<std::vector<int>, c10::intrusive_ptr<GroupBase>> groups_; // only sets this rank belongs to
  std::vector<std::vector<int>> created_;                            // every set created, in order
  std::vector<c10::intrusive_ptr<GroupBase>> probes_;                // probe_group_create's, until released
  // Gloo's send and recv read and write the tensor's memory as host memory: a CUDA tensor goes through a
  // host copy, kept here until wait_all (which copies a received one to its device tensor).
  struct Staged {
    torch::Tensor host, device; // device: the recv's destination (undefined for a send)
  };
  std::map<const c10d::Work*, Staged> staged_;
  torch::Tensor stage_for_gloo(const torch::Tensor& t, bool copy) const;
};

} // namespace resist::exec
