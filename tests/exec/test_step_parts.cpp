// The parts of a step the trainer makes its own for speed: the foreach SGD against LibTorch's SGD, the
// batched crop and flip against a copy per image, and channels-last parameters.
#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "core/rng.hpp"
#include "exec/autocast.hpp"
#include "exec/data.hpp"
#include "exec/net.hpp"
#include "exec/sgd.hpp"
// After the torch headers: c10 defines CHECK too; Catch's must win.
#undef CHECK
#include <catch2/catch.hpp>

using namespace resist;
using namespace resist::exec;

TEST_CASE("foreach SGD steps bit-identically to torch::optim::SGD", "[exec][sgd]") {
  torch::manual_seed(3);
  const std::vector<torch::Tensor> init = {torch::randn({4, 3, 3, 3}), torch::randn({7}), torch::randn({5, 2})};
  auto copies = [&] {
    std::vector<torch::Tensor> ps;
    for (const auto& t : init) ps.push_back(t.clone().set_requires_grad(true));
    return ps;
  };
  for (double momentum : {0.0, 0.9}) {
    for (double wd : {0.0, 5e-4}) {
      auto a = copies(), b = copies();
      Sgd ours(a, {0.1, momentum, wd});
      torch::optim::SGD ref(b, torch::optim::SGDOptions(0.1).momentum(momentum).weight_decay(wd));
      for (int step = 0; step < 4; ++step) {
        if (step == 2) { // a learning-rate change mid-way, as the schedules make
          ours.set_lr(0.05);
          static_cast<torch::optim::SGDOptions&>(ref.param_groups()[0].options()).lr(0.05);
        }
        ours.zero_grad();
        ref.zero_grad();
        const torch::Tensor g = torch::randn({}); // the same loss on both copies
        for (auto* ps : {&a, &b}) {
          torch::Tensor loss = torch::zeros({});
          for (const auto& p : *ps) loss = loss + (p * p).sum() * g + p.sin().sum();
          loss.backward();
        }
        ours.step();
        ref.step();
      }
      for (std::size_t i = 0; i < a.size(); ++i) CHECK(torch::equal(a[i], b[i]));
    }
  }
}

TEST_CASE("foreach SGD leaves parameters without a gradient alone", "[exec][sgd]") {
  torch::Tensor used = torch::ones({3}).set_requires_grad(true), unused = torch::ones({3}).set_requires_grad(true);
  Sgd opt({used, unused}, {0.5, 0.9, 0.1});
  (used * 2).sum().backward();
  opt.step();
  CHECK(torch::allclose(used.detach(), torch::full({3}, 1 - 0.5 * (2 + 0.1))));
  CHECK(torch::equal(unused.detach(), torch::ones({3})));
  opt.zero_grad();
  CHECK_FALSE(used.grad().defined());
  CHECK_THROWS_AS(Sgd({used}, {-1.0, 0, 0}), Error);
}

TEST_CASE("batched crops and flips equal a crop and flip per image with the same draws", "[exec][data]") {
  Dataset d;
  torch::manual_seed(1);
  d.images = torch::rand({20, 3, 12, 10});
  d.labels = torch::arange(20, torch::kInt64);
  d.mean = {0.5, 0.4, 0.3};
  d.std = {0.2, 0.25, 0.3};
  d.crop = d.flip = true;
  for (bool reflect : {false, true}) {
    d.reflect_pad = reflect;
    BatchSampler sampler(d, 8, 5);
    for (std::int64_t step : {0, 3, 7}) {
      const auto [x, y] = sampler.batch(step);
      // The per-image reference: the same permutation and draws (exec/data.cpp's order: dy, dx, flip).
      const std::int64_t epoch = step / sampler.steps_per_epoch(), pos = step % sampler.steps_per_epoch();
      Rng perm_rng(derive_seed(5, Stream::data, static_cast<std::uint64_t>(epoch)));
      const std::vector<int> perm = perm_rng.permutation(20);
      const std::int64_t first = pos * 8, n = std::min<std::int64_t>(8, 20 - first);
      REQUIRE(x.size(0) == n);
      Rng rng(derive_seed(5, Stream::data, static_cast<std::uint64_t>(step), 1));
      for (std::int64_t i = 0; i < n; ++i) {
        const torch::Tensor img = d.images[perm[static_cast<std::size_t>(first + i)]].unsqueeze(0);
        const torch::Tensor padded = reflect ? torch::reflection_pad2d(img, {4, 4, 4, 4})
                                             : torch::constant_pad_nd(img, {4, 4, 4, 4}, 0.0);
        const auto dy = static_cast<std::int64_t>(rng.uniform_below(9));
        const auto dx = static_cast<std::int64_t>(rng.uniform_below(9));
        const bool flip = rng.uniform_below(2) == 1;
        torch::Tensor crop = padded[0].narrow(1, dy, 12).narrow(2, dx, 10);
        if (flip) crop = crop.flip({2});
        CHECK(torch::equal(x[i], normalize(d, crop.unsqueeze(0))[0]));
        CHECK(y[i].item<std::int64_t>() == perm[static_cast<std::size_t>(first + i)]);
      }
    }
  }
}

TEST_CASE("channels-last parameters keep their values, and the network still trains", "[exec][format]") {
  CHECK(parse_memory_format("auto") == MemoryFormat::automatic);
  CHECK_THROWS_WITH(parse_memory_format("nhwc"), Catch::Contains("'nhwc'"));
  CHECK(channels_last(MemoryFormat::automatic, Precision::bf16, true));
  CHECK_FALSE(channels_last(MemoryFormat::automatic, Precision::fp32, true));
  CHECK_FALSE(channels_last(MemoryFormat::automatic, Precision::bf16, false));
  CHECK(channels_last(MemoryFormat::channels_last, Precision::fp32, false));

  const Model m = make_model("preact_resnet_small");
  torch::manual_seed(2);
  PreActNet a(m);
  torch::manual_seed(2);
  PreActNet b(m);
  to_memory_format(*b, true);
  std::size_t four_d = 0;
  const auto pas = a->parameters(), pbs = b->parameters();
  REQUIRE(pas.size() == pbs.size());
  for (std::size_t i = 0; i < pas.size(); ++i) {
    const torch::Tensor& pa = pas[i];
    const torch::Tensor& pb = pbs[i];
    CHECK(torch::equal(pa, pb));
    if (pb.dim() == 4) {
      ++four_d;
      CHECK(pb.is_contiguous(torch::MemoryFormat::ChannelsLast));
    }
  }
  CHECK(four_d > 0);
  const torch::Tensor x = torch::randn({4, m.in_channels, m.image_size, m.image_size});
  const torch::Tensor la = a->forward(x), lb = b->forward(x);
  CHECK(torch::allclose(la, lb, 1e-4, 1e-4));
  lb.sum().backward();
  for (const auto& p : b->parameters()) CHECK(p.grad().defined());
}
