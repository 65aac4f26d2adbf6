// Platforms described for people: the built-in ones with a line each, and one platform resolved (every
// parameter, its value and where it comes from), for `resist platforms`.
#pragma once
#include <string>
#include <vector>

#include "sim/platform.hpp"

namespace resist::sim {

struct PlatformSummary {
  std::string name;
  std::string kind;        // parametric (TOML) or xml
  std::string description; // the file's first comment line
};

/// Every built-in platform with its description.
std::vector<PlatformSummary> builtin_platform_summaries();

struct PlatformField {
  std::string key;
  std::string value;
  std::string source;  // "file" (the description sets it), "default", or "xml"
  std::string meaning; // what it is, with its unit
};

/// Every parameter of a resolved platform: a parametric one's keys (set or default) and the named fixed
/// costs (sim/platform.hpp PlatformParams); an XML one's fixed costs as its zone's properties set them.
std::vector<PlatformField> describe_platform(const PlatformDesc& desc);

/// The keys of a parametric description with their meaning, for --help and platforms/README.md.
const std::vector<std::pair<std::string, std::string>>& parametric_keys();

} // namespace resist::sim
