// The sweep's files: a resumable journal (one CSV row per finished point, appended as a whole line the
// moment the point ends, so an interrupted sweep loses only the points that were running) and the
// merge of several sweep outputs (slices of one grid run as separate jobs, e.g. a Slurm job array).
#pragma once
#include <string>
#include <vector>

namespace resist::sim {

/// The fields of one CSV line (commas inside double quotes kept, "" unescaped).
std::vector<std::string> split_csv_line(const std::string& line);

struct SweepRows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows; // each as many fields as columns
};

/// Reads a sweep CSV. A missing file reads as no rows; a FIFO, device or directory is refused
/// (core/input_file.hpp). A last line without its newline (a write cut short) is left out. Throws InputError naming the file when its header is not `columns` or a row has
/// the wrong number of fields.
SweepRows read_sweep_csv(const std::string& path, const std::vector<std::string>& columns);

/// Appends finished rows to a journal file. Opening creates it with its header, or keeps the whole lines
/// of an existing one (a line cut short by a crash is cut off); each append is one write() of one whole
/// line to a file opened with O_APPEND.
class SweepJournal {
public:
  SweepJournal(std::string path, const std::vector<std::string>& columns);
  ~SweepJournal();
  SweepJournal(const SweepJournal&) = delete;
  SweepJournal& operator=(const SweepJournal&) = delete;
  void append(const std::vector<std::string>& fields);

private:
  std::string path_;
  int fd_ = -1;
};

/// One CSV line (no newline) of `fields`, quoted where needed.
std::string csv_line(const std::vector<std::string>& fields);

} // namespace resist::sim
