#include "exec/checkpoint.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <regex>

#include <limits>
#include <xxhash.h>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/number.hpp"
#include "exec/run_file_write.hpp"

namespace resist::exec {

namespace fs = std::filesystem;

std::string checkpoint_path(const std::string& dir, int rank, int round) {
  return (fs::path(dir) / fmt::format("checkpoint.r{}.rank{}.pt", round, rank)).string();
}

namespace {

// Archive keys may not contain '.', so tensors are stored as p0, p1, ... with their names listed.
std::string param_names(const PreActNetImpl& net) {
  std::string names;
  for (const auto& p : net.named_parameters(true)) names += p.key() + "\n";
  return names;
}

// XXH3-64 over the round, the schedule hash and every parameter's bytes in order: torch's archive
// (a zip without CRC checks on read) loads flipped bytes silently, so the checkpoint carries its own.
std::string params_checksum(int round, const std::string& schedule_hash, const std::vector<torch::Tensor>& params) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  const std::int64_t r = round;
  XXH3_64bits_update(state, &r, sizeof r);
  XXH3_64bits_update(state, schedule_hash.data(), schedule_hash.size());
  for (const auto& p : params) {
    const torch::Tensor t = p.contiguous();
    XXH3_64bits_update(state, t.data_ptr(), static_cast<std::size_t>(t.numel()) * t.element_size());
  }
  const std::uint64_t h = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return fmt::format("xxh3-64:{:016x}", h);
}

/// The archive goes to memory first and then to the file by checked writes, fsync and a rename
/// (write_run_file): LibTorch's save_to(path) threw from a destructor when the disk filled, which aborted
/// the rank and left its temporary behind. A failure removes the temporary; the previous file stays.
void write_atomically(torch::serialize::OutputArchive& archive, const std::string& path) {
  std::string bytes;
  archive.save_to([&bytes](const void* data, std::size_t n) {
    bytes.append(static_cast<const char*>(data), n);
    return n;
  });
  write_run_file(path, bytes);
}

} // namespace

void save_params(const std::string& path, int round, const std::string& schedule_hash, const PreActNetImpl& net) {
  torch::serialize::OutputArchive archive;
  archive.write("round", torch::tensor(static_cast<std::int64_t>(round)));
  archive.write("schedule_hash", c10::IValue(schedule_hash));
  archive.write("names", c10::IValue(param_names(net)));
  std::vector<torch::Tensor> params;
  for (const auto& p : net.parameters(true)) params.push_back(p.detach().to(torch::kCPU).contiguous());
  for (std::size_t i = 0; i < params.size(); ++i) archive.write(fmt::format("p{}", i), params[i]);
  archive.write("checksum", c10::IValue(params_checksum(round, schedule_hash, params)));
  write_atomically(archive, path);
}

void save_checkpoint(const std::string& dir, int rank, int round, const std::string& schedule_hash,
                     const PreActNetImpl& net) {
  try {
    save_params(checkpoint_path(dir, rank, round), round, schedule_hash, net);
  } catch (const InputError&) {
    throw;
  } catch (const Error& e) { // a full disk, most likely: say what is left to resume from
    std::vector<int> before = checkpoint_rounds(dir, rank);
    before.erase(std::remove_if(before.begin(), before.end(), [round](int r) { return r >= round; }), before.end());
    throw Error(fmt::format("rank {}: {}; {}", rank, e.what(),
                            before.empty() ? std::string("no earlier checkpoint to resume from")
                                           : fmt::format("the checkpoint of round {} is intact: free space, then "
                                                         "--resume", before.back())));
  }
}

void remove_stale_temporaries(const std::string& dir, int rank) {
  std::string names = fmt::format(R"(checkpoint\.r\d+\.rank{}\.pt)", rank);
  if (rank == 0) // rank 0 writes the run's own files too
    names += R"(|model\.pt|config\.json|schedule\.json|summary\.json|timeline\.csv|rounds\.csv|eval\.csv)";
  remove_temporaries_matching(dir, names);
}

std::vector<int> checkpoint_rounds(const std::string& dir, int rank) {
  std::vector<int> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  const std::regex pattern(fmt::format(R"(checkpoint\.r(\d+)\.rank{}\.pt)", rank));
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (!std::regex_match(name, m, pattern)) continue;
    try { // a stray name (checkpoint.r99999999999.rank0.pt) is not ours: ignored
      out.push_back(static_cast<int>(parse_int(m[1].str(), "checkpoint round", 0, std::numeric_limits<int>::max())));
    } catch (const InputError&) {
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void load_checkpoint(const std::string& dir, int rank, int round, const std::string& schedule_hash, PreActNetImpl& net) {
  const std::string path = checkpoint_path(dir, rank, round);
  std::vector<torch::Tensor> loaded;
  try {
    check_input_file(path, "checkpoint");
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    c10::IValue hash;
    archive.read("schedule_hash", hash);
    if (!hash.isString() || hash.toStringRef() != schedule_hash)
      throw InputError(fmt::format("checkpoint {} belongs to schedule {}, this run is {}: resume with the same options",
                                   path, hash.isString() ? hash.toStringRef() : "?", schedule_hash));
    c10::IValue names;
    archive.read("names", names);
    if (!names.isString() || names.toStringRef() != param_names(net))
      throw InputError(fmt::format("checkpoint {} holds another model's parameters", path));
    int i = 0;
    for (auto& p : net.parameters(true)) {
      torch::Tensor t;
      if (!archive.try_read(fmt::format("p{}", i++), t) || !t.sizes().equals(p.sizes()) || t.dtype() != p.dtype())
        throw InputError(fmt::format("checkpoint {} does not fit this model", path));
      loaded.push_back(t.contiguous());
    }
    c10::IValue sum;
    if (!archive.try_read("checksum", sum) || !sum.isString() ||
        sum.toStringRef() != params_checksum(round, schedule_hash, loaded))
      throw InputError(fmt::format("checkpoint {} is corrupted (its checksum does not match its content)", path));
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    const std::string why = e.what();
    throw InputError(fmt::format("cannot read checkpoint {}: {}", path, why.substr(0, std::min(why.find('\n'), std::size_t{200}))));
  }
  torch::NoGradGuard no_grad;
  std::size_t i = 0;
  for (auto& p : net.parameters(true)) p.detach().copy_(loaded[i++]);
}

void remove_checkpoints_before(const std::string& dir, int rank, int round) {
  for (int r : checkpoint_rounds(dir, rank))
    if (r < round) {
      std::error_code ignored;
      fs::remove(checkpoint_path(dir, rank, r), ignored);
    }
}

} // namespace resist::exec
