#include "exec/image_loader.hpp"

#include <atomic>
#include <chrono>
#include <ctime>
#include <exception>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "exec/image_decode.hpp"
#include "exec/image_transform.hpp"

namespace resist::exec {

namespace {

// One batch in flight: the images decode into their rows of `images`; the last one to finish fulfils the
// promise (with the first error, if any).
struct BatchJob {
  torch::Tensor images, labels;
  std::atomic<std::int64_t> left{0};
  std::mutex error_mutex;
  std::exception_ptr error;
  std::promise<Batch> done;

  void finish_one() {
    if (left.fetch_sub(1) != 1) return;
    if (error) done.set_exception(error);
    else done.set_value({images, labels});
  }
};

} // namespace

ImageLoader::ImageLoader(std::shared_ptr<const ImageFolderIndex> index, int image_size, int threads)
    : index_(std::move(index)), image_size_(image_size) {
  if (threads < 1) throw Error("ImageLoader: at least one thread");
  for (int t = 0; t < threads; ++t) threads_.emplace_back([this] { work(); });
}

ImageLoader::~ImageLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void ImageLoader::work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stop_ || queue_head_ < queue_.size(); });
      if (stop_) return; // queued batches are abandoned: nobody waits for them any more
      task = std::move(queue_[queue_head_++]);
      if (queue_head_ == queue_.size()) { // drained: reuse the storage
        queue_.clear();
        queue_head_ = 0;
      }
    }
    task();
  }
}

std::shared_future<Batch> ImageLoader::submit(const std::vector<std::int64_t>& files, const std::uint64_t* augment_seed,
                                              std::int64_t step) {
  const auto n = static_cast<std::int64_t>(files.size());
  auto job = std::make_shared<BatchJob>();
  job->images = torch::empty({n, 3, image_size_, image_size_}, torch::kFloat32);
  job->labels = torch::empty({n}, torch::kInt64);
  job->left = n;
  std::shared_future<Batch> result = job->done.get_future().share();
  if (n == 0) {
    job->done.set_value({job->images, job->labels});
    return result;
  }
  const bool train = augment_seed != nullptr;
  const std::uint64_t seed = train ? *augment_seed : 0;
  const int size = image_size_;
  const std::int64_t plane = 3 * std::int64_t{size} * size;
  std::int64_t* labels = job->labels.data_ptr<std::int64_t>();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::int64_t i = 0; i < n; ++i) {
      const auto file = static_cast<std::size_t>(files[static_cast<std::size_t>(i)]);
      labels[i] = index_->labels.at(file);
      queue_.push_back([job, i, file, train, seed, step, size, plane, this] {
        try {
          const RgbImage img = decode_image_file(index_->files[file]);
          CropBox box;
          bool flip = false;
          if (train) {
            Rng rng(derive_seed(seed, Stream::data, static_cast<std::uint64_t>(step), 2 + static_cast<std::uint64_t>(i)));
            box = random_resized_crop_box(img.width, img.height, rng);
            flip = rng.uniform_below(2) == 1;
          } else {
            box = center_crop_box(img.width, img.height, size);
          }
          resample_normalized(img, box, size, flip, job->images.data_ptr<float>() + i * plane);
        } catch (...) {
          std::lock_guard<std::mutex> lock(job->error_mutex);
          if (!job->error) job->error = std::current_exception();
        }
        job->finish_one();
      });
    }
  }
  wake_.notify_all();
  return result;
}

ImageLoaderBench bench_image_loader(std::shared_ptr<const ImageFolderIndex> index, int image_size, int batch, int batches,
                          int threads, std::uint64_t seed) {
  ImageLoader loader(index, image_size, threads);
  const std::int64_t n = index->size();
  auto files_of = [&](int b) {
    std::vector<std::int64_t> f(static_cast<std::size_t>(batch));
    for (int i = 0; i < batch; ++i) f[static_cast<std::size_t>(i)] = (std::int64_t{b} * batch + i) % n;
    return f;
  };
  loader.submit(files_of(0), &seed, 0).get(); // warm: files in the page cache, handles made
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t cpu0 = std::clock(); // process CPU time: every thread's
  // Two batches in flight, as the trainer's prefetch keeps them: no thread idles between batches.
  std::shared_future<Batch> next = loader.submit(files_of(1), &seed, 1);
  for (int b = 1; b <= batches; ++b) {
    std::shared_future<Batch> current = next;
    if (b < batches) next = loader.submit(files_of(b + 1), &seed, b + 1);
    current.get();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu_s = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  const double images = static_cast<double>(batches) * batch;
  return {images / s, cpu_s > 0 ? images / cpu_s : 0};
}

} // namespace resist::exec
