#include "core/csv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/number.hpp"

namespace resist {
namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) {
    const auto a = field.find_first_not_of(" \t\r"), b = field.find_last_not_of(" \t\r");
    out.push_back(a == std::string::npos ? "" : field.substr(a, b - a + 1));
  }
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

} // namespace

CsvTable CsvTable::parse(const std::string& text, const std::string& origin) {
  CsvTable t;
  t.origin_ = origin;
  std::istringstream in(text);
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    auto fields = split(line);
    if (t.columns_.empty()) {
      for (std::size_t i = 0; i < fields.size(); ++i)
        if (std::count(fields.begin(), fields.end(), fields[i]) > 1 || fields[i].empty())
          throw InputError(fmt::format("{}:{}: header column '{}' empty or repeated", origin, line_no, fields[i]));
      t.columns_ = std::move(fields);
      continue;
    }
    if (fields.size() != t.columns_.size())
      throw InputError(fmt::format("{}:{}: {} fields where the header has {}", origin, line_no, fields.size(),
                                   t.columns_.size()));
    t.rows_.push_back(std::move(fields));
    t.lines_.push_back(line_no);
  }
  if (t.columns_.empty()) throw InputError(fmt::format("{}: no header row", origin));
  return t;
}

CsvTable CsvTable::read(const std::string& path) { return parse(read_input_file(path, "CSV file"), path); }

bool CsvTable::has(const std::string& column) const {
  return std::find(columns_.begin(), columns_.end(), column) != columns_.end();
}

std::size_t CsvTable::index(const std::string& column) const {
  const auto it = std::find(columns_.begin(), columns_.end(), column);
  if (it == columns_.end()) throw InputError(fmt::format("{}: no column '{}'", origin_, column));
  return static_cast<std::size_t>(it - columns_.begin());
}

const std::string& CsvTable::text(std::size_t row, const std::string& column) const {
  return rows_.at(row).at(index(column));
}

double CsvTable::number(std::size_t row, const std::string& column, double min, double max) const {
  return parse_double(text(row, column), fmt::format("{}:{} {}", origin_, lines_.at(row), column), min, max);
}

} // namespace resist
