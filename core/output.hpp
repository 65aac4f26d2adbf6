// Output helpers shared by every subcommand: table / CSV / JSON rendering and atomic file writes.
#pragma once
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace resist {

enum class Format { table, csv, json };

/// Throws InputError naming the value unless it is table, csv or json.
Format parse_format(const std::string& name);

using Cell = std::variant<std::int64_t, double, std::string>;

/// Rows of typed cells under named columns; rendered for people (aligned), for spreadsheets (CSV),
/// or for scripts (a JSON array of objects keyed by column).
class Table {
public:
  explicit Table(std::vector<std::string> columns) : columns_(std::move(columns)) {}
  void add_row(std::vector<Cell> row);
  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<std::vector<Cell>>& rows() const { return rows_; }
  std::string to_text() const; // aligned, numbers right-aligned
  std::string to_csv() const;
  nlohmann::json to_json() const;

private:
  std::vector<std::string> columns_;
  std::vector<std::vector<Cell>> rows_;
};

/// Writes `content` to `path` through a temporary file in the same folder and a rename, so the
/// path holds either the old file or the whole new one. A symlink is written through (its target is
/// replaced, the link stays); a target that exists but is not a regular file (directory, FIFO, device)
/// is refused with an InputError, as is a missing or unwritable folder. Throws Error on I/O failure.
void write_file_atomic(const std::string& path, const std::string& content);

/// The checks write_file_atomic makes, for commands to run before any work, so a bad second output
/// path does not leave the first one written. Returns the file a write would replace.
std::string check_output_path(const std::string& path);

} // namespace resist
