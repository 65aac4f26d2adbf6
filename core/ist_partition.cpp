#include "core/ist_partition.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "core/rng.hpp"

namespace resist {

void check_ist_shape(const Model& model, int workers) {
  if (!model.is_mlp())
    throw InputError(fmt::format("protocol ist partitions hidden neurons of fully connected nets; model {} is not "
                                 "one (try mlp_speech_2l, mlp_speech_3l or mlp_fmnist)",
                                 model.name));
  if (workers < 1) throw InputError(fmt::format("--workers {}: need at least 1 worker", workers));
  for (std::size_t k = 1; k + 1 < model.mlp_dims.size(); ++k)
    if (model.mlp_dims[k] < workers)
      throw InputError(fmt::format("--workers {} exceeds the {} neurons of hidden layer {} of {}", workers,
                                   model.mlp_dims[k], k, model.name));
}

IstPartition sample_ist_partition(const Model& model, int workers, Rng& rng) {
  check_ist_shape(model, workers);
  IstPartition out;
  for (std::size_t k = 1; k + 1 < model.mlp_dims.size(); ++k) {
    const int d = model.mlp_dims[k];
    std::vector<int> perm = rng.permutation(d);
    std::vector<std::vector<int>> chunks(static_cast<std::size_t>(workers));
    std::size_t start = 0;
    for (int w = 0; w < workers; ++w) {
      const std::size_t size = static_cast<std::size_t>(d / workers + (w < d % workers ? 1 : 0));
      chunks[static_cast<std::size_t>(w)].assign(perm.begin() + static_cast<long>(start),
                                                 perm.begin() + static_cast<long>(start + size));
      std::sort(chunks[static_cast<std::size_t>(w)].begin(), chunks[static_cast<std::size_t>(w)].end());
      start += size;
    }
    out.neurons.push_back(std::move(chunks));
  }
  return out;
}

IstPartition ist_partition_for_round(const Model& model, int workers, std::uint64_t seed, int round) {
  Rng rng(derive_seed(seed, Stream::ist, static_cast<std::uint64_t>(round)));
  return sample_ist_partition(model, workers, rng);
}

std::int64_t ist_worker_params(const Model& model, const IstPartition& partition, int worker) {
  const auto& dims = model.mlp_dims;
  const std::size_t layers = dims.size() - 1; // weight matrices
  const auto held = [&](std::size_t k) -> std::int64_t { // neurons of activation k this worker holds
    if (k == 0 || k == layers) return dims[k];
    return static_cast<std::int64_t>(partition.neurons[k - 1][static_cast<std::size_t>(worker)].size());
  };
  std::int64_t n = 0;
  for (std::size_t k = 1; k <= layers; ++k) {
    n += held(k) * held(k - 1);           // weight (d_k, d_{k-1}) slice
    if (k < layers) n += 3 * held(k);     // bias + BN gamma, beta of its hidden neurons
  }
  return n;
}

std::int64_t ist_shared_params(const Model& model) { return model.mlp_dims.back(); }

Model ist_sub_model(const Model& model, const IstPartition& partition, int worker) {
  if (worker < 0 || worker >= partition.workers())
    throw Error(fmt::format("ist_sub_model: worker {} of {}", worker, partition.workers()));
  std::vector<int> hidden;
  for (const auto& layer : partition.neurons) hidden.push_back(static_cast<int>(layer[static_cast<std::size_t>(worker)].size()));
  Model sub = make_mlp(model, hidden);
  sub.description = fmt::format("IST sub-network of worker {} of {}", worker, model.name);
  return sub;
}

} // namespace resist
