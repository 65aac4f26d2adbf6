// The image-folder loader timed alone, torch-free for the CLI: `resist profile --input-pipeline`.
#pragma once
#include <cstdint>
#include <memory>

#include "exec/image_folder_scan.hpp"

namespace resist::exec {

struct ImageLoaderBench {
  double images_per_s = 0;     // wall clock, all threads
  double images_per_cpu_s = 0; // per second of this process's CPU time: per core, whatever else the machine runs
};

/// Decodes and augments `batches` training batches of `batch` images of `index` (cycling through its
/// files in order) with `threads` threads, after one untimed batch, two batches in flight as the trainer
/// keeps them: the whole pipeline's rate (read, decode, crop, resize, flip, normalise). What a node's
/// input_img_per_s in the simulator is made of (exec/README.md).
ImageLoaderBench bench_image_loader(std::shared_ptr<const ImageFolderIndex> index, int image_size, int batch, int batches,
                          int threads, std::uint64_t seed);

} // namespace resist::exec
