// The LibTorch network against core's description, and the data readers on files made here.
#include <zlib.h>


#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "exec/data.hpp"
#include "exec/net.hpp"
#include "remove_tree.hpp"
// After the torch headers: glog (through torch) defines CHECK too; Catch's must win.
#undef CHECK
#include <catch2/catch.hpp>

using namespace resist;
using namespace resist::exec;
namespace fs = std::filesystem;

using test::remove_tree; // not std::filesystem::remove_all (remove_tree.hpp says why)

TEST_CASE("LibTorch networks have core's layers, names and parameter counts", "[exec][net]") {
  for (const char* name : {"preact_resnet_small", "preact_resnet18_cifar", "preact_resnet110_cifar"}) {
    const Model m = make_model(name);
    PreActNet net(m); // throws if any layer's count differs from core's
    std::int64_t n = 0;
    for (const auto& p : net->parameters()) n += p.numel();
    CHECK(n == m.params());
    const auto named = net->named_parameters();
    for (const Block& b : m.blocks)
      for (const Layer& l : b.layers)
        if (l.params > 0) CHECK(named.find(l.name + ".weight") != nullptr);
  }
  // A stem the trainer does not build (here torchvision's less its conv) is an InputError.
  Model odd = make_model("resnet18", {3, 32, 10});
  odd.blocks.front().layers.erase(odd.blocks.front().layers.begin());
  CHECK_THROWS_AS(PreActNet(odd), InputError);
}

TEST_CASE("a skipped block is the identity and gets no gradient", "[exec][net]") {
  const Model m = make_model("preact_resnet_small", {3, 8, 10});
  torch::manual_seed(1);
  PreActNet net(m);
  const int b = m.block_index(3, 2);
  std::vector<bool> active(m.blocks.size(), true);
  active[static_cast<std::size_t>(b)] = false;
  net->set_active(active);
  const torch::Tensor x = torch::randn({4, 3, 8, 8});
  net->forward(x).sum().backward();
  for (const auto& p : net->block_params(b)) CHECK_FALSE(p.grad().defined());
  for (const auto& p : net->block_params(m.block_index(3, 1))) CHECK(p.grad().defined());
  // Zeroing a block's conv2 makes its residual branch 0: the same output as skipping it.
  // layers: bn1, relu1, conv1, bn2, relu2, conv2, add
  CHECK(m.blocks[static_cast<std::size_t>(b)].layers[5].name == "layer3.2.conv2");
  {
    torch::NoGradGuard g;
    net->layer_params(b, 5)[0].zero_();
  }
  const torch::Tensor skipped = net->forward(x);
  net->set_active(std::vector<bool>(m.blocks.size(), true));
  CHECK(torch::allclose(net->forward(x), skipped, 1e-5, 1e-6));
  // Strided / projection blocks cannot be skipped.
  active.assign(m.blocks.size(), true);
  active[static_cast<std::size_t>(m.block_index(3, 0))] = false;
  CHECK_THROWS_AS(net->set_active(active), Error);
}

namespace {

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("resist_test_" + name + "_" + std::to_string(::getpid()));
  remove_tree(d);
  fs::create_directories(d);
  return d;
}

// n CIFAR records: label i % 10 (and coarse label 9 for CIFAR-100), pixel value (i + channel) % 256.
void write_cifar(const fs::path& p, int n, int label_bytes, int offset) {
  std::ofstream out(p, std::ios::binary);
  for (int i = 0; i < n; ++i) {
    if (label_bytes == 2) out.put(static_cast<char>(9));
    out.put(static_cast<char>((i + offset) % 10));
    for (int c = 0; c < 3; ++c)
      for (int k = 0; k < 1024; ++k) out.put(static_cast<char>((i + offset + c) % 256));
  }
}

void write_gz(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
  gzFile f = gzopen(p.string().c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

std::vector<std::uint8_t> be32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
          static_cast<std::uint8_t>(v)};
}

} // namespace

TEST_CASE("CIFAR-10 and CIFAR-100 binary readers", "[exec][data]") {
  const fs::path d = temp_dir("cifar");
  for (int i = 1; i <= 5; ++i) write_cifar(d / ("data_batch_" + std::to_string(i) + ".bin"), 3, 1, 10 * i);
  write_cifar(d / "test_batch.bin", 4, 1, 0);
  DataOptions o;
  o.name = "cifar10";
  o.dir = d.string();
  const Dataset train = load_dataset(o, true);
  CHECK(train.size() == 15);
  CHECK(train.crop);
  CHECK(train.flip);
  CHECK(train.labels[3].item<int64_t>() == 0); // record 0 of batch 2: (0 + 20) % 10
  CHECK(train.images[4][2][5][7].item<float>() == Approx((1 + 20 + 2) / 255.0));
  const Dataset test = load_dataset(o, false);
  CHECK(test.size() == 4);
  CHECK(test.labels[1].item<int64_t>() == 1);

  write_cifar(d / "train.bin", 5, 2, 3);
  o.name = "cifar100";
  o.classes = 100;
  const Dataset c100 = load_dataset(o, true);
  CHECK(c100.size() == 5);
  CHECK(c100.labels[0].item<int64_t>() == 3); // the fine label, not the coarse one
  o.classes = 10;
  CHECK_THROWS_AS(load_dataset(o, true), InputError); // 100 classes vs a 10-class model

  std::ofstream(d / "bad.bin") << "short";
  fs::rename(d / "bad.bin", d / "test_batch.bin");
  o.name = "cifar10";
  CHECK_THROWS_AS(load_dataset(o, false), InputError);
  remove_tree(d);
}

