// JPEG and PNG files decoded to 8-bit RGB, torch-free: libjpeg-turbo's TurboJPEG API and libpng's
// simplified API. The format is taken from the file's signature, not its name.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace resist::exec {

/// An image as height x width x 3 bytes (RGB, rows top to bottom).
struct RgbImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels; // [height][width][3]
};

/// Images above this many pixels are refused (a hostile header must not allocate gigabytes).
inline constexpr std::int64_t kMaxImagePixels = std::int64_t{1} << 28;

/// Decodes JPEG (grayscale, YCbCr, CMYK/YCCK) or PNG (gray, palette, 16-bit, alpha dropped) bytes to RGB.
/// `name` is the file named in errors. Throws Error naming the file when the bytes do not decode
/// (libjpeg's warnings, such as extraneous bytes, are accepted as Pillow accepts them).
RgbImage decode_image(const std::vector<std::uint8_t>& bytes, const std::string& name);

/// Reads and decodes a file. Throws Error naming it when it cannot be read or decoded.
RgbImage decode_image_file(const std::string& path);

} // namespace resist::exec
