#include "exec/data.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <filesystem>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/rng.hpp"
#include "exec/data_format.hpp"
#include "exec/image_folder_scan.hpp"
#include "exec/image_transform.hpp"

namespace resist::exec {

namespace fs = std::filesystem;

DataOptions run_data_options(const std::string& dataset, std::uint64_t seed, int channels, int image_size,
                             int classes, std::int64_t train_size, std::int64_t test_size, const std::string& dir) {
  DataOptions d;
  d.name = dataset;
  d.dir = dir;
  d.train_size = train_size;
  d.test_size = test_size;
  d.seed = seed;
  d.channels = channels;
  d.image_size = image_size;
  d.classes = classes;
  return d;
}

std::string default_data_dir(const std::string& name) {
  if (name == "fashion_mnist") return "/usr/share/datasets/fashion-mnist";
  if (name == "cifar10") return "data/cifar-10-batches-bin";
  if (name == "cifar100") return "data/cifar-100-binary";
  if (name == "svhn") return "data/svhn";
  return "";
}

namespace {

std::string how_to_get(const std::string& name) {
  if (name == "fashion_mnist") return "install Debian's package: apt-get install dataset-fashion-mnist";
  if (name == "cifar10")
    return "download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz and unpack it (tar xzf) so the "
           "folder holds data_batch_1.bin .. data_batch_5.bin and test_batch.bin";
  if (name == "cifar100")
    return "download https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz and unpack it so the folder "
           "holds train.bin and test.bin";
  if (name == "svhn")
    return "download train_32x32.mat and test_32x32.mat from http://ufldl.stanford.edu/housenumbers/ and "
           "convert them: python3 exec/tools/svhn_to_bin.py train_32x32.mat test_32x32.mat <folder>";
  return "";
}

std::string need_file(const std::string& name, const std::string& dir, const std::string& file) {
  const fs::path p = fs::path(dir) / file;
  if (!fs::exists(p))
    throw InputError(fmt::format("data set {}: {} not found (looked in '{}'; --data-dir sets the folder). To get it: {}",
                                 name, p.string(), dir, how_to_get(name)));
  return p.string();
}

Dataset from_raw(RawImages raw) {
  Dataset d;
  const auto n = raw.n;
  // Owned copies: the byte vectors die with this function.
  d.images = torch::from_blob(raw.pixels.data(), {n, raw.channels, raw.height, raw.width}, torch::kUInt8)
                 .to(torch::kFloat32)
                 .div_(255.0);
  d.labels = torch::from_blob(raw.labels.data(), {n}, torch::kUInt8).to(torch::kInt64);
  return d;
}

// IDX files (MNIST layout): magic 2051 images [N, rows, cols] or 2049 labels [N], big-endian header.
Dataset read_idx(const std::string& images_path, const std::string& labels_path, int classes) {
  return from_raw(parse_idx(read_file_bytes(images_path), read_file_bytes(labels_path), images_path, labels_path,
                            classes));
}

Dataset read_cifar(const std::vector<std::string>& paths, int label_bytes, int classes) {
  RawImages raw;
  for (const auto& p : paths) append_cifar_records(read_file_bytes(p), label_bytes, p, classes, raw);
  return from_raw(std::move(raw));
}

// Class templates plus noise: learnable, but not in one step. Train and test share the templates.
Dataset synthetic(const DataOptions& o, bool train) {
  const std::int64_t n_train = o.train_size > 0 ? o.train_size : 4096;
  const std::int64_t n_test = o.test_size > 0 ? o.test_size : 1024;
  auto gen = at::detail::createCPUGenerator(derive_seed(o.seed, Stream::data, 0xda7a));
  const std::vector<std::int64_t> shape = {o.channels, o.image_size, o.image_size};
  torch::Tensor templates = torch::randn({o.classes, o.channels, o.image_size, o.image_size}, gen);
  Rng rng(derive_seed(o.seed, Stream::data, 0xda7b));
  auto draw = [&](std::int64_t n) {
    std::vector<std::int64_t> y(static_cast<std::size_t>(n));
    for (auto& v : y) v = static_cast<std::int64_t>(rng.uniform_below(static_cast<std::uint64_t>(o.classes)));
    Dataset d;
    d.labels = torch::tensor(y, torch::kInt64);
    d.images = templates.index_select(0, d.labels) * 0.5 + torch::randn({n, o.channels, o.image_size, o.image_size}, gen);
    return d;
  };
  Dataset tr = draw(n_train);
  Dataset te = draw(n_test);
  Dataset d = train ? tr : te;
  d.mean.assign(static_cast<std::size_t>(o.channels), 0.0);
  d.std.assign(static_cast<std::size_t>(o.channels), 1.0);
  return d;
}

// A folder of JPEG/PNG images by class: scanned now (names, labels, signatures), decoded per batch.
Dataset image_folder(const DataOptions& o, bool train) {
  if (o.dir.empty())
    throw InputError("--dataset imagefolder needs --data-dir DIR (DIR/train/<class>/*.jpg|png, DIR/val/<class>/...)");
  const auto index = scan_image_folder(image_folder_split(o.dir, train));
  if (!train) { // evaluation must mean the same classes as training
    const auto train_index = scan_image_folder(image_folder_split(o.dir, true));
    if (index->classes != train_index->classes)
      throw InputError(fmt::format("image folder: the class folders of {} ({}) differ from those of {} ({})",
                                   index->root, index->classes.size(), train_index->root, train_index->classes.size()));
  }
  if (o.channels != 3)
    throw InputError(fmt::format("imagefolder images are decoded to RGB but the model expects {} channels: pass "
                                 "--in-channels 3", o.channels));
  Dataset d;
  const int threads = o.loader_threads > 0 ? o.loader_threads : std::max(1, at::get_num_threads());
  d.loader = std::make_shared<ImageLoader>(index, o.image_size, threads);
  d.files = image_folder_subset(index->size(), train ? o.train_size : o.test_size);
  d.classes = static_cast<int>(index->classes.size());
  d.mean.assign(kImageNetMean, kImageNetMean + 3); // applied by the loader
  d.std.assign(kImageNetStd, kImageNetStd + 3);
  return d;
}

} // namespace

std::vector<std::uint8_t> read_file_bytes(const std::string& path) {
  check_input_file(path, "data file"); // a FIFO would block gzopen forever
  gzFile f = gzopen(path.c_str(), "rb"); // also reads uncompressed files as they are
  if (!f) throw InputError(fmt::format("cannot open {}", path));
  std::vector<std::uint8_t> out;
  std::uint8_t buf[1 << 16];
  int n = 0;
  constexpr std::size_t kMaxBytes = std::size_t{4} << 30; // a gzip bomb stops here, not at out-of-memory
  while ((n = gzread(f, buf, sizeof buf)) > 0) {
    out.insert(out.end(), buf, buf + n);
    if (out.size() > kMaxBytes) {
      gzclose(f);
      throw InputError(fmt::format("{}: more than {} bytes uncompressed", path, kMaxBytes));
    }
  }
  int err = 0;
  const char* msg = gzerror(f, &err);
  const std::string why = msg ? msg : "";
  gzclose(f);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END)) throw InputError(fmt::format("cannot read {}: {}", path, why));
  return out;
}