TEST_CASE("IDX .gz reader (Fashion-MNIST layout) and the missing-data message", "[exec][data]") {
  const fs::path d = temp_dir("idx");
  std::vector<std::uint8_t> img = be32(2051), lab = be32(2049);
  for (auto v : {be32(6), be32(28), be32(28)}) img.insert(img.end(), v.begin(), v.end());
  auto n = be32(6);
  lab.insert(lab.end(), n.begin(), n.end());
  for (int i = 0; i < 6; ++i) {
    img.insert(img.end(), 784, static_cast<std::uint8_t>(40 * i));
    lab.push_back(static_cast<std::uint8_t>(i));
  }
  write_gz(d / "train-images-idx3-ubyte.gz", img);
  write_gz(d / "train-labels-idx1-ubyte.gz", lab);
  DataOptions o;
  o.name = "fashion_mnist";
  o.dir = d.string();
  o.channels = 1;
  o.image_size = 28;
  const Dataset ds = load_dataset(o, true);
  CHECK(ds.size() == 6);
  CHECK(ds.labels[5].item<int64_t>() == 5);
  CHECK(ds.images[2][0][10][10].item<float>() == Approx(80 / 255.0));
  o.channels = 3;
  CHECK_THROWS_WITH(load_dataset(o, true), Catch::Contains("--in-channels 1 --image-size 28"));
  o.channels = 1;
  CHECK_THROWS_WITH(load_dataset(o, false), Catch::Contains("t10k-images-idx3-ubyte.gz") &&
                                                Catch::Contains("apt-get install dataset-fashion-mnist"));
  o.name = "cifar10";
  o.dir = (d / "nowhere").string();
  o.channels = 3;
  o.image_size = 32;
  CHECK_THROWS_WITH(load_dataset(o, true), Catch::Contains("cifar-10-binary.tar.gz"));
  remove_tree(d);
}

TEST_CASE("Debian's Fashion-MNIST, when installed, has 60000 + 10000 images", "[exec][data]") {
  if (!fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")) return;
  DataOptions o;
  o.name = "fashion_mnist";
  o.channels = 1;
  o.image_size = 28;
  const Dataset test = load_dataset(o, false);
  CHECK(test.size() == 10000);
  CHECK(test.images.mean().item<double>() == Approx(0.2860).epsilon(0.01));
}

TEST_CASE("batches: a permutation per epoch from the seed, rebuilt identically for any step", "[exec][data]") {
  DataOptions o;
  o.name = "synthetic";
  o.train_size = 50;
  o.image_size = 8;
  const Dataset d = load_dataset(o, true);
  BatchSampler a(d, 16, 42), b(d, 16, 42), c(d, 16, 43);
  CHECK(a.steps_per_epoch() == 4);
  std::vector<std::int64_t> seen;
  for (int s = 0; s < 4; ++s) {
    const auto [x, y] = a.batch(s);
    CHECK(x.size(0) == (s < 3 ? 16 : 2));
    for (int i = 0; i < y.size(0); ++i) seen.push_back(y[i].item<std::int64_t>());
  }
  CHECK(seen.size() == 50);
  CHECK(torch::equal(a.batch(6).first, b.batch(6).first)); // step 6 alone, same as in sequence
  CHECK_FALSE(torch::equal(a.batch(1).first, c.batch(1).first));
}

TEST_CASE("CIFAR augmentation: crops and flips keep the shape and are reproducible", "[exec][data]") {
  Dataset d;
  d.images = torch::rand({20, 3, 32, 32});
  d.labels = torch::zeros({20}, torch::kInt64);
  d.mean = {0, 0, 0};
  d.std = {1, 1, 1};
  d.crop = d.flip = true;
  BatchSampler a(d, 8, 5), b(d, 8, 5);
  const auto x = a.batch(3).first;
  CHECK(x.sizes() == torch::IntArrayRef({8, 3, 32, 32}));
  CHECK(torch::equal(x, b.batch(3).first));
}
