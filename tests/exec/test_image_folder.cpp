// --dataset imagefolder on a tree the test writes (image_tree.hpp): the scan's classes and order, the
// decoders, the transforms, the loader's batches (shapes, determinism, each worker's order by the
// schedule's seeds), evaluation's centre crop, and errors naming the file.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "core/error.hpp"
#include "core/schedule.hpp"
#include "exec/data.hpp"
#include "exec/image_decode.hpp"
#include "exec/image_folder_scan.hpp"
#include "exec/image_transform.hpp"
#include "image_tree.hpp"
#include "remove_tree.hpp"
// After the torch headers: glog (through torch) defines CHECK too; Catch's must win.
#undef CHECK
#include <catch2/catch.hpp>

using namespace resist;
using namespace resist::exec;
namespace fs = std::filesystem;

namespace {

// A fresh tree per test case (the scan cache is keyed by path, so every case gets its own folder).
struct Tree {
  std::string dir;
  std::vector<std::string> train_files;
  Tree() {
    static int n = 0;
    dir = (fs::temp_directory_path() / ("resist_imagefolder_" + std::to_string(::getpid()) + "_" + std::to_string(n++)))
              .string();
    train_files = test::make_image_tree(dir);
  }
  ~Tree() { test::remove_tree(dir); }
};

DataOptions folder_options(const std::string& dir, int image_size = 16) {
  return run_data_options("imagefolder", 1, 3, image_size, 3, 0, 0, dir);
}

} // namespace

