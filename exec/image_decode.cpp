#include "exec/image_decode.hpp"

#include <fmt/format.h>
#include <png.h>
#include <turbojpeg.h>

#include <fstream>
#include <iterator>
#include <memory>

#include "core/error.hpp"

namespace resist::exec {

namespace {

void check_pixels(std::int64_t width, std::int64_t height, const std::string& name) {
  if (width <= 0 || height <= 0)
    throw Error(fmt::format("{}: not a decodable image (its header gives {}x{} pixels)", name, width, height));
  if (width * height > kMaxImagePixels)
    throw Error(fmt::format("{}: image of {}x{} pixels (at most {} pixels are decoded)", name, width, height,
                            kMaxImagePixels));
}

// One TurboJPEG handle per thread: a handle is not thread-safe, and creating one per image costs.
tjhandle jpeg_handle() {
  struct Handle {
    tjhandle h = tjInitDecompress();
    ~Handle() { if (h) tjDestroy(h); }
  };
  thread_local Handle handle;
  if (!handle.h) throw Error(fmt::format("TurboJPEG: cannot create a decompressor: {}", tjGetErrorStr2(nullptr)));
  return handle.h;
}

RgbImage decode_jpeg(const std::vector<std::uint8_t>& bytes, const std::string& name) {
  tjhandle h = jpeg_handle();
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(h, bytes.data(), static_cast<unsigned long>(bytes.size()), &width, &height, &subsamp,
                          &colorspace) != 0)
    throw Error(fmt::format("{}: cannot decode JPEG header: {}", name, tjGetErrorStr2(h)));
  check_pixels(width, height, name);
  // CMYK / YCCK JPEGs (a few in ImageNet) cannot go to RGB inside libjpeg: decode CMYK, convert below.
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  const int channels = cmyk ? 4 : 3;
  std::vector<std::uint8_t> out(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * channels);
  if (tjDecompress2(h, bytes.data(), static_cast<unsigned long>(bytes.size()), out.data(), width, 0, height,
                    cmyk ? TJPF_CMYK : TJPF_RGB, 0) != 0 &&
      tjGetErrorCode(h) == TJERR_FATAL)
    throw Error(fmt::format("{}: cannot decode JPEG: {}", name, tjGetErrorStr2(h)));
  RgbImage img{width, height, {}};
  if (!cmyk) {
    img.pixels = std::move(out);
    return img;
  }
  // Adobe's inverted CMYK, as Pillow reads it: R = C x K / 255 (C and K already inverted in the file).
  img.pixels.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3);
  for (std::size_t p = 0, n = img.pixels.size() / 3; p < n; ++p) {
    const unsigned k = out[4 * p + 3];
    for (int c = 0; c < 3; ++c) img.pixels[3 * p + c] = static_cast<std::uint8_t>(out[4 * p + c] * k / 255);
  }
  return img;
}

RgbImage decode_png(const std::vector<std::uint8_t>& bytes, const std::string& name) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  // png_image_free runs on every exit; finish_read frees too, and a second free is harmless.
  std::unique_ptr<png_image, void (*)(png_imagep)> guard(&png, png_image_free);
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size()))
    throw Error(fmt::format("{}: cannot decode PNG header: {}", name, png.message));
  check_pixels(png.width, png.height, name);
  png.format = PNG_FORMAT_RGB; // gray, palette and 16-bit converted; alpha composited on black
  RgbImage img{static_cast<int>(png.width), static_cast<int>(png.height), {}};
  img.pixels.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, img.pixels.data(), 0, nullptr))
    throw Error(fmt::format("{}: cannot decode PNG: {}", name, png.message));
  return img;
}

} // namespace

RgbImage decode_image(const std::vector<std::uint8_t>& bytes, const std::string& name) {
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) return decode_jpeg(bytes, name);
  if (bytes.size() >= 8 && png_sig_cmp(bytes.data(), 0, 8) == 0) return decode_png(bytes, name);
  throw Error(fmt::format("{}: neither a JPEG nor a PNG file", name));
}

RgbImage decode_image_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(fmt::format("cannot open image {}", path));
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw Error(fmt::format("cannot read image {}", path));
  return decode_image(bytes, path);
}

} // namespace resist::exec
