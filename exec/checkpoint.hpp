// Checkpoints: every rank saves its own parameters after a round to
// <dir>/checkpoint.r<round>.rank<rank>.pt (the archive in memory, then checked writes to a temporary
// name, fsync and rename), so a checkpoint is either whole or absent, and a full disk is an Error (exit 1)
// that leaves the previous checkpoint and no temporary behind. The optimizer needs no state: SGD is re-created every round
// (momentum restarts, as in the reference), and data order and partitions are functions of the
// schedule's seeds, so parameters plus the round number are the whole state of a run.
#pragma once
#include <string>
#include <vector>

#include "exec/net.hpp"

namespace resist::exec {

std::string checkpoint_path(const std::string& dir, int rank, int round);

/// Writes the parameters (with the round and schedule hash) to `path` atomically (model.pt).
void save_params(const std::string& path, int round, const std::string& schedule_hash, const PreActNetImpl& net);

/// Writes this rank's checkpoint after `round` atomically. Throws Error on I/O failure (a full disk),
/// naming this rank's latest earlier checkpoint, which stays intact.
void save_checkpoint(const std::string& dir, int rank, int round, const std::string& schedule_hash,
                     const PreActNetImpl& net);

/// Rounds with a complete checkpoint of `rank` in `dir`, ascending.
std::vector<int> checkpoint_rounds(const std::string& dir, int rank);

/// Loads a checkpoint into `net`. Throws InputError when it belongs to another schedule or another model.
void load_checkpoint(const std::string& dir, int rank, int round, const std::string& schedule_hash, PreActNetImpl& net);

/// Removes the temporaries a killed process left in `dir`: this rank's checkpoints', and on rank 0 those of
/// model.pt and the run files. Called when a run starts or resumes, before anything is written.
void remove_stale_temporaries(const std::string& dir, int rank);

/// Deletes this rank's checkpoints of rounds before `round`.
void remove_checkpoints_before(const std::string& dir, int rank, int round);

} // namespace resist::exec