TEST_CASE("imagefolder: classes are the sorted folders, files sorted within, non-images ignored", "[exec][imagefolder]") {
  Tree tree;
  const auto index = scan_image_folder(tree.dir + "/train");
  CHECK(index->classes == std::vector<std::string>{"ant", "bee", "cat"});
  CHECK(index->files == tree.train_files);
  CHECK(index->labels == std::vector<std::int32_t>{0, 0, 0, 1, 1, 2, 2, 2});
  CHECK(scan_image_folder(tree.dir + "/train") == index); // cached: the trainer and the CLI scan once

  RunConfig c;
  c.model = "preact_resnet_small";
  c.dataset = "imagefolder";
  resolve_image_folder(c, tree.dir);
  CHECK(c.train_size == 8);
  CHECK(c.model_options.classes == 3);
  c.train_size = 0;
  c.model_options.classes = 7;
  CHECK_THROWS_AS(resolve_image_folder(c, tree.dir), InputError);
  c.model_options.classes = 0;
  CHECK_THROWS_AS(resolve_image_folder(c, ""), InputError);
  c.train_size = 9;
  CHECK_THROWS_AS(resolve_image_folder(c, tree.dir), InputError);

  CHECK(image_folder_subset(8, 0) == std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(image_folder_subset(8, 3) == std::vector<std::int64_t>{0, 2, 5}); // spread over the classes
}

TEST_CASE("imagefolder: scan-time errors are InputErrors naming the folder or file", "[exec][imagefolder]") {
  Tree tree;
  CHECK_THROWS_WITH(scan_image_folder(tree.dir + "/nosuch"), Catch::Contains("nosuch"));
  fs::create_directories(tree.dir + "/e/train/a");
  fs::create_directories(tree.dir + "/e/train/b");
  test::write_jpeg(tree.dir + "/e/train/a/x.jpg", 8, 8, 3, 0);
  CHECK_THROWS_AS(scan_image_folder(tree.dir + "/e/train"), InputError); // b is empty
  CHECK_THROWS_WITH(scan_image_folder(tree.dir + "/e/train"), Catch::Contains("/b"));
  std::ofstream(tree.dir + "/e/train/b/y.jpg") << "GIF89a";
  CHECK_THROWS_WITH(scan_image_folder(tree.dir + "/e/train"), Catch::Contains("y.jpg"));
}

TEST_CASE("imagefolder: JPEG (RGB, gray) and PNG decode to RGB", "[exec][imagefolder]") {
  Tree tree;
  const RgbImage png = decode_image_file(tree.train_files[2]);
  CHECK(png.width == 45);
  CHECK(png.height == 61);
  CHECK(png.pixels == test::pattern_pixels(45, 61, 3, 3)); // lossless
  const RgbImage gray = decode_image_file(tree.train_files[3]);
  CHECK(gray.width == 40);
  bool equal_channels = true;
  for (std::size_t p = 0; p < gray.pixels.size(); p += 3)
    equal_channels = equal_channels && gray.pixels[p] == gray.pixels[p + 1] && gray.pixels[p] == gray.pixels[p + 2];
  CHECK(equal_channels);
  const RgbImage rgb = decode_image_file(tree.train_files[1]);
  CHECK(rgb.width == 64);
  CHECK(rgb.height == 29);
  const auto want = test::pattern_pixels(64, 29, 3, 2);
  double err = 0; // JPEG is lossy: close, not equal
  for (std::size_t i = 0; i < want.size(); ++i) err += std::abs(double(want[i]) - rgb.pixels[i]);
  CHECK(err / static_cast<double>(want.size()) < 12);
  CHECK_THROWS_WITH(decode_image({0xFF, 0xD8, 0xFF, 0x00, 0x01}, "bad.jpg"), Catch::Contains("bad.jpg"));
}

TEST_CASE("imagefolder: crop boxes as torchvision draws them", "[exec][imagefolder]") {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Rng a(seed), b(seed);
    const CropBox box = random_resized_crop_box(37, 53, a);
    CHECK(box.x >= 0);
    CHECK(box.y >= 0);
    CHECK(box.x + box.w <= 37);
    CHECK(box.y + box.h <= 53);
    CHECK(box.w * box.h >= 0.08 * 37 * 53 - 37 - 53); // rounding of w and h
    const CropBox again = random_resized_crop_box(37, 53, b);
    CHECK(again.x == box.x);
    CHECK(again.w == box.w);
  }
  // 200 x 10: no try fits (8% of the area is taller than 10 at ratios 3/4-4/3): centre crop at ratio 4/3.
  Rng rng(1);
  const CropBox f = random_resized_crop_box(200, 10, rng);
  CHECK(f.w == 13);
  CHECK(f.h == 10);
  CHECK(f.x == 93);
  CHECK(f.y == 0);
  // Evaluation at 224: 300 x 200 -> 384 x 256, centre 224 from x = 80 (resized) = 62.5 source pixels.
  const CropBox e = center_crop_box(300, 200, 224);
  CHECK(e.x == Approx(62.5));
  CHECK(e.w == Approx(175.0));
  CHECK(e.y == Approx(16 * 200.0 / 256));
  CHECK(e.h == Approx(175.0));
  // A flat image stays flat through the resample, normalised with ImageNet's mean and std.
  RgbImage flat{9, 7, std::vector<std::uint8_t>(9 * 7 * 3, 128)};
  std::vector<float> out(3 * 5 * 5);
  resample_normalized(flat, {1.5, 0.5, 6, 5.5}, 5, true, out.data());
  for (int c = 0; c < 3; ++c)
    CHECK(out[static_cast<std::size_t>(c) * 25 + 12] == Approx((128 / 255.0 - kImageNetMean[c]) / kImageNetStd[c]));
}

