// Weights as PyTorch state dicts (exec/state_dict, exec/torch_file) without Python: the file format round
// trip, torchvision's names and buffers, the folded branch scale, the BatchNorm statistics, and the refusals.
// Python's side (torch.load, torchvision's load_state_dict, logits) is tests/exec/state_dict.sh.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "exec/net.hpp"
#include "exec/state_dict.hpp"
#include "exec/torch_file.hpp"
// After the torch headers: glog (through torch) defines CHECK too; Catch's must win.
#undef CHECK
#include <catch2/catch.hpp>

using namespace resist;
using namespace resist::exec;

namespace {

std::string temp_path(const char* name) { return fmt::format("/tmp/resist_test_{}_{}", ::getpid(), name); }

torch::Tensor find(const NamedTensors& sd, const std::string& name) {
  for (const auto& [k, v] : sd)
    if (k == name) return v;
  FAIL("no " << name);
  return {};
}

std::vector<double> ones(const PreActNetImpl& net) { return std::vector<double>(static_cast<std::size_t>(net.num_blocks()), 1.0); }

} // namespace

TEST_CASE("torch files: a dict of tensors round-trips in order, views and dtypes kept", "[exec][state_dict]") {
  const std::string path = temp_path("round_trip.pt");
  const torch::Tensor base = torch::arange(12, torch::kFloat32).view({3, 4});
  const NamedTensors in = {{"z.weight", base.t()}, // a non-contiguous view
                           {"a.num_batches_tracked", torch::tensor(std::int64_t{7})},
                           {"m.half", torch::ones({2}, torch::kFloat16)}};
  write_torch_file(path, in);
  const NamedTensors out = read_torch_file(path);
  std::remove(path.c_str());
  REQUIRE(out.size() == in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    CHECK(out[i].first == in[i].first);
    CHECK(out[i].second.dtype() == in[i].second.dtype());
    CHECK(torch::equal(out[i].second, in[i].second));
  }
}

TEST_CASE("torch files: what is not a state dict is refused with the file's name", "[exec][state_dict]") {
  const std::string path = temp_path("not_torch.pt");
  std::ofstream(path) << "precious text\n";
  CHECK_THROWS_AS(read_torch_file(path), InputError);
  CHECK_THROWS_WITH(read_torch_file(path), Catch::Contains(path) && Catch::Contains("zip"));
  // A zip cut short: the records are gone.
  write_torch_file(path, {{"w", torch::ones({64})}});
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), {});
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
  CHECK_THROWS_AS(read_torch_file(path), InputError);
  std::remove(path.c_str());
  CHECK_THROWS_AS(read_torch_file(temp_path("missing.pt")), InputError);
}

TEST_CASE("state dicts: torchvision's names and buffers; export then import gives the same network", "[exec][state_dict]") {
  const Model m = make_model("resnet18", {3, 32, 10});
  torch::manual_seed(1);
  PreActNet net(m);
  const NamedTensors sd = export_state_dict(*net, m, ones(*net), BnStats{});
  // len(torchvision.models.resnet18().state_dict()): 62 parameters + 20 BatchNorms x 3 buffers.
  CHECK(sd.size() == 122);
  CHECK(sd.front().first == "conv1.weight");
  CHECK(sd[1].first == "bn1.weight");
  CHECK(sd[3].first == "bn1.running_mean");
  CHECK(sd[5].first == "bn1.num_batches_tracked");
  CHECK(sd.back().first == "fc.bias");
  CHECK(find(sd, "layer2.0.downsample.1.running_var").sizes().vec() == std::vector<std::int64_t>{128});
  CHECK(find(sd, "bn1.num_batches_tracked").dtype() == torch::kInt64);

  torch::manual_seed(2);
  PreActNet other(m);
  CHECK(params_hash(*other) != params_hash(*net));
  import_state_dict(*other, sd, "sd");
  CHECK(params_hash(*other) == params_hash(*net));
}

