#include "cli/config_file.hpp"

#include <fmt/format.h>

#include <iterator>
#include <set>
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

/// The config file's name for messages (CLI11 hands over only its stream).
std::string config_name(const CLI::App* top) {
  const CLI::Option* opt = top->get_option_no_throw("--config");
  return opt && opt->results().size() == 1 ? opt->results().front() : std::string("config file");
}

/// Whether `key` names an integer option of the chosen subcommand: a float there would be cut to an
/// integer by the text round trip ("4.0" -> "4"), so it is refused instead.
bool integer_option(const CLI::App* top, const std::string& key) {
  const auto chosen = top->get_subcommands();
  const CLI::App* app = chosen.empty() ? top : chosen.front();
  const CLI::Option* opt = app->get_option_no_throw("--" + key);
  if (!opt || opt->get_type_size() == 0) return false;
  const std::string type = opt->get_type_name();
  return type == "INT" || type == "UINT";
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
    std::set<std::string> seen; // a parsed object keeps the last of two equal keys: refused instead
    const auto no_duplicates = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
      if (depth == 1 && event == nlohmann::json::parse_event_t::key &&
          !seen.insert(option_key(parsed.get<std::string>())).second)
        throw CLI::ConfigError(fmt::format("{}: key '{}' given twice", config_name(top_), parsed.get<std::string>()));
      return true;
    };
    try {
      j = nlohmann::json::parse(text, no_duplicates);
    } catch (const nlohmann::json::exception& e) {
      throw CLI::ConfigError(fmt::format("malformed JSON config: {}", e.what()));
    }
    for (const auto& [key, value] : j.items()) {
      CLI::ConfigItem item;
      item.name = option_key(key);
      const bool integer = integer_option(top_, item.name);
      for (const auto& v : value.is_array() ? value : nlohmann::json::array({value})) {
        if (integer && v.is_number_float())
          throw CLI::ConfigError(fmt::format("{}: key '{}' = {}: an integer expected", config_name(top_), key, v.dump()));
        item.inputs.push_back(json_scalar(v, key));
      }
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
  std::set<std::string> seen; // "min-depth" and "min_depth" name one option
  for (const auto& [key, node] : table) {
    CLI::ConfigItem item;
    item.name = option_key(std::string(key.str()));
    if (!seen.insert(item.name).second)
      throw CLI::ConfigError(fmt::format("{}:{}: key '{}' given twice", config_name(top_), key.source().begin.line,
                                         key.str()));
    const bool integer = integer_option(top_, item.name);
    const std::string key_text(key.str()); // a structured binding cannot be captured (C++17, clang)
    const auto scalar = [&](const toml::node& v) {
      if (integer && v.is_floating_point()) {
        std::ostringstream shown; // as written: 4.0, not fmt's 4
        shown << *v.as_floating_point();
        throw CLI::ConfigError(fmt::format("{}:{}: key '{}' = {}: an integer expected", config_name(top_),
                                           v.source().begin.line, key_text, shown.str()));
      }
      return toml_scalar(v, item.name);
    };
    if (const toml::array* arr = node.as_array())
      for (const auto& v : *arr) item.inputs.push_back(scalar(v));
    else if (node.is_table())
      throw CLI::ConfigError(fmt::format("config key '{}': tables are not supported, use flat keys", item.name));
    else
      item.inputs.push_back(scalar(node));
    items.push_back(std::move(item));
  }
  return items;
}

} // namespace resist::cli