Dataset load_dataset(const DataOptions& o, bool train) {
  const std::string dir = o.dir.empty() ? default_data_dir(o.name) : o.dir;
  Dataset d;
  if (o.name == "imagefolder") {
    d = image_folder(o, train);
    d.name = o.name;
    if (train && o.train_size > d.loader->index().size())
      throw InputError(fmt::format("--train-size {} exceeds the {} images in {}", o.train_size,
                                   d.loader->index().size(), d.loader->index().root));
    if (d.classes != o.classes)
      throw InputError(fmt::format("{} has {} class folders but the model has {} classes: pass --classes {}",
                                   d.loader->index().root, d.classes, o.classes, d.classes));
    return d;
  }
  if (o.name == "synthetic") {
    d = synthetic(o, train);
  } else if (o.name == "fashion_mnist") {
    const std::string p = train ? "train" : "t10k";
    const std::string images = need_file(o.name, dir, p + "-images-idx3-ubyte.gz"); // checked first: named first
    d = read_idx(images, need_file(o.name, dir, p + "-labels-idx1-ubyte.gz"), 10);
    d.mean = {0.2860};
    d.std = {0.3530};
  } else if (o.name == "cifar10") {
    std::vector<std::string> files;
    if (train)
      for (int i = 1; i <= 5; ++i) files.push_back(need_file(o.name, dir, fmt::format("data_batch_{}.bin", i)));
    else
      files.push_back(need_file(o.name, dir, "test_batch.bin"));
    d = read_cifar(files, 1, 10);
    d.mean = {0.4914, 0.4822, 0.4465};
    d.std = {0.2023, 0.1994, 0.2010};
    d.crop = d.flip = true;
  } else if (o.name == "cifar100") {
    d = read_cifar({need_file(o.name, dir, train ? "train.bin" : "test.bin")}, 2, 100);
    d.mean = {0.507, 0.487, 0.441};
    d.std = {0.267, 0.256, 0.276};
    d.crop = d.flip = true;
    d.classes = 100;
  } else if (o.name == "svhn") {
    d = read_cifar({need_file(o.name, dir, train ? "train.bin" : "test.bin")}, 1, 10);
    d.mean = {0.4377, 0.4438, 0.4728};
    d.std = {0.1980, 0.2010, 0.1970};
    d.crop = d.reflect_pad = true; // digits: no flip
  } else {
    throw InputError(fmt::format("unknown data set '{}' (known: cifar10, cifar100, svhn, fashion_mnist, synthetic, "
                                 "imagefolder)", o.name));
  }
  d.name = o.name;
  if (o.name == "synthetic") d.classes = o.classes;
  const std::int64_t want = train ? o.train_size : o.test_size;
  if (want > d.size())
    throw InputError(fmt::format("--{}-size {} exceeds the {} images of {}'s {} split", train ? "train" : "test", want,
                                 d.size(), o.name, train ? "training" : "test"));
  if (want > 0 && want < d.size()) { // the first N: deterministic and the same on every rank
    d.images = d.images.narrow(0, 0, want).clone();
    d.labels = d.labels.narrow(0, 0, want).clone();
  }
  const auto c = d.images.size(1), h = d.images.size(2), w = d.images.size(3);
  if (c != o.channels || h != o.image_size || w != o.image_size)
    throw InputError(fmt::format("{} images are {}x{}x{} but the model expects {}x{}x{}: pass --in-channels {} "
                                 "--image-size {}", o.name, c, h, w, o.channels, o.image_size, o.image_size, c, h));
  if (d.classes != o.classes)
    throw InputError(fmt::format("{} has {} classes but the model has {}: pass --classes {}", o.name, d.classes,
                                 o.classes, d.classes));
  return d;
}

