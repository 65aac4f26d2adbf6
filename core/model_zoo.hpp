// The networks resist knows by name. Every subcommand builds them through make_model().
#pragma once
#include <string>
#include <vector>

#include "core/model.hpp"

namespace resist {

struct ModelInfo {
  std::string name;
  std::string description;
};

/// All model names with a one-line description, in a stable order.
const std::vector<ModelInfo>& model_catalog();

/// Builds the named model; options override its input channels, image size and classes.
/// Throws InputError naming the model when it is unknown or the options do not fit it.
Model make_model(const std::string& name, const ModelOptions& options = {});

/// A fully connected net (linear + BN + ReLU per hidden layer, then the output layer) with `hidden`
/// neurons per hidden layer; `base` gives the name, input shape and classes. The zoo's MLPs and IST's
/// sub-networks (core/ist_partition.hpp) are built by it.
Model make_mlp(Model base, const std::vector<int>& hidden);

} // namespace resist
