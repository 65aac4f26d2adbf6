#include "core/output.hpp"

#include <fmt/format.h>
#include <unistd.h>

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

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::string tmp = fmt::format("{}.tmp.{}", path, static_cast<long>(::getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(fmt::format("cannot write '{}'", path));
    out << content;
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw Error(fmt::format("write to '{}' failed", path));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(fmt::format("cannot rename '{}' into place", path));
  }
}

} // namespace resist
