#include "exec/checkpoint.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <regex>

#include "core/error.hpp"

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

void write_atomically(torch::serialize::OutputArchive& archive, const std::string& path) {
  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  try {
    archive.save_to(tmp);
    fs::rename(tmp, path);
  } catch (const std::exception& e) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw Error(fmt::format("cannot write {}: {}", path, e.what()));
  }
}

} // namespace

void save_params(const std::string& path, int round, const std::string& schedule_hash, const PreActNetImpl& net) {
  torch::serialize::OutputArchive archive;
  archive.write("round", torch::tensor(static_cast<std::int64_t>(round)));
  archive.write("schedule_hash", c10::IValue(schedule_hash));
  archive.write("names", c10::IValue(param_names(net)));
  int i = 0;
  for (const auto& p : net.parameters(true)) archive.write(fmt::format("p{}", i++), p.detach().to(torch::kCPU));
  write_atomically(archive, path);
}

void save_checkpoint(const std::string& dir, int rank, int round, const std::string& schedule_hash,
                     const PreActNetImpl& net) {
  save_params(checkpoint_path(dir, rank, round), round, schedule_hash, net);
}

std::vector<int> checkpoint_rounds(const std::string& dir, int rank) {
  std::vector<int> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  const std::regex pattern(fmt::format(R"(checkpoint\.r(\d+)\.rank{}\.pt)", rank));
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, m, pattern)) out.push_back(std::stoi(m[1]));
  }
  std::sort(out.begin(), out.end());
  return out;
}

void load_checkpoint(const std::string& dir, int rank, int round, const std::string& schedule_hash, PreActNetImpl& net) {
  const std::string path = checkpoint_path(dir, rank, round);
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const std::exception& e) {
    throw InputError(fmt::format("cannot read checkpoint {}: {}", path, std::string(e.what()).substr(0, 200)));
  }
  c10::IValue hash;
  archive.read("schedule_hash", hash);
  if (!hash.isString() || hash.toStringRef() != schedule_hash)
    throw InputError(fmt::format("checkpoint {} belongs to schedule {}, this run is {}: resume with the same options",
                                 path, hash.isString() ? hash.toStringRef() : "?", schedule_hash));
  c10::IValue names;
  archive.read("names", names);
  if (!names.isString() || names.toStringRef() != param_names(net))
    throw InputError(fmt::format("checkpoint {} holds another model's parameters", path));
  torch::NoGradGuard no_grad;
  int i = 0;
  for (auto& p : net.parameters(true)) {
    torch::Tensor t;
    if (!archive.try_read(fmt::format("p{}", i++), t) || !t.sizes().equals(p.sizes()))
      throw InputError(fmt::format("checkpoint {} does not fit this model", path));
    p.detach().copy_(t);
  }
}

void remove_checkpoints_before(const std::string& dir, int rank, int round) {
  for (int r : checkpoint_rounds(dir, rank))
    if (r < round) {
      std::error_code ignored;
      fs::remove(checkpoint_path(dir, rank, r), ignored);
    }
}

} // namespace resist::exec
