// A network as core describes it: blocks in forward order (stem, residual blocks by stage, head),
// each a list of layers with their costs. Both the simulator (costs) and the trainer (which builds
// the same layers in LibTorch) read this description.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/layer.hpp"

namespace resist {

enum class BlockType {
  stem,         // first convolution(s); ImageNet stems add BN, ReLU, max-pool
  preact_basic, // BN-ReLU-conv3x3-BN-ReLU-conv3x3 + shortcut (1x1 projection on the pre-activated input)
  basic,        // conv3x3-BN-ReLU-conv3x3-BN + shortcut, ReLU after the add (torchvision BasicBlock)
  bottleneck,   // conv1x1-BN-ReLU-conv3x3-BN-ReLU-conv1x1-BN + shortcut, ReLU (torchvision Bottleneck)
  head,         // optional final BN-ReLU, global average pool, fully connected
  mlp_layer,    // linear (+ BN + ReLU on hidden layers) of a fully connected net
};

const char* to_string(BlockType type);

struct Block {
  std::string name;   // "stem", "layer3.5", "head", "fc2"
  BlockType type = BlockType::stem;
  int stage = 0;      // 1-based stage of a residual block; 0 for stem, head and MLP layers
  int index = 0;      // position inside its stage (0 = the stage's first, strided block)
  int in_channels = 0;
  int out_channels = 0;
  int stride = 1;
  bool projection = false; // 1x1 convolution on the shortcut
  std::vector<Layer> layers;

  std::int64_t params() const;
  std::int64_t param_bytes() const { return params() * kBytesPerParam; }
  std::int64_t forward_macs() const;  // per image
  std::int64_t backward_macs() const; // per image
  std::int64_t activation_bytes() const; // per image: sum of layer outputs (what training stores)
};

/// Input and head options shared by every subcommand (--in-channels, --image-size, --classes).
/// Zero means "the model's default".
struct ModelOptions {
  int in_channels = 0;
  int image_size = 0;
  int classes = 0;
};

struct Model {
  std::string name;
  std::string description;
  int in_channels = 3;
  int image_size = 32;
  int classes = 10;
  std::vector<Block> blocks;    // forward order
  std::vector<int> stage_sizes; // residual blocks per stage (empty for MLPs)
  std::vector<int> mlp_dims;    // d0 (input), hidden..., d_L (classes); empty for ResNets

  bool is_mlp() const { return !mlp_dims.empty(); }
  int num_stages() const { return static_cast<int>(stage_sizes.size()); }
  std::int64_t params() const;
  std::int64_t param_bytes() const { return params() * kBytesPerParam; }
  std::int64_t forward_macs() const;  // per image
  std::int64_t backward_macs() const; // per image
  /// Index into blocks of residual block `index` of 1-based `stage`; throws if absent.
  int block_index(int stage, int index) const;
  /// Index of the block called `name`; throws InputError if absent.
  int block_by_name(const std::string& name) const;
};

} // namespace resist
