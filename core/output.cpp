#include "core/output.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace resist {

Format parse_format(const std::string& name) {
  if (name == "table") return Format::table;
  if (name == "csv") return Format::csv;
  if (name == "json") return Format::json;
  throw InputError(fmt::format("unknown format '{}' (known: table, csv, json)", name));
}

void Table::add_row(std::vector<Cell> row) {
  if (row.size() != columns_.size()) throw Error("Table::add_row: wrong number of cells");
  rows_.push_back(std::move(row));
}

namespace {
std::string cell_text(const Cell& c) {
  if (auto* i = std::get_if<std::int64_t>(&c)) return fmt::format("{}", *i);
  if (auto* d = std::get_if<double>(&c)) return fmt::format("{:.6g}", *d);
  return std::get<std::string>(c);
}
std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}
} // namespace

std::string Table::to_text() const {
  std::vector<std::size_t> width(columns_.size());
  for (std::size_t i = 0; i < columns_.size(); ++i) width[i] = columns_[i].size();
  for (const auto& r : rows_)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], cell_text(r[i]).size());
  std::string out;
  for (std::size_t i = 0; i < columns_.size(); ++i)
    out += fmt::format("{}{:<{}}", i ? "  " : "", columns_[i], width[i]);
  out += "\n";
  for (std::size_t i = 0; i < columns_.size(); ++i) out += fmt::format("{}{}", i ? "  " : "", std::string(width[i], '-'));
  out += "\n";
  for (const auto& r : rows_) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      const bool number = !std::holds_alternative<std::string>(r[i]);
      out += fmt::format(number ? "{}{:>{}}" : "{}{:<{}}", i ? "  " : "", cell_text(r[i]), width[i]);
    }
    out += "\n";
  }
  return out;
}

std::string Table::to_csv() const {
  std::string out;
  for (std::size_t i = 0; i < columns_.size(); ++i) out += (i ? "," : "") + csv_escape(columns_[i]);
  out += "\n";
  for (const auto& r : rows_) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      std::string text = std::holds_alternative<double>(r[i]) ? fmt::format("{}", std::get<double>(r[i]))
                                                                : cell_text(r[i]);
      out += (i ? "," : "") + csv_escape(text);
    }
    out += "\n";
  }
  return out;
}

nlohmann::json Table::to_json() const {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : rows_) {
    nlohmann::json o = nlohmann::json::object();
    for (std::size_t i = 0; i < r.size(); ++i) std::visit([&](const auto& v) { o[columns_[i]] = v; }, r[i]);
    rows.push_back(std::move(o));
  }
  return rows;
}

namespace {

// The file a path finally names: symlinks are followed (even dangling ones, whose target is created),
// so writing to a link updates what it points at instead of replacing the link with a regular file.
std::string final_target(const std::string& path) {
  std::string p = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    std::string buf(4096, '\0');
    const ssize_t n = ::readlink(p.c_str(), buf.data(), buf.size() - 1);
    if (n < 0) return p;
    buf.resize(static_cast<std::size_t>(n));
    if (!buf.empty() && buf[0] == '/') {
      p = buf;
    } else {
      const auto slash = p.rfind('/');
      p = slash == std::string::npos ? buf : p.substr(0, slash + 1) + buf;
    }
  }
  throw InputError(fmt::format("output '{}': too many levels of symbolic links", path));
}

std::string parent_dir(const std::string& p) {
  const auto slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}

} // namespace

std::string check_output_path(const std::string& path) {
  if (path.empty()) throw InputError("output path is empty");
  const std::string target = final_target(path);
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode))
      throw InputError(fmt::format("output '{}' is not a regular file (a directory, FIFO or device): refusing to "
                                   "write it",
                                   path));
  } else if (errno != ENOENT) {
    throw InputError(fmt::format("output '{}': {}", path, std::strerror(errno)));
  }
  const std::string dir = parent_dir(target);
  struct stat dst {};
  if (::stat(dir.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode))
    throw InputError(fmt::format("output '{}': folder '{}' does not exist", path, dir));
  if (::access(dir.c_str(), W_OK) != 0)
    throw InputError(fmt::format("output '{}': folder '{}' is not writable", path, dir));
  return target;
}

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::string target = check_output_path(path);
  std::string tmp = target + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw InputError(fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
  struct stat st {};
  mode_t mode = 0666;
  if (::stat(target.c_str(), &st) == 0) {
    mode = st.st_mode & 07777; // keep the replaced file's permissions
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode &= ~mask;
  }
  ::fchmod(fd, mode);
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error(fmt::format("write to '{}' failed: {}", path, why));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw Error(fmt::format("write to '{}' failed: {}", path, std::strerror(errno)));
  }
  if (std::rename(tmp.c_str(), target.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw Error(fmt::format("cannot move '{}' into place: {}", path, why));
  }
}

} // namespace resist