torch::Tensor normalize(const Dataset& d, torch::Tensor x) {
  bool identity = true;
  for (std::size_t i = 0; i < d.mean.size(); ++i) identity = identity && d.mean[i] == 0 && d.std[i] == 1;
  if (identity) return x;
  const auto c = static_cast<std::int64_t>(d.mean.size());
  const torch::Tensor mean = torch::tensor(d.mean, torch::kFloat32).view({1, c, 1, 1}).to(x.device());
  const torch::Tensor inv_std = (1.0 / torch::tensor(d.std, torch::kFloat32).view({1, c, 1, 1})).to(x.device());
  return (x - mean) * inv_std;
}

std::pair<torch::Tensor, torch::Tensor> eval_batch(const Dataset& d, std::int64_t at, std::int64_t n) {
  if (!d.loader) return {normalize(d, d.images.narrow(0, at, n)), d.labels.narrow(0, at, n)};
  const std::vector<std::int64_t> files(d.files.begin() + at, d.files.begin() + at + n);
  return d.loader->submit(files, nullptr, 0).get();
}

Dataset first_images(const Dataset& d, std::int64_t n) {
  Dataset part = d;
  if (d.loader) {
    part.files.resize(static_cast<std::size_t>(n));
  } else {
    part.images = d.images.narrow(0, 0, n);
    part.labels = d.labels.narrow(0, 0, n);
  }
  return part;
}

BatchSampler::BatchSampler(const Dataset& data, int batch, std::uint64_t data_seed, torch::Device device)
    : data_(data), images_(data.loader ? torch::Tensor() : data.images.to(device)),
      labels_(data.loader ? torch::Tensor() : data.labels.to(device)), device_(device),
      batch_(batch), data_seed_(data_seed), steps_per_epoch_(static_cast<int>((data.size() + batch - 1) / batch)) {}

const std::vector<int>& BatchSampler::epoch_order(std::int64_t epoch) {
  auto it = folder_orders_.find(epoch);
  if (it != folder_orders_.end()) return it->second;
  while (folder_orders_.size() >= 2) folder_orders_.erase(folder_orders_.begin()); // this epoch and the next
  Rng rng(derive_seed(data_seed_, Stream::data, static_cast<std::uint64_t>(epoch))); // as batch() below
  return folder_orders_[epoch] = rng.permutation(static_cast<int>(data_.size()));
}

