// Writing a run directory's files (checkpoints, model.pt, the CSVs) so that no temporary outlives a
// failure: the bytes go through core's write_file_atomic (checked writes, fsync, rename; the temporary
// removed on any error, a full disk included), and a SIGTERM / SIGINT / SIGHUP that arrives meanwhile (the
// `--nproc` launcher stops the other ranks when one fails) waits until the temporary is renamed or removed.
#pragma once
#include <string>

namespace resist::exec {

/// write_file_atomic(path, bytes) with termination deferred to its end; a deferred signal is raised again
/// afterwards (default action: the process ends as it would have). Throws Error on I/O failure
/// ("write to '<path>' failed: No space left on device"), InputError for a target that is no regular file.
void write_run_file(const std::string& path, const std::string& bytes);

/// Removes the temporaries (`<name>.tmp.<suffix>`) of `names` that an earlier process left in `dir` when it
/// was killed mid-write; `names` match whole file names (ECMAScript regex). Returns how many it removed.
int remove_temporaries_matching(const std::string& dir, const std::string& names);

} // namespace resist::exec
