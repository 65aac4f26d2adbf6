#include "cli/config_file.hpp"

#include <fmt/format.h>

#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <toml++/toml.h>

namespace resist::cli {
namespace {

std::string option_key(std::string key) {
  for (char& c : key)
    if (c == '_') c = '-';
  return key;
}

std::string toml_scalar(const toml::node& n, const std::string& key) {
  if (auto v = n.value<std::string>(); v && n.is_string()) return *v;
  if (n.is_integer()) return std::to_string(*n.value<std::int64_t>());
  if (n.is_floating_point()) return fmt::format("{}", *n.value<double>());
  if (n.is_boolean()) return *n.value<bool>() ? "true" : "false";
  throw CLI::ConfigError(fmt::format("config key '{}': unsupported value type", key));
}

std::string json_scalar(const nlohmann::json& v, const std::string& key) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  throw CLI::ConfigError(fmt::format("config key '{}': unsupported value type", key));
}

} // namespace

std::vector<CLI::ConfigItem> StrictConfig::from_config(std::istream& input) const {
  const std::string text{std::istreambuf_iterator<char>(input), std::istreambuf_iterator<char>()};
  std::vector<CLI::ConfigItem> items = parse(text);
  const auto chosen = top_->get_subcommands();
  if (!chosen.empty())
    for (auto& item : items) item.parents = {chosen.front()->get_name()};
  return items;
}

std::vector<CLI::ConfigItem> StrictConfig::parse(const std::string& text) const {
  std::vector<CLI::ConfigItem> items;
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      throw CLI::ConfigError(fmt::format("malformed JSON config: {}", e.what()));
    }
    for (const auto& [key, value] : j.items()) {
      CLI::ConfigItem item;
      item.name = option_key(key);
      if (value.is_array())
        for (const auto& v : value) item.inputs.push_back(json_scalar(v, key));
      else
        item.inputs.push_back(json_scalar(value, key));
      items.push_back(std::move(item));
    }
    return items;
  }
  toml::table table;
  try {
    table = toml::parse(text);
  } catch (const toml::parse_error& e) {
    throw CLI::ConfigError(fmt::format("malformed TOML config at line {}, column {}: {}", e.source().begin.line,
                                       e.source().begin.column, e.description()));
  }
  for (const auto& [key, node] : table) {
    CLI::ConfigItem item;
    item.name = option_key(std::string(key.str()));
    if (const toml::array* arr = node.as_array())
      for (const auto& v : *arr) item.inputs.push_back(toml_scalar(v, item.name));
    else if (node.is_table())
      throw CLI::ConfigError(fmt::format("config key '{}': tables are not supported, use flat keys", item.name));
    else
      item.inputs.push_back(toml_scalar(node, item.name));
    items.push_back(std::move(item));
  }
  return items;
}

} // namespace resist::cli
