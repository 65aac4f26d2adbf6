#include "sim/sweep_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "core/input_file.hpp"

namespace resist::sim {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::string& s = fields[i];
    if (i) out += ',';
    if (s.find_first_of(",\"\n") == std::string::npos) {
      out += s;
      continue;
    }
    out += '"';
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    out += '"';
  }
  return out;
}

SweepRows read_sweep_csv(const std::string& path, const std::vector<std::string>& columns) {
  SweepRows r;
  r.columns = columns;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return r; // not written yet
  const std::string text = read_input_file(path, "sweep file"); // a FIFO would block the read forever
  std::size_t pos = 0;
  bool header = true;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    if (nl == std::string::npos) break; // cut short: not a finished row
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    auto fields = split_csv_line(line);
    if (header) {
      if (fields != columns)
        throw InputError(fmt::format("{}: not a sweep file of these columns (header '{}'); remove it or name "
                                     "another output",
                                     path, line.substr(0, 80)));
      header = false;
      continue;
    }
    if (fields.size() != columns.size())
      throw InputError(fmt::format("{}: a row with {} fields, expected {}: '{}'", path, fields.size(), columns.size(),
                                   line.substr(0, 80)));
    r.rows.push_back(std::move(fields));
  }
  return r;
}

SweepJournal::SweepJournal(std::string path, const std::vector<std::string>& columns) : path_(std::move(path)) {
  read_sweep_csv(path_, columns); // refuses a file of other columns before anything is written
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw InputError(fmt::format("{}: cannot write the sweep journal: {}", path_, std::strerror(errno)));
  const off_t size = ::lseek(fd_, 0, SEEK_END);
  if (size == 0) {
    append(columns);
    return;
  }
  // Cut a last line that a crash left without its newline, so the next append starts a line of its own.
  const std::string text = read_input_file(path_, "sweep journal");
  if (!text.empty() && text.back() != '\n') {
    const auto nl = text.rfind('\n');
    if (::ftruncate(fd_, nl == std::string::npos ? 0 : static_cast<off_t>(nl + 1)) != 0)
      throw Error(fmt::format("{}: cannot cut its unfinished last line: {}", path_, std::strerror(errno)));
    if (nl == std::string::npos) append(columns);
  }
}

SweepJournal::~SweepJournal() {
  if (fd_ >= 0) ::close(fd_);
}

void SweepJournal::append(const std::vector<std::string>& fields) {
  const std::string line = csv_line(fields) + "\n";
  const ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size()))
    throw Error(fmt::format("{}: cannot append a finished point: {}", path_, std::strerror(errno)));
}

} // namespace resist::sim
