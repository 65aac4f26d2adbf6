// The files of a run directory that rank 0 writes (atomically, after every flush):
//   timeline.csv  core's timeline columns, per round and rank: compute / communication / overhead events
//   rounds.csv    per round and rank: loss, wall and CPU seconds per phase, payload bytes measured and core's
//                 prediction, bytes handed to c10d
//   eval.csv      per evaluation: test accuracy and loss
// and the console progress bar.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/timeline.hpp"

namespace resist::exec {

struct RoundRow {
  int round = 0;
  int rank = 0;
  int steps = 0;
  double loss = 0;             // mean training loss of the round's local steps
  double compute_s = 0;
  double communication_s = 0;
  double overhead_s = 0;
  std::int64_t bytes_sent = 0; // payload measured (core's rule)
  std::int64_t bytes_received = 0;
  std::int64_t predicted_sent = 0; // core: payload_bytes(round_comm_plan(schedule, model, round))
  std::int64_t predicted_received = 0;
  std::int64_t c10d_out_bytes = 0; // tensor bytes handed to c10d calls (what Gloo / NCCL then moves)
  std::int64_t c10d_in_bytes = 0;
  // CPU seconds of the rank's process (all threads) over the same spans: how much of a core it had.
  // Data parallel: the steps' all-reduces are inside compute_cpu_s (their CPU is not split out).
  double compute_cpu_s = 0;
  double communication_cpu_s = 0;
  double overhead_cpu_s = 0;
};

struct EvalRow {
  int round = 0;
  double accuracy = 0; // fraction
  double loss = 0;
  std::int64_t images = 0;       // test images evaluated
  double eval_s = 0;             // this evaluation's seconds
  // When it was taken (0 in run directories written before these columns): wall seconds since the training
  // loop started (evaluations and checkpoints before it included), the rounds' own seconds alone (training
  // and synchronisation, no evaluation: what the simulator predicts), and training images seen by all workers.
  double elapsed_s = 0;
  double train_s = 0;
  std::int64_t train_images = 0;
};

std::string rounds_to_csv(const std::vector<RoundRow>& rows, bool header = true);
std::vector<RoundRow> rounds_from_csv(const std::string& text); // header optional
std::string evals_to_csv(const std::vector<EvalRow>& rows);
std::vector<EvalRow> evals_from_csv(const std::string& text);

/// Rank 0's copy of the run's rows; on resume it keeps what an earlier process wrote up to the
/// checkpoint's round and continues the clock from there.
class RunFiles {
public:
  /// Reads existing files when `keep_through_round` >= 0 (resume), dropping rows of later rounds.
  RunFiles(std::string dir, int keep_through_round);
  void add(const std::vector<TimelineEvent>& events, const std::vector<RoundRow>& rounds);
  void add_eval(const EvalRow& row);
  void flush() const;
  /// Seconds already on the clock from earlier processes (0 for a fresh run).
  double time_offset_s() const { return offset_s_; }
  const std::vector<RoundRow>& rounds() const { return rounds_; }
  const std::vector<EvalRow>& evals() const { return evals_; }

private:
  std::string dir_;
  double offset_s_ = 0;
  std::vector<TimelineEvent> events_;
  std::vector<RoundRow> rounds_;
  std::vector<EvalRow> evals_;
};

} // namespace resist::exec
