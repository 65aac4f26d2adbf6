// A small image folder written with libjpeg-turbo's compressor and libpng: three classes, odd sizes,
// grayscale and RGB JPEGs, one PNG, a file that is not an image (ignored), in DIR/train and DIR/val.
// Pixels are a deterministic pattern per image, so tests can rebuild what was written.
#pragma once
#include <png.h>
#include <turbojpeg.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace resist::exec::test {

/// Image `seed`'s pixels, width x height x channels (1 or 3) bytes.
inline std::vector<std::uint8_t> pattern_pixels(int width, int height, int channels, int seed) {
  std::vector<std::uint8_t> p(static_cast<std::size_t>(width) * height * channels);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c)
        p[(static_cast<std::size_t>(y) * width + x) * channels + c] =
            static_cast<std::uint8_t>((x * (3 + seed) + y * (5 + c) + 40 * c + 17 * seed) & 0xFF);
  return p;
}

inline void write_jpeg(const std::string& path, int width, int height, int channels, int seed) {
  const auto pixels = pattern_pixels(width, height, channels, seed);
  tjhandle h = tjInitCompress();
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const int rc = tjCompress2(h, pixels.data(), width, 0, height, channels == 1 ? TJPF_GRAY : TJPF_RGB, &out, &size,
                             channels == 1 ? TJSAMP_GRAY : TJSAMP_420, 90, 0);
  if (rc != 0) throw std::runtime_error(tjGetErrorStr2(h));
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(out), static_cast<std::streamsize>(size));
  tjFree(out);
  tjDestroy(h);
}

inline void write_png(const std::string& path, int width, int height, int seed) {
  const auto pixels = pattern_pixels(width, height, 3, seed);
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(width);
  img.height = static_cast<png_uint_32>(height);
  img.format = PNG_FORMAT_RGB;
  if (!png_image_write_to_file(&img, path.c_str(), 0, pixels.data(), 0, nullptr)) throw std::runtime_error(img.message);
}

/// Writes the tree under `dir`: train/ has 3 classes (ant: 3 images, bee: 2, cat: 3 = 8 images), val/ the
/// same classes with 2 images each. Returns the train images in ImageFolder's order.
inline std::vector<std::string> make_image_tree(const std::string& dir) {
  namespace fs = std::filesystem;
  for (const char* split : {"train", "val"})
    for (const char* cls : {"ant", "bee", "cat"}) fs::create_directories(fs::path(dir) / split / cls);
  const std::string t = dir + "/train/", v = dir + "/val/";
  write_jpeg(t + "ant/a1.jpg", 37, 53, 3, 1);
  write_jpeg(t + "ant/a2.JPEG", 64, 29, 3, 2); // the extension in any case, as ImageNet's
  write_png(t + "ant/a3.png", 45, 61, 3);
  write_jpeg(t + "bee/b1.jpg", 40, 40, 1, 4); // grayscale
  write_jpeg(t + "bee/b2.jpeg", 31, 70, 3, 5);
  write_jpeg(t + "cat/c1.jpg", 90, 33, 3, 6);
  fs::create_directories(t + "cat/more");
  write_jpeg(t + "cat/more/c3.jpg", 23, 27, 1, 8); // a sub-folder: after the class's own files (os.walk)
  write_jpeg(t + "cat/c2.jpg", 50, 50, 3, 7);
  std::ofstream(t + "cat/notes.txt") << "not an image: ignored";
  write_jpeg(v + "ant/va.jpg", 48, 36, 3, 9);
  write_png(v + "ant/vb.png", 30, 30, 10);
  write_jpeg(v + "bee/vc.jpg", 33, 44, 1, 11);
  write_jpeg(v + "bee/vd.jpg", 60, 45, 3, 12);
  write_jpeg(v + "cat/ve.jpg", 29, 29, 3, 13);
  write_jpeg(v + "cat/vf.jpg", 70, 50, 3, 14);
  return {t + "ant/a1.jpg", t + "ant/a2.JPEG",   t + "ant/a3.png", t + "bee/b1.jpg",
          t + "bee/b2.jpeg", t + "cat/c1.jpg", t + "cat/c2.jpg", t + "cat/more/c3.jpg"};
}

} // namespace resist::exec::test
