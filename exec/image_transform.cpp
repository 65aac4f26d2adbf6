#include "exec/image_transform.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace resist::exec {

CropBox random_resized_crop_box(int width, int height, Rng& rng) {
  const double area = static_cast<double>(width) * height;
  const double log_lo = std::log(3.0 / 4.0), log_hi = std::log(4.0 / 3.0);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = area * (0.08 + (1.0 - 0.08) * rng.uniform01());
    const double aspect = std::exp(log_lo + (log_hi - log_lo) * rng.uniform01());
    const int w = static_cast<int>(std::lround(std::sqrt(target_area * aspect)));
    const int h = static_cast<int>(std::lround(std::sqrt(target_area / aspect)));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const auto y = static_cast<int>(rng.uniform_below(static_cast<std::uint64_t>(height - h + 1)));
      const auto x = static_cast<int>(rng.uniform_below(static_cast<std::uint64_t>(width - w + 1)));
      return {double(x), double(y), double(w), double(h)};
    }
  }
  // Fallback: the whole image, cut to the nearest allowed ratio, centred.
  const double in_ratio = static_cast<double>(width) / height;
  int w = width, h = height;
  if (in_ratio < 3.0 / 4.0) h = static_cast<int>(std::lround(w / (3.0 / 4.0)));
  else if (in_ratio > 4.0 / 3.0) w = static_cast<int>(std::lround(h * (4.0 / 3.0)));
  return {double((width - w) / 2), double((height - h) / 2), double(w), double(h)};
}

CropBox center_crop_box(int width, int height, int size) {
  const int resized_short = size * 256 / 224;
  // torchvision: the shorter side becomes resized_short, the longer int(resized_short x long / short).
  const bool wide = width >= height;
  const int shorter = wide ? height : width, longer = wide ? width : height;
  const int resized_long = static_cast<int>(static_cast<std::int64_t>(resized_short) * longer / shorter);
  const double rw = wide ? resized_long : resized_short, rh = wide ? resized_short : resized_long;
  const double sx = width / rw, sy = height / rh; // source pixels per resized pixel
  // CenterCrop: offset round((resized - size) / 2), in resized pixels.
  const double ox = std::round((rw - size) / 2.0), oy = std::round((rh - size) / 2.0);
  return {ox * sx, oy * sy, size * sx, size * sy};
}

namespace {

// Pillow's resampling coefficients for one axis: output i covers source [start + i x scale, + scale); a
// triangle filter of support max(1, scale) around its centre, weights normalised to 1.
struct Taps {
  std::vector<int> first;      // first source index per output
  std::vector<int> count;      // taps per output
  std::vector<float> weights;  // [out][max_taps]
  int max_taps = 0;
};

Taps make_taps(double start, double length, int out, int source_size) {
  const double scale = length / out;
  const double support = std::max(1.0, scale);
  Taps t;
  t.max_taps = static_cast<int>(std::ceil(support)) * 2 + 2; // ceil(c + s) - floor(c - s) <= 2 ceil(s) + 2
  t.first.resize(out);
  t.count.resize(out);
  t.weights.assign(static_cast<std::size_t>(out) * t.max_taps, 0.0f);
  for (int i = 0; i < out; ++i) {
    const double centre = start + (i + 0.5) * scale;
    const int lo = std::max(0, static_cast<int>(std::floor(centre - support)));
    const int hi = std::min(source_size, static_cast<int>(std::ceil(centre + support)));
    double sum = 0;
    std::vector<double> w;
    for (int s = lo; s < hi && static_cast<int>(w.size()) < t.max_taps; ++s) {
      const double d = std::abs((s + 0.5 - centre) / support);
      w.push_back(d < 1 ? 1 - d : 0);
      sum += w.back();
    }
    if (sum <= 0) { // a box thinner than a pixel at the border: nearest source pixel
      w.assign(1, 1.0);
      sum = 1;
    }
    t.first[i] = lo;
    t.count[i] = static_cast<int>(w.size());
    for (std::size_t k = 0; k < w.size(); ++k) t.weights[static_cast<std::size_t>(i) * t.max_taps + k] = float(w[k] / sum);
  }
  return t;
}

} // namespace

void resample_normalized(const RgbImage& img, const CropBox& box, int size, bool flip, float* out_chw) {
  const Taps tx = make_taps(box.x, box.w, size, img.width);
  const Taps ty = make_taps(box.y, box.h, size, img.height);
  // Horizontal pass over the rows the vertical pass reads: [rows][size][3].
  const int row_lo = ty.first.front();
  const int row_hi = ty.first.back() + ty.count.back();
  std::vector<float> mid(static_cast<std::size_t>(row_hi - row_lo) * size * 3);
  for (int r = row_lo; r < row_hi; ++r) {
    const std::uint8_t* src = img.pixels.data() + static_cast<std::size_t>(r) * img.width * 3;
    float* dst = mid.data() + static_cast<std::size_t>(r - row_lo) * size * 3;
    for (int i = 0; i < size; ++i) {
      const float* w = tx.weights.data() + static_cast<std::size_t>(i) * tx.max_taps;
      float acc[3] = {0, 0, 0};
      for (int k = 0; k < tx.count[i]; ++k) {
        const std::uint8_t* p = src + static_cast<std::size_t>(tx.first[i] + k) * 3;
        acc[0] += w[k] * p[0];
        acc[1] += w[k] * p[1];
        acc[2] += w[k] * p[2];
      }
      const int col = flip ? size - 1 - i : i;
      std::copy(acc, acc + 3, dst + static_cast<std::size_t>(col) * 3);
    }
  }
  float scale[3], shift[3]; // (v / 255 - mean) / std = v x scale + shift
  for (int c = 0; c < 3; ++c) {
    scale[c] = 1.0f / (255.0f * kImageNetStd[c]);
    shift[c] = -kImageNetMean[c] / kImageNetStd[c];
  }
  const std::size_t plane = static_cast<std::size_t>(size) * size;
  for (int j = 0; j < size; ++j) {
    const float* w = ty.weights.data() + static_cast<std::size_t>(j) * ty.max_taps;
    for (int i = 0; i < size; ++i) {
      float acc[3] = {0, 0, 0};
      for (int k = 0; k < ty.count[j]; ++k) {
        const float* p = mid.data() + (static_cast<std::size_t>(ty.first[j] + k - row_lo) * size + i) * 3;
        acc[0] += w[k] * p[0];
        acc[1] += w[k] * p[1];
        acc[2] += w[k] * p[2];
      }
      for (int c = 0; c < 3; ++c)
        out_chw[c * plane + static_cast<std::size_t>(j) * size + i] =
            std::clamp(acc[c], 0.0f, 255.0f) * scale[c] + shift[c];
    }
  }
}

} // namespace resist::exec
