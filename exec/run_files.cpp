#include "exec/run_files.hpp"

#include "core/csv.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <tuple>
#include <iostream>
#include <sstream>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/output.hpp"
#include "exec/run_file_write.hpp"

namespace resist::exec {

namespace {

const char* kRoundsHeader = "round,rank,steps,loss,compute_s,communication_s,overhead_s,bytes_sent,bytes_received,"
                            "predicted_sent,predicted_received,c10d_out_bytes,c10d_in_bytes,compute_cpu_s,communication_cpu_s,"
                            "overhead_cpu_s";
const char* kEvalHeader = "round,accuracy,loss,images,eval_s,elapsed_s,train_s,train_images";

std::vector<std::vector<std::string>> csv_rows(const std::string& text, const char* header, std::size_t fields) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line == header) continue;
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) f.push_back(cell);
    if (f.size() != fields) throw InputError(fmt::format("malformed row '{}' (expected {} fields)", line, fields));
    out.push_back(std::move(f));
  }
  return out;
}

std::string read_text(const std::string& path) {
  if (!std::filesystem::exists(path)) return ""; // a run that has not written it yet
  return read_input_file(path, "run file");      // a FIFO would block a resume forever
}

} // namespace

std::string rounds_to_csv(const std::vector<RoundRow>& rows, bool header) {
  std::string out = header ? std::string(kRoundsHeader) + "\n" : "";
  for (const auto& r : rows)
    out += fmt::format("{},{},{},{:.6f},{:.6f},{:.6f},{:.6f},{},{},{},{},{},{},{:.6f},{:.6f},{:.6f}\n", r.round, r.rank,
                       r.steps, r.loss, r.compute_s, r.communication_s, r.overhead_s, r.bytes_sent, r.bytes_received,
                       r.predicted_sent, r.predicted_received, r.c10d_out_bytes, r.c10d_in_bytes, r.compute_cpu_s,
                       r.communication_cpu_s, r.overhead_cpu_s);
  return out;
}

std::vector<RoundRow> rounds_from_csv(const std::string& text) {
  std::vector<RoundRow> out;
  for (const auto& f : csv_rows(text, kRoundsHeader, 16)) {
    RoundRow r;
    r.round = std::stoi(f[0]);
    r.rank = std::stoi(f[1]);
    r.steps = std::stoi(f[2]);
    r.loss = std::stod(f[3]);
    r.compute_s = std::stod(f[4]);
    r.communication_s = std::stod(f[5]);
    r.overhead_s = std::stod(f[6]);
    r.bytes_sent = std::stoll(f[7]);
    r.bytes_received = std::stoll(f[8]);
    r.predicted_sent = std::stoll(f[9]);
    r.predicted_received = std::stoll(f[10]);
    r.c10d_out_bytes = std::stoll(f[11]);
    r.c10d_in_bytes = std::stoll(f[12]);
    r.compute_cpu_s = std::stod(f[13]);
    r.communication_cpu_s = std::stod(f[14]);
    r.overhead_cpu_s = std::stod(f[15]);
    out.push_back(r);
  }
  return out;
}

std::string evals_to_csv(const std::vector<EvalRow>& rows) {
  std::string out = std::string(kEvalHeader) + "\n";
  for (const auto& r : rows)
    out += fmt::format("{},{:.6f},{:.6f},{},{:.3f},{:.3f},{:.3f},{}\n", r.round, r.accuracy, r.loss, r.images,
                       r.eval_s, r.elapsed_s, r.train_s, r.train_images);
  return out;
}

std::vector<EvalRow> evals_from_csv(const std::string& text) {
  std::vector<EvalRow> out;
  if (text.empty()) return out; // not written yet
  // core's CSV reader, by column name: run directories written before elapsed_s, train_s and train_images
  // read with those at 0.
  const CsvTable t = CsvTable::parse(text, "eval.csv");
  const bool timed = t.has("elapsed_s") && t.has("train_s") && t.has("train_images");
  for (std::size_t i = 0; i < t.rows(); ++i) {
    EvalRow r;
    r.round = static_cast<int>(t.number(i, "round", 0, 1e9));
    r.accuracy = t.number(i, "accuracy", 0, 1);
    r.loss = t.number(i, "loss");
    r.images = static_cast<std::int64_t>(t.number(i, "images", 0, 1e15));
    r.eval_s = t.number(i, "eval_s", 0, 1e9);
    if (timed) {
      r.elapsed_s = t.number(i, "elapsed_s", 0, 1e9);
      r.train_s = t.number(i, "train_s", 0, 1e9);
      r.train_images = static_cast<std::int64_t>(t.number(i, "train_images", 0, 1e18));
    }
    out.push_back(r);
  }
  return out;
}

RunFiles::RunFiles(std::string dir, int keep_through_round) : dir_(std::move(dir)) {
  if (keep_through_round < 0) return;
  const std::string tl = read_text(dir_ + "/timeline.csv");
  if (!tl.empty())
    for (auto& e : timeline_from_csv(tl))
      if (e.round <= keep_through_round) {
        offset_s_ = std::max(offset_s_, e.end_s);
        events_.push_back(std::move(e));
      }
  for (auto& r : rounds_from_csv(read_text(dir_ + "/rounds.csv")))
    if (r.round <= keep_through_round) rounds_.push_back(r);
  for (auto& r : evals_from_csv(read_text(dir_ + "/eval.csv")))
    if (r.round <= keep_through_round) evals_.push_back(r);
}

void RunFiles::add(const std::vector<TimelineEvent>& events, const std::vector<RoundRow>& rounds) {
  events_.insert(events_.end(), events.begin(), events.end());
  rounds_.insert(rounds_.end(), rounds.begin(), rounds.end());
}

void RunFiles::add_eval(const EvalRow& row) { evals_.push_back(row); }

void RunFiles::flush() const {
  // Ranks arrive in batches; files read best in (round, rank) order.
  std::vector<TimelineEvent> events = events_;
  std::stable_sort(events.begin(), events.end(), [](const TimelineEvent& a, const TimelineEvent& b) {
    return std::tie(a.round, a.worker) < std::tie(b.round, b.worker);
  });
  std::vector<RoundRow> rows = rounds_;
  std::stable_sort(rows.begin(), rows.end(),
                   [](const RoundRow& a, const RoundRow& b) { return std::tie(a.round, a.rank) < std::tie(b.round, b.rank); });
  // Not write_timeline: the launcher may stop this rank meanwhile, and the temporary must not stay behind.
  write_run_file(dir_ + "/timeline.csv", timeline_to_csv(events));
  write_run_file(dir_ + "/rounds.csv", rounds_to_csv(rows));
  write_run_file(dir_ + "/eval.csv", evals_to_csv(evals_));
}

} // namespace resist::exec
