// The LibTorch network, built block by block from core's description of a pre-activation ResNet
// (stem conv, preact_basic blocks, head) or of a torchvision ResNet (7x7 conv + BN + ReLU + max-pool stem,
// post-activation basic / bottleneck blocks from exec/torchvision_block, avgpool + fc head), with PyTorch
// module names equal to core's layer names so a state dict lines up with kuangliu/pytorch-cifar's
// PreActResNet or torchvision's ResNet, or of a fully connected net as IST trains it (linear + BN + ReLU
// layers, an affine-free BN on the logits). BatchNorm uses batch statistics in training and evaluation
// (track_running_stats=False), as the ResIST and IST references do; for torchvision ResNets this departs
// from torchvision (running statistics in evaluation) to keep one convention in the trainer.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "core/model.hpp"
#include "exec/residual_block.hpp"

namespace resist::exec {

/// BN -> ReLU -> conv3x3(stride) -> BN -> ReLU -> conv3x3, plus the shortcut (identity, or a 1x1
/// projection of the pre-activated input). The residual branch is multiplied by `scale` before the add.
struct PreActBlockImpl : ResidualBlock {
  explicit PreActBlockImpl(const Block& block);
  torch::Tensor forward(const torch::Tensor& x, double scale) override; // [B,Cin,H,W] -> [B,Cout,H/s,W/s]

  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};
};
TORCH_MODULE(PreActBlock);

class PreActNetImpl : public torch::nn::Module {
public:
  /// Throws InputError for a model that is neither a ResNet (pre-activation or torchvision) nor a fully
  /// connected net (model_zoo's make_mlp), and Error if the LibTorch parameter count of any layer or block
  /// differs from core's.
  explicit PreActNetImpl(const Model& model);

  /// [B, C, H, W] -> logits [B, classes]. Blocks with active[b] == false are skipped (identity: no
  /// compute, no gradient); residual branches of block b are multiplied by scale[b].
  torch::Tensor forward(const torch::Tensor& x);
  /// Core blocks [first, end) applied to x (block 0 is the stem, the last the head): one module of a
  /// layer-parallel cut. forward(x) is forward_range(x, 0, num_blocks()).
  torch::Tensor forward_range(const torch::Tensor& x, int first, int end);

  /// Which core blocks run (all by default); size = number of core blocks. Only residual blocks that keep
  /// the shape (no projection) can be skipped; Error otherwise.
  void set_active(std::vector<bool> active);
  /// Residual-branch scale per core block (1 by default; evaluation scales partitioned blocks).
  void set_branch_scale(std::vector<double> scale);

  int num_blocks() const { return static_cast<int>(block_params_.size()); }
  /// Parameters of core block b in the order of its layers (and of named_parameters()).
  const std::vector<torch::Tensor>& block_params(int b) const { return block_params_.at(static_cast<std::size_t>(b)); }
  /// Parameters of core layer i of block b (conv: weight; BN, linear: weight, bias).
  std::vector<torch::Tensor> layer_params(int b, int layer) const;
  /// Parameters of the active blocks (what the optimizer of a round sees).
  std::vector<torch::Tensor> active_params() const;

private:
  void build_mlp();
  void build_stem(const Block& stem);
  void map_params();
  std::string torch_name(const std::string& layer) const; // core layer name -> module name

  Model model_;
  std::vector<torch::nn::Linear> fcs_;       // fully connected nets: one per layer
  std::vector<torch::nn::BatchNorm1d> bns_;  // fully connected nets: one per hidden layer

  torch::nn::Conv2d stem_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr}; // torchvision stems: conv -> BN -> ReLU -> max-pool
  bool stem_relu_ = false;
  int pool_kernel_ = 0, pool_stride_ = 1, pool_padding_ = 0; // the stem's max-pool (kernel 0: none)
  std::vector<std::shared_ptr<ResidualBlock>> blocks_; // residual blocks in forward order
  std::vector<int> block_of_residual_;   // core block index of blocks_[i]
  std::vector<int> residual_of_block_;   // index into blocks_ of core block b (-1: stem or head)
  torch::nn::BatchNorm2d head_bn_{nullptr};
  torch::nn::Linear fc_{nullptr};
  std::vector<bool> active_;
  std::vector<double> scale_;
  std::vector<std::vector<torch::Tensor>> block_params_;
  std::vector<std::vector<std::vector<torch::Tensor>>> layer_params_;
};
TORCH_MODULE(PreActNet);

/// Copies of every parameter, in named_parameters() order (for checksums, tests and checkpoints).
std::vector<torch::Tensor> snapshot_params(const PreActNetImpl& net);
/// FNV-1a over the raw bytes of every parameter: equal hashes <=> bit-identical parameters.
std::string params_hash(const PreActNetImpl& net);

} // namespace resist::exec