std::vector<std::int64_t> BatchSampler::batch_indices(std::int64_t step) {
  const std::vector<int>& order = epoch_order(step / steps_per_epoch_);
  const std::int64_t first = step % steps_per_epoch_ * batch_;
  const std::int64_t n = std::min<std::int64_t>(batch_, data_.size() - first);
  return std::vector<std::int64_t>(order.begin() + first, order.begin() + first + n);
}

Batch BatchSampler::folder_batch(std::int64_t step) {
  // A request out of sequence (the first, a resume, a bench) drops what was queued for other steps.
  if (!folder_ahead_.empty() && folder_ahead_.begin()->first != step) folder_ahead_.clear();
  for (std::int64_t s = step; s <= step + prefetch_batches; ++s) {
    if (folder_ahead_.count(s)) continue;
    std::vector<std::int64_t> files = batch_indices(s);
    for (auto& f : files) f = data_.files[static_cast<std::size_t>(f)]; // dataset position -> folder file
    folder_ahead_[s] = data_.loader->submit(files, &data_seed_, s);
  }
  const std::shared_future<Batch> current = folder_ahead_.begin()->second;
  folder_ahead_.erase(folder_ahead_.begin());
  return current.get();
}

std::pair<torch::Tensor, torch::Tensor> BatchSampler::batch(std::int64_t step) {
  if (data_.loader) return folder_batch(step);
  const std::int64_t epoch = step / steps_per_epoch_;
  const std::int64_t pos = step % steps_per_epoch_;
  if (epoch != epoch_) {
    Rng rng(derive_seed(data_seed_, Stream::data, static_cast<std::uint64_t>(epoch)));
    const std::vector<int> perm = rng.permutation(static_cast<int>(data_.size()));
    order_ = torch::tensor(std::vector<std::int64_t>(perm.begin(), perm.end()), torch::kInt64).to(device_);
    epoch_ = epoch;
  }
  const std::int64_t first = pos * batch_;
  const std::int64_t n = std::min<std::int64_t>(batch_, data_.size() - first);
  const torch::Tensor idx = order_.narrow(0, first, n);
  torch::Tensor x = images_.index_select(0, idx); // [B,C,H,W]
  const torch::Tensor y = labels_.index_select(0, idx);
  if (data_.crop || data_.flip) {
    Rng rng(derive_seed(data_seed_, Stream::data, static_cast<std::uint64_t>(step), 1)); // this step's draws
    const std::int64_t pad = data_.crop ? 4 : 0;
    const auto h = x.size(2), w = x.size(3);
    const torch::Tensor padded = pad == 0 ? x
                                 : data_.reflect_pad
                                     ? torch::reflection_pad2d(x, {pad, pad, pad, pad})
                                     : torch::constant_pad_nd(x, {pad, pad, pad, pad}, 0.0); // [B,C,H+2p,W+2p]
    // Image i's crop rows dy..dy+h-1 and columns dx..dx+w-1 (reversed when flipped), drawn in the order
    // dy, dx, flip per image; then one gather for the whole batch instead of a copy per image.
    std::vector<std::int64_t> rows(static_cast<std::size_t>(n * h)), cols(static_cast<std::size_t>(n * w));
    for (std::int64_t i = 0; i < n; ++i) {
      const auto dy = static_cast<std::int64_t>(rng.uniform_below(static_cast<std::uint64_t>(2 * pad + 1)));
      const auto dx = static_cast<std::int64_t>(rng.uniform_below(static_cast<std::uint64_t>(2 * pad + 1)));
      const bool flip = data_.flip && rng.uniform_below(2) == 1;
      for (std::int64_t r = 0; r < h; ++r) rows[static_cast<std::size_t>(i * h + r)] = dy + r;
      for (std::int64_t q = 0; q < w; ++q) cols[static_cast<std::size_t>(i * w + q)] = dx + (flip ? w - 1 - q : q);
    }
    const auto on = torch::TensorOptions().dtype(torch::kInt64);
    const torch::Tensor ri = torch::tensor(rows, on).view({n, h, 1}).to(device_);
    const torch::Tensor ci = torch::tensor(cols, on).view({n, 1, w}).to(device_);
    const torch::Tensor bi = torch::arange(n, on.device(device_)).view({n, 1, 1});
    // padded[b, :, rows[b], cols[b]]: the advanced indices come first, so the result is [B,H,W,C]
    x = padded.permute({0, 2, 3, 1}).index({bi, ri, ci}).permute({0, 3, 1, 2}).contiguous();
  }
  return {normalize(data_, x), y};
}

} // namespace resist::exec