TEST_CASE("imagefolder: batches have the model's shape, repeat for a seed, and follow each worker's seed",
          "[exec][imagefolder]") {
  Tree tree;
  const Dataset train = load_dataset(folder_options(tree.dir), true);
  REQUIRE(train.size() == 8);
  CHECK(train.classes == 3);
  BatchSampler a(train, 3, 11), b(train, 3, 11);
  CHECK(a.steps_per_epoch() == 3);
  for (std::int64_t step = 0; step < 4; ++step) { // across the epoch boundary (step 3 = epoch 1)
    const auto [x, y] = a.batch(step);
    const auto [x2, y2] = b.batch(step);
    CHECK(x.sizes() == torch::IntArrayRef({step % 3 == 2 ? 2 : 3, 3, 16, 16}));
    CHECK(torch::equal(x, x2)); // same seed: same images, same crops and flips
    CHECK(torch::equal(y, y2));
    CHECK(std::isfinite(x.abs().max().item<double>()));
  }
  // Out of order (a resume): the same batch as in sequence.
  BatchSampler c(train, 3, 11);
  const auto [x1, y1] = c.batch(1);
  BatchSampler d(train, 3, 11);
  d.batch(0);
  CHECK(torch::equal(d.batch(1).first, x1));

  // Workers: the schedule's data seeds give each its own shuffle of the whole set, epoch by epoch.
  RunConfig cfg;
  cfg.model = "preact_resnet_small";
  cfg.dataset = "imagefolder";
  cfg.protocol = Protocol::local_sgd;
  cfg.workers = 2;
  cfg.batch = 3;
  cfg.local_steps = 3;
  cfg.rounds = 2;
  resolve_image_folder(cfg, tree.dir);
  const Schedule s = make_schedule(cfg);
  CHECK(s.train_size == 8); // the scan's count, recorded by the schedule
  std::vector<std::vector<std::int64_t>> seen(2);
  for (int w = 0; w < 2; ++w) {
    BatchSampler sw(train, cfg.batch, s.rounds[0].workers[static_cast<std::size_t>(w)].data_seed);
    Rng rng(derive_seed(s.rounds[0].workers[static_cast<std::size_t>(w)].data_seed, Stream::data, 0));
    const std::vector<int> perm = rng.permutation(8);
    for (int step = 0; step < 3; ++step)
      for (auto i : sw.batch_indices(step)) seen[static_cast<std::size_t>(w)].push_back(i);
    CHECK(seen[static_cast<std::size_t>(w)] == std::vector<std::int64_t>(perm.begin(), perm.end()));
  }
  CHECK(seen[0] != seen[1]);
  // The labels of a batch are those of the files the order names.
  BatchSampler s0(train, 3, s.rounds[0].workers[0].data_seed);
  const auto idx = s0.batch_indices(0);
  const auto [bx, by] = s0.batch(0);
  const auto index = scan_image_folder(tree.dir + "/train");
  for (std::size_t i = 0; i < idx.size(); ++i)
    CHECK(by[static_cast<std::int64_t>(i)].item<std::int64_t>() == index->labels[static_cast<std::size_t>(idx[i])]);
}

TEST_CASE("imagefolder: evaluation resizes and centre-crops the val split", "[exec][imagefolder]") {
  Tree tree;
  const Dataset val = load_dataset(folder_options(tree.dir, 24), false);
  REQUIRE(val.size() == 6);
  const auto [x, y] = eval_batch(val, 1, 3);
  CHECK(x.sizes() == torch::IntArrayRef({3, 3, 24, 24}));
  CHECK(y[0].item<std::int64_t>() == 0);
  CHECK(y[1].item<std::int64_t>() == 1);
  CHECK(y[2].item<std::int64_t>() == 1);
  // The PNG (lossless) by hand: decode, the centre box, the resample.
  const RgbImage img = decode_image_file(tree.dir + "/val/ant/vb.png");
  std::vector<float> want(3 * 24 * 24);
  resample_normalized(img, center_crop_box(img.width, img.height, 24), 24, false, want.data());
  const torch::Tensor got = x[0].contiguous();
  CHECK(torch::equal(got, torch::from_blob(want.data(), {3, 24, 24}, torch::kFloat32)));
  CHECK(first_images(val, 2).size() == 2);
}

TEST_CASE("imagefolder: a file that does not decode mid-run is an Error naming it", "[exec][imagefolder]") {
  Tree tree;
  { // a JPEG signature (the scan passes it) and nothing decodable after
    std::ofstream f(tree.dir + "/val/bee/vd.jpg", std::ios::binary | std::ios::trunc);
    f << "\xFF\xD8\xFF\xE0 truncated";
  }
  const Dataset val = load_dataset(folder_options(tree.dir), false);
  CHECK_NOTHROW(eval_batch(val, 0, 3));
  CHECK_THROWS_WITH(eval_batch(val, 2, 3), Catch::Contains("vd.jpg"));
  try {
    eval_batch(val, 3, 1);
  } catch (const InputError&) {
    FAIL("mid-run: an Error, not bad input");
  } catch (const Error&) {
  }
}
