// The validation of a schedule read from a file. The hash proves the document is intact, not that it
// is valid: a hand-made or buggy schedule with a correct hash could name blocks outside the model, omit
// workers, hold empty rounds or disagree with its own config, and the simulator and the trainer index
// arrays with those numbers. check_schedule holds every field against the config (validated first) and
// the model it names, so readers can trust what they get.
#pragma once
#include "core/schedule.hpp"

namespace resist {

/// Throws InputError naming the first offending field (round, worker, value).
void check_schedule(const Schedule& schedule);

} // namespace resist
