// torchvision ResNets in the trainer: the LibTorch network against core's description (names, counts,
// torchvision's state-dict names), skipping and branch scaling of post-activation blocks, a per-layer
// profile of ResNet-50 and a 1-rank training run of ResNet-18, all at small image sizes.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "exec/net.hpp"
#include "remove_tree.hpp"
#include "exec/profile.hpp"
#include "exec/train.hpp"
// After the torch headers: glog (through torch) defines CHECK too; Catch's must win.
#undef CHECK
#include <catch2/catch.hpp>

using namespace resist;
using namespace resist::exec;

using test::remove_tree; // not std::filesystem::remove_all (remove_tree.hpp says why)

TEST_CASE("torchvision ResNets: core's layer names and counts, torchvision's parameter names", "[exec][net][torchvision]") {
  struct Case {
    const char* model;
    std::size_t tensors; // len(list(torchvision.models.<model>().parameters()))
  };
  for (const Case& c : {Case{"resnet18", 62}, Case{"resnet50", 161}}) {
    INFO(c.model);
    const Model m = make_model(c.model, {3, 32, 10});
    torch::manual_seed(1);
    PreActNet net(m); // throws if any layer's or block's count differs from core's
    for (int b = 0; b < net->num_blocks(); ++b) {
      std::int64_t n = 0;
      for (const auto& p : net->block_params(b)) n += p.numel();
      CHECK(n == m.blocks[static_cast<std::size_t>(b)].params());
    }
    // Every parameter is a core layer's weight or bias, and every core layer with parameters has them.
    std::set<std::string> expected, got;
    for (const Block& b : m.blocks)
      for (const Layer& l : b.layers) {
        if (l.kind == LayerKind::conv2d) expected.insert(l.name + ".weight");
        if (l.kind == LayerKind::batchnorm || l.kind == LayerKind::linear) {
          expected.insert(l.name + ".weight");
          expected.insert(l.name + ".bias");
        }
      }
    for (const auto& item : net->named_parameters()) got.insert(item.key());
    CHECK(got == expected);
    CHECK(got.size() == c.tensors);
    // torchvision's names, spelled out.
    for (const char* name : {"conv1.weight", "bn1.weight", "layer1.0.conv1.weight", "layer1.1.bn2.bias",
                             "layer2.0.downsample.0.weight", "layer2.0.downsample.1.bias", "fc.weight", "fc.bias"})
      CHECK(got.count(name) == 1);
    CHECK(got.count("layer3.0.conv3.weight") == (std::string(c.model) == "resnet50" ? 1u : 0u));
    const torch::Tensor y = net->forward(torch::randn({2, 3, 32, 32}));
    CHECK(y.sizes() == torch::IntArrayRef({2, 10}));
    CHECK(torch::isfinite(y).all().item<bool>());
  }
}

TEST_CASE("a torchvision ResNet's stages and head keep core's shapes", "[exec][net][torchvision]") {
  const Model m = make_model("resnet50", {3, 64, 10});
  torch::manual_seed(2);
  PreActNet net(m);
  torch::Tensor x = torch::randn({2, 3, 64, 64});
  for (int b = 0; b + 1 < net->num_blocks(); ++b) {
    x = net->forward_range(x, b, b + 1);
    const Layer& last = m.blocks[static_cast<std::size_t>(b)].layers.back();
    INFO(m.blocks[static_cast<std::size_t>(b)].name);
    CHECK(x.sizes() == torch::IntArrayRef({2, last.out_channels, last.out_h, last.out_w}));
  }
}

