// A measured profile of one model on one machine: per-layer forward and backward seconds at a batch
// size, plus the costs the trainer pays outside the layers. `resist profile` (exec/) writes it, the
// simulator (sim/) reads it in place of its roofline. The file is CSV with `# key=value` metadata:
//
//   # resist profile v1
//   # model=preact_resnet_small in_channels=1 image_size=28 classes=10
//   # device=cpu threads=1 ranks_sharing=1 precision=fp32 repeats=15 warmup=3
//   layer,batch,forward_s,backward_s,forward_cpu_s,backward_cpu_s
//   conv1,128,0.0021,0.0019,0.0021,0.0019
//   @batch,128,0.0004,0,0.0004,0
//
// Meta written by `resist profile` also holds step_wall_cv (the spread of K ranks' times of the same
// step, --ranks K > 1) and speed_probe_cpu_s (a fixed benchmark at its start and end, "start;end"), which
// `resist validate` reads.
//
// Layer rows use core's layer names. Rows whose name starts with '@' are costs outside the layers (the
// table below says what each is per, and which column carries it). Times are medians of interleaved
// repetitions, wall seconds; the *_cpu_s columns are CPU seconds of the process over the same spans
// (all threads), which tell how much of a core the measurement had. A profile without metadata and
// with the legacy header `layer,batch,forward_s,backward_s` is a partial profile: it replaces the
// roofline of the layers it lists and nothing else.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/model.hpp"

namespace resist {

/// Costs outside the layers, by their row names. Per step unless said; batch-scaled unless said.
namespace profile_cost {
inline constexpr const char* batch = "@batch";                   // load + augment + copy one batch
inline constexpr const char* loss = "@loss";                     // cross-entropy forward / backward
inline constexpr const char* autograd = "@autograd";             // whole-model step minus the layers
                                                                 // (graph, glue, caches; may be < 0);
                                                                 // scales with the share of layer
                                                                 // time held
inline constexpr const char* zero_grad = "@zero_grad";           // per step, whole model, by params
inline constexpr const char* optimizer_step = "@optimizer_step"; // per step, whole model, by params
inline constexpr const char* optimizer_create = "@optimizer_create"; // per round, whole model, by params
inline constexpr const char* eval_image = "@eval_image";         // per test image (batch 100), forward
inline constexpr const char* startup = "@startup";               // per run: data + network (not scaled)
inline constexpr const char* first_step = "@first_step";         // per run: a fresh process's first step
                                                                 // less a steady one (pages, allocator)
const std::vector<std::string>& names();
} // namespace profile_cost

struct ProfileEntry {
  int batch = 1;
  double forward_s = 0;
  double backward_s = 0;
  double forward_cpu_s = 0;
  double backward_cpu_s = 0;
};

struct Profile {
  std::map<std::string, std::string> meta; // `# key=value` lines
  std::map<std::string, ProfileEntry> layers; // core layer names
  std::map<std::string, ProfileEntry> costs;  // '@' rows
  std::vector<std::string> order;             // row names as written

  bool complete() const { return !meta.empty(); } // written by `resist profile`: every layer and cost
  /// A metadata value, or `fallback`.
  std::string get(const std::string& key, const std::string& fallback = "") const;
  int threads() const;       // metadata threads (1 when absent)
  int ranks_sharing() const; // metadata ranks_sharing (1 when absent)
  /// Metadata step_wall_cv (the spread of K ranks' times of the same step, in 0..10); -1 when absent.
  /// Throws InputError naming `origin` when it is not a number in range.
  double step_wall_cv(const std::string& origin) const;
  /// A cost row's entry scaled to `batch` (batch-scaled costs), or zero when absent.
  ProfileEntry cost(const std::string& name, int batch) const;

  /// The profile with its times taken from the CPU columns ("cpu"), the wall columns ("wall"), or by
  /// "auto": CPU seconds when it was measured with one thread (then they are the work itself, whatever
  /// else ran on the machine; wall seconds also hold the time other load took), wall seconds otherwise
  /// (CPU seconds of several threads overstate their span). Throws InputError for another basis.
  Profile with_basis(const std::string& basis) const;
  /// "cpu" or "wall": what `with_basis(basis)` takes.
  std::string resolve_basis(const std::string& basis) const;

  /// Throws InputError naming the first mismatch: the model name or shape in the metadata, a layer
  /// the model lacks, or (complete profiles) a layer of the model the profile lacks.
  void check_against(const Model& model) const;

  static Profile parse(const std::string& text, const std::string& origin); // throws InputError
  static Profile read(const std::string& path);                             // throws InputError
  std::string to_csv() const;
};

} // namespace resist
