// The schedule as a JSON document: {"format", "hash", "config", "model", "rounds"}.
// The hash is XXH3-128 of the canonical (sorted-key, compact) dump of everything but itself, so two
// processes can compare one string to know they hold the same schedule. Same config and seed give a
// byte-identical document.
#pragma once
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/schedule.hpp"

namespace resist {

constexpr const char* kScheduleFormat = "resist-schedule/1";

nlohmann::json schedule_to_json(const Schedule& schedule); // includes "hash"
/// Throws InputError for a malformed document or a hash that does not match the content.
Schedule schedule_from_json(const nlohmann::json& j);

/// The content hash ("xxh3-128:<32 hex digits>") of a schedule.
std::string schedule_hash(const Schedule& schedule);

/// The hash a document's content (everything but its "hash" field) has: what the field must say.
std::string schedule_document_hash(const nlohmann::json& document);

/// The document as text (2-space indented, trailing newline).
std::string schedule_to_string(const Schedule& schedule);
/// Reads and checks a schedule file; throws InputError naming the file on any problem.
Schedule read_schedule(const std::string& path);

} // namespace resist
