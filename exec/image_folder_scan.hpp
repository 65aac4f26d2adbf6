// Image folders in torchvision's ImageFolder layout (DIR/train/<class>/*.jpg, DIR/val/<class>/...): the
// scan that lists them, torch-free. Classes are the sorted sub-folder names; files are sorted within each
// class (recursively, as os.walk), so label k and file i are the same on every rank and as torchvision's.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/run_config.hpp"

namespace resist::exec {

struct ImageFolderIndex {
  std::string root;                 // the split's folder, DIR/train or DIR/val
  std::vector<std::string> classes; // sorted sub-folder names; label k = classes[k]
  std::vector<std::string> files;   // paths, by class then name
  std::vector<std::int32_t> labels; // one per file
  std::int64_t size() const { return static_cast<std::int64_t>(files.size()); }
};

/// Lists `split_dir` (a process-wide cache: ranks and loaders that ask again get the same index). Files
/// ending .jpg/.jpeg/.png (any case) count, others are ignored, as torchvision does. Each counted file's
/// first bytes must be a JPEG or PNG signature. Throws InputError naming the folder or file: no such
/// folder, no class folders, a class folder without images, a file that is not a JPEG or PNG.
std::shared_ptr<const ImageFolderIndex> scan_image_folder(const std::string& split_dir);

/// The split's folder: DIR/train, or DIR/val for evaluation.
std::string image_folder_split(const std::string& data_dir, bool train);

/// For --dataset imagefolder (otherwise nothing): scans DIR/train and sets `config.train_size` (when 0) to
/// its images and the model's classes (when 0) to its class folders, so the schedule records them. Throws
/// InputError when --data-dir is missing, --classes or --in-channels disagree with the folder (decoded
/// images are RGB), or --train-size exceeds the images.
void resolve_image_folder(RunConfig& config, const std::string& data_dir);

/// Which of `n` images a run of `want` images (0 = all) takes: evenly spaced, so a small run still sees
/// every class (the first N in class order would be the first classes only).
std::vector<std::int64_t> image_folder_subset(std::int64_t n, std::int64_t want);

} // namespace resist::exec
