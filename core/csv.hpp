// One reader for the CSV files the toolkit takes as input (accuracy curves, nccl-tests-like tables): a header
// row of column names, then rows of as many fields; '#' lines and blank lines are skipped. No quoting: the
// toolkit's files have none, and a field with a comma is refused as a row of the wrong width.
#pragma once
#include <string>
#include <vector>

namespace resist {

class CsvTable {
public:
  /// Parses `text`; `origin` names the file in errors (with the line). Throws InputError for a missing
  /// header, a duplicate column or a row whose width differs from the header's.
  static CsvTable parse(const std::string& text, const std::string& origin);
  /// Reads a file through core/input_file.
  static CsvTable read(const std::string& path);

  bool has(const std::string& column) const;
  std::size_t rows() const { return rows_.size(); }
  const std::string& text(std::size_t row, const std::string& column) const;
  /// The field through core/number: a finite number in [min, max], else InputError naming file, line, column.
  double number(std::size_t row, const std::string& column, double min = -1e300, double max = 1e300) const;
  const std::string& origin() const { return origin_; }
  /// The file line of row `row` (for messages).
  int line(std::size_t row) const { return lines_.at(row); }

private:
  std::size_t index(const std::string& column) const;
  std::string origin_;
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<int> lines_; // the file line of each row
};

} // namespace resist
