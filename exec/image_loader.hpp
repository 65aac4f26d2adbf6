// The image-folder loader: a pool of threads that read, decode (exec/image_decode), crop and resize
// (exec/image_transform) the images of a batch in parallel, so the batches after the current one decode
// while the step runs (BatchSampler asks for them ahead). Nothing is held in memory but the batches.
#pragma once
#include <torch/torch.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "exec/image_folder_scan.hpp"
#include "exec/image_loader_bench.hpp"

namespace resist::exec {

using Batch = std::pair<torch::Tensor, torch::Tensor>; // images [B,3,S,S] float32 normalised, labels [B] int64

class ImageLoader {
public:
  /// `threads` decoding threads (>= 1) over the images of `index`, batches of `image_size` squared.
  ImageLoader(std::shared_ptr<const ImageFolderIndex> index, int image_size, int threads);
  ~ImageLoader(); // drops the queued images, joins the threads
  ImageLoader(const ImageLoader&) = delete;
  ImageLoader& operator=(const ImageLoader&) = delete;

  const ImageFolderIndex& index() const { return *index_; }
  int image_size() const { return image_size_; }
  int threads() const { return static_cast<int>(threads_.size()); }

  /// Queues the images `files` (indices into the folder's files) as one batch and returns at once.
  /// Training (`augment_seed` given): image i of the batch gets a random-resized crop and a flip drawn from
  /// Rng(derive_seed(*augment_seed, Stream::data, step, 2 + i)), so a step's batch is the same whoever
  /// decodes it and in whatever order. Evaluation (no seed): resize and centre crop. The future throws
  /// Error naming the first file that did not decode.
  std::shared_future<Batch> submit(const std::vector<std::int64_t>& files, const std::uint64_t* augment_seed,
                                   std::int64_t step);

private:
  void work();

  std::shared_ptr<const ImageFolderIndex> index_;
  int image_size_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::function<void()>> queue_; // images to decode, taken first in, first out
  std::size_t queue_head_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

} // namespace resist::exec
