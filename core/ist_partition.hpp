// IST's neuron-wise partition of a fully connected net (Yuan et al., BinhangYuan/IST_Release):
// each round the hidden neurons of every hidden layer are shuffled and cut into S disjoint chunks
// (leftovers one each to the first workers). Worker w holds, for layer k with weight (d_k, d_{k-1}):
// the rows of its layer-k neurons (all rows for the output layer) times the columns of its layer-(k-1)
// neurons (all columns for the input layer), plus the bias and BN entries of its neurons.
// Only the output layer's bias is shared by everyone; partitions are disjoint, so nothing is averaged
// but that bias.
#pragma once
#include <cstdint>
#include <vector>

#include "core/model.hpp"

namespace resist {

class Rng;

struct IstPartition {
  // neurons[h][w]: ascending neuron indices of hidden layer h (0-based: mlp_dims[h + 1]) held by worker w
  std::vector<std::vector<std::vector<int>>> neurons;

  int workers() const { return neurons.empty() ? 0 : static_cast<int>(neurons.front().size()); }
};

/// Throws InputError unless the model is an MLP whose every hidden layer has at least S neurons.
void check_ist_shape(const Model& model, int workers);

IstPartition sample_ist_partition(const Model& model, int workers, Rng& rng);
IstPartition ist_partition_for_round(const Model& model, int workers, std::uint64_t seed, int round);

/// Parameters in worker w's slice (everything it trains except the shared output bias).
std::int64_t ist_worker_params(const Model& model, const IstPartition& partition, int worker);
/// Parameters every worker holds and averages: the output layer's bias.
std::int64_t ist_shared_params(const Model& model);

/// Worker w's sub-network as a model of its own: the same layers with its hidden neurons only
/// (mlp_dims = d0, |neurons[0][w]|, ..., d_L). What the trainer builds and the simulator costs; its
/// parameters = ist_worker_params + ist_shared_params.
Model ist_sub_model(const Model& model, const IstPartition& partition, int worker);

} // namespace resist
