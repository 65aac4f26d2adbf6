// The ImageNet transforms, torch-free: torchvision's RandomResizedCrop (its default scale and ratio) with a
// horizontal flip for training, Resize(size x 256 / 224) + CenterCrop(size) for evaluation. Both pick a box
// in the source image, which one antialiased resample (Pillow's bilinear filter, its support widened by the
// downscale) turns into size x size pixels, normalised with ImageNet's mean and std.
#pragma once
#include <cstdint>

#include "core/rng.hpp"
#include "exec/image_decode.hpp"

namespace resist::exec {

/// A box in source pixels: columns x .. x + w, rows y .. y + h (fractional for the evaluation resize).
struct CropBox {
  double x = 0, y = 0, w = 0, h = 0;
};

inline constexpr float kImageNetMean[3] = {0.485f, 0.456f, 0.406f};
inline constexpr float kImageNetStd[3] = {0.229f, 0.224f, 0.225f};

/// torchvision's RandomResizedCrop.get_params(scale 0.08-1, ratio 3/4-4/3): 10 tries of an area fraction
/// and a log-uniform aspect ratio, then a centre crop clamped to the ratio range. Integer boxes; the draws
/// come from `rng` only.
CropBox random_resized_crop_box(int width, int height, Rng& rng);

/// Resize so the shorter side is size x 256 / 224 (rounded down, as torchvision), then the centre size x
/// size: the box that is, in source pixels.
CropBox center_crop_box(int width, int height, int size);

/// Resamples `box` of `img` to size x size, mirrored left-right when `flip`, normalised with ImageNet's
/// mean and std, into `out_chw` (3 x size x size floats, channel planes).
void resample_normalized(const RgbImage& img, const CropBox& box, int size, bool flip, float* out_chw);

} // namespace resist::exec