TEST_CASE("state dicts: the evaluation's branch scale folds into the block's last layer", "[exec][state_dict]") {
  // A bottleneck (last BN: bn3) and a pre-activation block (conv2), each scaled by 0.5 at evaluation.
  for (const char* model : {"resnet50", "preact_resnet18_cifar"}) {
    INFO(model);
    const Model m = make_model(model, {3, 32, 10});
    torch::manual_seed(3);
    PreActNet net(m);
    std::vector<double> scale = ones(*net);
    for (std::size_t b = 0; b < m.blocks.size(); ++b)
      if (m.blocks[b].stage == 3 && m.blocks[b].index == 1) scale[b] = 0.5;
    const torch::Tensor x = torch::randn({4, 3, 32, 32});
    const torch::Tensor want = logits_of(*net, x, scale);
    PreActNet plain(m);
    import_state_dict(*plain, export_state_dict(*net, m, scale, BnStats{}), "sd");
    const torch::Tensor got = logits_of(*plain, x, ones(*plain));
    CHECK(torch::allclose(got, want, 1e-4, 1e-5));
    CHECK(!torch::allclose(logits_of(*net, x, ones(*net)), want, 1e-4, 1e-5)); // the scale mattered
  }
}

TEST_CASE("state dicts: BatchNorm statistics are the cumulative average of the batches' own", "[exec][state_dict]") {
  const Model m = make_model("resnet18", {3, 32, 10});
  torch::manual_seed(4);
  PreActNet net(m);
  const std::string before = params_hash(*net);
  const torch::Tensor a = torch::randn({8, 3, 32, 32}), b = torch::randn({8, 3, 32, 32}) * 2 + 1;
  const BnStats stats = estimate_bn_stats(*net, [&](int k) { return k % 2 ? b : a; }, 2, ones(*net));
  CHECK(stats.batches == 2);
  CHECK(params_hash(*net) == before);
  // The stem's BN sees conv1's output: its running mean is the mean of the two batches' channel means.
  torch::NoGradGuard g;
  auto* conv1 = net->named_modules()["conv1"]->as<torch::nn::Conv2d>();
  const torch::Tensor ya = conv1->forward(a), yb = conv1->forward(b);
  const torch::Tensor mean = (ya.mean({0, 2, 3}) + yb.mean({0, 2, 3})) / 2;
  const torch::Tensor var = (ya.var({0, 2, 3}, true) + yb.var({0, 2, 3}, true)) / 2; // unbiased, as PyTorch
  CHECK(torch::allclose(stats.by_module.at("bn1").first, mean, 1e-4, 1e-5));
  CHECK(torch::allclose(stats.by_module.at("bn1").second, var, 1e-4, 1e-5));
  const NamedTensors sd = export_state_dict(*net, m, ones(*net), stats);
  CHECK(find(sd, "bn1.num_batches_tracked").item<std::int64_t>() == 2);
  // The trainer goes on with batch statistics: the same input gives the same logits as before.
  PreActNet fresh(m);
  import_state_dict(*fresh, sd, "sd");
  CHECK(torch::allclose(logits_of(*net, a, ones(*net)), logits_of(*fresh, a, ones(*fresh)), 1e-5, 1e-6));
}

TEST_CASE("state dicts: the first mismatch is named", "[exec][state_dict]") {
  const Model m = make_model("resnet18", {3, 32, 10});
  PreActNet net(m);
  NamedTensors sd = export_state_dict(*net, m, ones(*net), BnStats{});
  const Model gray = make_model("resnet18", {1, 32, 10});
  PreActNet net1(gray);
  CHECK_THROWS_WITH(import_state_dict(*net1, sd, "f.pt"),
                    "state dict 'f.pt': 'conv1.weight' is [64,3,7,7], this model's is [64,1,7,7] (--in-channels)");
  NamedTensors extra = sd;
  extra.emplace_back("head.weight", torch::ones({1}));
  CHECK_THROWS_WITH(import_state_dict(*net, extra, "f.pt"), Catch::StartsWith("state dict 'f.pt': 'head.weight' is not in this model"));
  NamedTensors missing(sd.begin() + 1, sd.end());
  CHECK_THROWS_WITH(import_state_dict(*net, missing, "f.pt"), "state dict 'f.pt': no 'conv1.weight' (this model's is [64,3,7,7])");
  // Buffers may be absent (a state dict of parameters only).
  NamedTensors params_only;
  for (const auto& [k, v] : sd)
    if (k.find("running_") == std::string::npos && k.find("num_batches") == std::string::npos) params_only.emplace_back(k, v);
  CHECK_NOTHROW(import_state_dict(*net, params_only, "f.pt"));
}
