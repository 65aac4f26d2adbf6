// Elastic runs: when workers are lost, the rounds left are re-planned for the survivors as a new schedule
// segment chained to the one that ran (its hash covers the parent's hash), so the trainer, the simulator and
// `resist validate` all replay the same chain.
#pragma once
#include <string>
#include <vector>

#include "core/schedule.hpp"

namespace resist {

/// The schedule of rounds `from_round`.. (rounds of `parent`, numbered within it) for the workers `survivors`
/// (worker indices of `parent`, ascending, at least one). The run keeps its config but for the worker count:
/// the same steps, learning rates and data order per surviving worker (each keeps its data seed), and
/// sub-networks re-drawn for the survivors from the run's seed and the run's round index, as a schedule made
/// for that many workers would draw them. `parent_hash` is schedule_hash(parent). Throws InputError when the
/// survivors cannot run the protocol (layer-parallel's modules are fixed; a sub-network needs min-depth blocks)
/// or the arguments are out of range.
Schedule make_segment(const Schedule& parent, const std::string& parent_hash, int from_round,
                      const std::vector<int>& survivors);

/// Checks an elastic run's chain as its files hold it (`names[k]` names chain[k] in errors: schedule.json,
/// schedule.1.json, ...): each segment's parent hash is the hash of the one before it, and each segment is
/// make_segment's re-plan of its parent for its own survivors, so a replay of the chain replays what ran.
/// Throws InputError naming both hashes where a link is broken.
void check_segment_chain(const std::vector<Schedule>& chain, const std::vector<std::string>& names);

} // namespace resist
