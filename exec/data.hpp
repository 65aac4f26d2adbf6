// Data sets held in memory as one tensor each, and the per-worker batch order the schedule implies:
// worker w, epoch e shuffles with Rng(derive_seed(data_seed_w, Stream::data, e)); augmentation of a
// step draws from its own seed, so any step's batch can be rebuilt alone (resume needs no loader state).
//
// Formats read (and where they are looked for by default; --data-dir overrides):
//   fashion_mnist  IDX .gz files of Debian's dataset-fashion-mnist       /usr/share/datasets/fashion-mnist
//   cifar10        CIFAR-10 binary version (data_batch_1..5.bin, test_batch.bin)  data/cifar-10-batches-bin
//   cifar100       CIFAR-100 binary version (train.bin, test.bin; fine labels)    data/cifar-100-binary
//   svhn           train.bin / test.bin in the CIFAR-10 record layout (1 label byte 0-9, 3072 bytes CHW),
//                  converted from the .mat files by exec/tools/svhn_to_bin.py          data/svhn
//   synthetic      class templates plus noise, generated from the seed (tests)
//   imagefolder    DIR/train/<class>/*.jpg|jpeg|png and DIR/val/<class>/... (torchvision's ImageFolder;
//                  --data-dir DIR, no default), decoded per batch by exec/image_loader, not held
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "exec/image_loader.hpp"

namespace resist::exec {

struct Dataset {
  std::string name;
  torch::Tensor images;           // [N, C, H, W] float32 in [0, 1] (synthetic: already standardized)
  torch::Tensor labels;           // [N] int64
  std::vector<double> mean, std;  // per channel, applied to each batch after augmentation
  bool crop = false;              // random crop with 4-pixel padding
  bool flip = false;              // random horizontal flip
  bool reflect_pad = false;       // SVHN pads by reflection, CIFAR with zeros (black)
  int classes = 10;
  // imagefolder: images and labels stay undefined; the loader decodes the folder's files `files` (indices
  // into its index) per batch, already normalised.
  std::shared_ptr<ImageLoader> loader;
  std::vector<std::int64_t> files;

  std::int64_t size() const { return loader ? static_cast<std::int64_t>(files.size()) : images.size(0); }
};

struct DataOptions {
  std::string name = "synthetic";
  std::string dir;              // empty = the default folder above
  std::int64_t train_size = 0;  // first N training images (0 = all)
  std::int64_t test_size = 0;   // first N test images (0 = all)
  std::uint64_t seed = 1;       // synthetic data only
  int channels = 3, image_size = 32, classes = 10; // what the model expects (checked)
  int loader_threads = 0;       // imagefolder: decoding threads (0 = torch's intra-op threads)
};

/// The data options of a run: its data set, seed and model shape, the first `train_size` training and
/// `test_size` test images (0 = all), from `dir` (empty = the default folder).
DataOptions run_data_options(const std::string& dataset, std::uint64_t seed, int channels, int image_size,
                             int classes, std::int64_t train_size, std::int64_t test_size, const std::string& dir);

/// Where `name` is read from when --data-dir is not given.
std::string default_data_dir(const std::string& name);

/// Loads the training or test split. Throws InputError naming the expected files and how to get them
/// when they are missing, or when the images do not fit the model (channels, size, classes).
Dataset load_dataset(const DataOptions& options, bool train);

/// Reads a whole file, transparently gunzipping .gz (zlib). Throws InputError if it cannot be read.
std::vector<std::uint8_t> read_file_bytes(const std::string& path);

/// The batches of one worker: step s of the run -> (images [B,C,H,W] normalized, labels [B]).
/// With a CUDA `device`, the data set is copied there once and batches are gathered, cropped, flipped
/// and normalized there (the same draws, the same values as on the CPU): no host work or copy per step
/// (on an H100 the host path was 0.6-4.5 ms of a 25-55 ms step).
class BatchSampler {
public:
  BatchSampler(const Dataset& data, int batch, std::uint64_t data_seed, torch::Device device = torch::kCPU);
  int steps_per_epoch() const { return steps_per_epoch_; }
  /// The batch of global step `step` (0-based, per worker); the last batch of an epoch may be smaller.
  /// An image folder's next `prefetch_batches` steps are queued with it, decoding while this one trains.
  std::pair<torch::Tensor, torch::Tensor> batch(std::int64_t step);
  /// The data set's image indices of step `step`, in batch order (this epoch's shuffle).
  std::vector<std::int64_t> batch_indices(std::int64_t step);

  static constexpr int prefetch_batches = 2;

private:
  Batch folder_batch(std::int64_t step);
  const std::vector<int>& epoch_order(std::int64_t epoch);

  const Dataset& data_;
  torch::Tensor images_, labels_; // data_'s, on the device
  torch::Device device_;
  int batch_;
  std::uint64_t data_seed_;
  int steps_per_epoch_;
  std::int64_t epoch_ = -1;
  torch::Tensor order_; // [N] int64: this epoch's shuffle
  std::map<std::int64_t, std::vector<int>> folder_orders_;        // imagefolder: shuffles of the epochs in reach
  std::map<std::int64_t, std::shared_future<Batch>> folder_ahead_; // imagefolder: steps queued, by step
};

/// Test images `at` .. `at + n - 1`, normalised, and their labels (imagefolder: decoded, resized and
/// centre-cropped by the loader's threads).
std::pair<torch::Tensor, torch::Tensor> eval_batch(const Dataset& data, std::int64_t at, std::int64_t n);

/// The first `n` images of `data` (shares the loader of an image folder).
Dataset first_images(const Dataset& data, std::int64_t n);

/// Standardizes a batch with the data set's mean and std (a fresh tensor, on x's device).
torch::Tensor normalize(const Dataset& data, torch::Tensor x);

} // namespace resist::exec