TEST_CASE("a skipped torchvision block is the identity, as branch scale 0, and gets no gradient", "[exec][net][torchvision]") {
  const Model m = make_model("resnet18", {3, 32, 10});
  torch::manual_seed(3);
  PreActNet net(m);
  const int b = m.block_index(2, 1);
  const torch::Tensor x = torch::randn({4, 3, 32, 32});
  const torch::Tensor full = net->forward(x).detach();
  std::vector<bool> active(m.blocks.size(), true);
  active[static_cast<std::size_t>(b)] = false;
  net->set_active(active);
  const torch::Tensor skipped = net->forward(x);
  skipped.sum().backward();
  for (const auto& p : net->block_params(b)) CHECK_FALSE(p.grad().defined());
  for (const auto& p : net->block_params(m.block_index(2, 0))) CHECK(p.grad().defined());
  net->set_active(std::vector<bool>(m.blocks.size(), true));
  // ReLU(0 * branch + x) = x: the block's input comes out of a ReLU.
  std::vector<double> scale(m.blocks.size(), 1.0);
  scale[static_cast<std::size_t>(b)] = 0.0;
  net->set_branch_scale(scale);
  CHECK(torch::allclose(net->forward(x), skipped, 1e-5, 1e-6));
  scale[static_cast<std::size_t>(b)] = 0.5;
  net->set_branch_scale(scale);
  CHECK_FALSE(torch::allclose(net->forward(x), full, 1e-5, 1e-6));
  net->set_branch_scale(std::vector<double>(m.blocks.size(), 1.0));
  CHECK(torch::allclose(net->forward(x), full, 1e-5, 1e-6));
  // Downsampling blocks, the stem and the head cannot be skipped.
  for (int cannot : {m.block_index(2, 0), 0, net->num_blocks() - 1}) {
    active.assign(m.blocks.size(), true);
    active[static_cast<std::size_t>(cannot)] = false;
    CHECK_THROWS_AS(net->set_active(active), Error);
  }
}

TEST_CASE("profile of a torchvision ResNet-50: every core layer by name, positive times", "[exec][profile][torchvision]") {
  ProfileOptions o;
  o.config.model = "resnet50";
  o.config.model_options = {3, 32, 10};
  o.config.dataset = "synthetic";
  o.config.train_size = 16;
  o.config.batch = 2;
  o.config.workers = 8; // more than the 5 blocks ResIST could drop: the profile draws no partition
  o.threads = 1;
  o.repeats = 1;
  o.warmup = 1;
  o.test_size = 8;
  const Profile p = measure_profile(o);
  const Model m = make_model("resnet50", {3, 32, 10});
  std::size_t layers = 0;
  std::set<LayerKind> kinds;
  for (const Block& b : m.blocks)
    for (const Layer& l : b.layers) {
      ++layers;
      kinds.insert(l.kind);
      INFO(l.name);
      REQUIRE(p.layers.count(l.name) == 1);
      const ProfileEntry& e = p.layers.at(l.name);
      CHECK(e.batch == 2);
      CHECK(e.forward_s > 0);
      if (!l.first_layer || l.params > 0) CHECK(e.backward_s > 0);
    }
  CHECK(p.layers.size() == layers);
  CHECK(kinds.count(LayerKind::maxpool) == 1); // the stem's, timed as the forward runs it
  for (const char* name : {"conv1", "bn1", "relu", "maxpool", "layer1.0.conv3", "layer1.0.bn3", "layer1.0.downsample.0",
                           "layer1.0.downsample.1", "layer1.0.relu3", "layer4.2.add", "avgpool", "fc"})
    CHECK(p.layers.count(name) == 1);
  CHECK(p.get("model") == "resnet50");
  CHECK_NOTHROW(p.check_against(m));
}

TEST_CASE("resist train: a torchvision ResNet-18 on synthetic 32x32 images, one rank", "[exec][train][torchvision]") {
  TrainOptions o;
  o.config.model = "resnet18";
  o.config.model_options = {3, 32, 10};
  o.config.dataset = "synthetic";
  o.config.protocol = Protocol::data_parallel;
  o.config.workers = 1;
  o.config.rounds = 2;
  o.config.local_steps = 1;
  o.config.batch = 8;
  o.config.train_size = 32;
  o.config.lr = 0.05;
  o.threads = 1;
  o.test_size = 16;
  o.progress = false;
  o.run_dir = (std::filesystem::temp_directory_path() / ("resist_test_r18_" + std::to_string(::getpid()))).string();
  remove_tree(o.run_dir);
  const TrainResult r = train(o);
  remove_tree(o.run_dir);
  CHECK(r.rounds == 2);
  CHECK(r.bytes_match);
  CHECK(r.final_accuracy >= 0);
  CHECK(r.final_accuracy <= 1);
  CHECK_FALSE(r.params_hash.empty());
}
