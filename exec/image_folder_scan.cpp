#include "exec/image_folder_scan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "core/error.hpp"
#include "core/model_zoo.hpp"

namespace resist::exec {

namespace fs = std::filesystem;

namespace {

bool has_image_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// The signature is what the decoder goes by (ImageNet holds a PNG named .JPEG); a truncated or otherwise
// corrupt body is found only when decoded, mid-run (an Error naming the file).
void check_signature(const fs::path& p) {
  unsigned char b[8] = {};
  std::ifstream f(p, std::ios::binary);
  if (!f) throw InputError(fmt::format("image folder: cannot open {}", p.string()));
  f.read(reinterpret_cast<char*>(b), sizeof b);
  const auto got = f.gcount();
  const bool jpeg = got >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
  const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  const bool png = got == 8 && std::equal(b, b + 8, png_sig);
  if (!jpeg && !png)
    throw InputError(fmt::format("image folder: {} is neither a JPEG nor a PNG file ({} bytes read, no signature)",
                                 p.string(), got));
}

// Sorted entries of one folder (directory_iterator's order is the file system's).
std::vector<fs::directory_entry> sorted_entries(const fs::path& dir) {
  std::vector<fs::directory_entry> out;
  for (const auto& e : fs::directory_iterator(dir, fs::directory_options::follow_directory_symlink)) out.push_back(e);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  return out;
}

// os.walk order: a folder's files sorted, then its sub-folders' (torchvision sorts both).
void collect(const fs::path& dir, std::vector<std::string>& files) {
  std::vector<fs::path> subdirs;
  for (const auto& e : sorted_entries(dir)) {
    if (e.is_directory()) subdirs.push_back(e.path());
    else if (e.is_regular_file() && has_image_extension(e.path())) files.push_back(e.path().string());
  }
  for (const auto& d : subdirs) collect(d, files);
}

std::shared_ptr<const ImageFolderIndex> scan_uncached(const std::string& split_dir) {
  std::error_code ec;
  if (!fs::is_directory(split_dir, ec))
    throw InputError(fmt::format("image folder: '{}' is not a folder (--dataset imagefolder reads "
                                 "DIR/train/<class>/*.jpg|png and DIR/val/<class>/...; --data-dir DIR)",
                                 split_dir));
  auto index = std::make_shared<ImageFolderIndex>();
  index->root = split_dir;
  try {
    for (const auto& e : sorted_entries(split_dir))
      if (e.is_directory()) index->classes.push_back(e.path().filename().string());
    if (index->classes.empty())
      throw InputError(fmt::format("image folder: '{}' holds no class folders", split_dir));
    for (std::size_t k = 0; k < index->classes.size(); ++k) {
      const fs::path class_dir = fs::path(split_dir) / index->classes[k];
      const std::size_t before = index->files.size();
      collect(class_dir, index->files);
      if (index->files.size() == before)
        throw InputError(fmt::format("image folder: class folder {} holds no .jpg, .jpeg or .png file",
                                     class_dir.string()));
      index->labels.resize(index->files.size(), static_cast<std::int32_t>(k));
    }
  } catch (const fs::filesystem_error& e) {
    throw InputError(fmt::format("image folder: cannot list {}: {}", e.path1().string(), e.code().message()));
  }
  for (const auto& f : index->files) check_signature(f);
  return index;
}

} // namespace

std::shared_ptr<const ImageFolderIndex> scan_image_folder(const std::string& split_dir) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const ImageFolderIndex>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[split_dir];
  if (!slot) slot = scan_uncached(split_dir); // a failed scan leaves the slot empty: the next call retries
  return slot;
}

std::string image_folder_split(const std::string& data_dir, bool train) {
  return (fs::path(data_dir) / (train ? "train" : "val")).string();
}

void resolve_image_folder(RunConfig& c, const std::string& data_dir) {
  if (c.dataset != "imagefolder") return;
  if (data_dir.empty())
    throw InputError("--dataset imagefolder needs --data-dir DIR (DIR/train/<class>/*.jpg|png, DIR/val/<class>/...)");
  const auto index = scan_image_folder(image_folder_split(data_dir, true));
  const int classes = static_cast<int>(index->classes.size());
  if (c.model_options.classes == 0) c.model_options.classes = classes;
  if (c.model_options.classes != classes)
    throw InputError(fmt::format("--classes {} but {} holds {} class folders", c.model_options.classes, index->root,
                                 classes));
  const int channels =
      c.model_options.in_channels != 0 ? c.model_options.in_channels : make_model(c.model, c.model_options).in_channels;
  if (channels != 3)
    throw InputError(fmt::format("--in-channels {}: imagefolder images are decoded to RGB (3 channels)", channels));
  if (c.train_size == 0) c.train_size = index->size();
  if (c.train_size > index->size())
    throw InputError(fmt::format("--train-size {} exceeds the {} images in {}", c.train_size, index->size(), index->root));
}

std::vector<std::int64_t> image_folder_subset(std::int64_t n, std::int64_t want) {
  if (want <= 0 || want > n) want = n;
  std::vector<std::int64_t> out(static_cast<std::size_t>(want));
  for (std::int64_t i = 0; i < want; ++i) out[static_cast<std::size_t>(i)] = i * n / want; // strictly increasing
  return out;
}

} // namespace resist::exec
