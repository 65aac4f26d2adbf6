// `resist bench train` layer by layer (sim/train_bench.hpp): the rows add up to the step it reports and
// to what `resist simulate` charges a step, and single layers match the roofline worked by hand from
// platforms/gpus.csv.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "sim/gpu_model.hpp"
#include "sim/train_bench.hpp"

using namespace resist;
using namespace resist::sim;

namespace {

const TrainBenchLayer& row(const TrainBench& bench, const std::string& name) {
  for (const auto& r : bench.layers)
    if (r.layer.name == name) return r;
  FAIL("no layer " << name);
  throw Error("unreachable");
}

} // namespace

TEST_CASE("bench train: the per-layer rows sum to the step it reports and to the step simulate charges", "[sim]") {
  const Model m = make_model("preact_resnet_small");
  const GpuKind& a100 = GpuTable::builtin().at("A100");
  for (MathMode math : {MathMode::fp32, MathMode::tf32, MathMode::bf16}) {
    INFO(to_string(math));
    const TrainBench bench = bench_train(m, a100, math, 64);
    std::size_t layers = 0;
    for (const Block& b : m.blocks) layers += b.layers.size();
    REQUIRE(bench.layers.size() == layers);
    double rows_s = 0;
    for (const auto& r : bench.layers) rows_s += r.roofline.time.total_s();
    CHECK(rows_s == Approx(bench.step_s()).epsilon(1e-12));
    double simulate_s = 0;
    for (const StepTime& t : block_step_times(m, a100, math, 64)) simulate_s += t.total_s();
    CHECK(rows_s == Approx(simulate_s).epsilon(1e-12));
  }
  CHECK_THROWS_AS(bench_train(m, a100, MathMode::fp32, 0), InputError);
}

TEST_CASE("bench train: one convolution, one BatchNorm and one ReLU by hand on V100 in FP32", "[sim]") {
  // platforms/gpus.csv, V100: 15.7 TFLOP/s FP32 x 0.954, 900 GB/s x 0.83, 5 us per kernel.
  const double flops_per_s = 15.7e12 * 0.954, bytes_per_s = 900e9 * 0.83, launch_s = 5e-6;
  const int batch = 32;
  const TrainBench bench = bench_train(make_model("preact_resnet_small"), GpuTable::builtin().at("V100"),
                                       MathMode::fp32, batch);
  // layer1.0.conv1: 3x3, 16 -> 16 channels on 32x32. 16 x 16 x 9 x 1024 MACs per image: 0.151 GFLOP forward
  // for 32 images, 10.1 us of math against 5.6 us of bytes (64 KiB in and out per image, 9 KiB weights).
  const TrainBenchLayer& conv = row(bench, "layer1.0.conv1");
  const double flops = 2.0 * 16 * 16 * 9 * 1024 * batch;
  const double bytes = 2.0 * 16 * 1024 * 4 * batch + 16 * 16 * 9 * 4;
  CHECK(conv.block == "layer1.0");
  CHECK(conv.roofline.forward_flops == flops);
  CHECK(conv.roofline.backward_flops == 2 * flops);
  CHECK(conv.roofline.forward_bytes == bytes);
  CHECK(conv.roofline.forward_bound == Bound::compute);
  CHECK(conv.roofline.backward_bound == Bound::compute);
  CHECK(conv.roofline.kernels == 3); // forward, data gradient, weight gradient
  CHECK(conv.roofline.time.forward_s == Approx(flops / flops_per_s + launch_s).epsilon(1e-12));
  CHECK(conv.roofline.time.forward_s == Approx(15.08e-6).epsilon(1e-3));
  CHECK(conv.roofline.time.backward_s == Approx(2 * flops / flops_per_s + 2 * launch_s).epsilon(1e-12));
  CHECK(conv.roofline.time.update_s == Approx(5 * 16 * 16 * 9 * 4 / bytes_per_s).epsilon(1e-12));
  // layer1.0.bn2 on the same 16 x 32 x 32 map: bytes only (activations in and out, 2 x 16 parameters).
  const TrainBenchLayer& bn = row(bench, "layer1.0.bn2");
  const double bn_bytes = 2.0 * 16 * 1024 * 4 * batch + 2 * 16 * 4;
  CHECK(bn.roofline.forward_flops == 0);
  CHECK(bn.roofline.forward_bound == Bound::memory);
  CHECK(bn.roofline.time.forward_s == Approx(bn_bytes / bytes_per_s + launch_s).epsilon(1e-12));
  CHECK(bn.roofline.time.backward_s == Approx(2 * bn_bytes / bytes_per_s + 2 * launch_s).epsilon(1e-12));
  // ReLU: a kernel of its own in PyTorch eager (fusion none) moving the BatchNorm's bytes without parameters;
  // with cuDNN's fused BN (bn_act) inside the BatchNorm before it, no time and no launch.
  const TrainBenchLayer& relu = row(bench, "layer1.0.relu2");
  CHECK(relu.roofline.forward_bound == Bound::memory);
  CHECK(relu.roofline.time.forward_s == Approx((bn_bytes - 2 * 16 * 4) / bytes_per_s + launch_s).epsilon(1e-12));
  const TrainBench fused = bench_train(make_model("preact_resnet_small"), GpuTable::builtin().at("V100"),
                                       MathMode::fp32, batch, Fusion::bn_act);
  const TrainBenchLayer& fused_relu = row(fused, "layer1.0.relu2");
  CHECK(fused_relu.roofline.forward_bound == Bound::fused);
  CHECK(fused_relu.roofline.time.total_s() == 0);
  CHECK(fused_relu.roofline.kernels == 0);
}

TEST_CASE("bench train: a 1x1 convolution under BF16 on H100 sits under the memory roof", "[sim]") {
  // 16 -> 16 channels on 32x32: 8 FLOP per byte of half-precision activations, below H100's ridge
  // (989.4e12 x 0.305 FLOP/s over 3350e9 x 0.83 B/s = 109 FLOP/B).
  const Layer conv = make_conv("c", 16, 16, 1, 1, 0, 32, 32);
  const LayerRoofline r = roofline_layer(conv, GpuTable::builtin().at("H100"), MathMode::bf16, 128);
  const double bytes = (2.0 * 16 * 1024 * 4 * 128) / 2 + 16 * 16 * 4 / 2;
  CHECK(r.forward_bound == Bound::memory);
  CHECK(r.backward_bound == Bound::memory);
  CHECK(r.forward_bytes == bytes);
  CHECK(r.time.forward_s == Approx(bytes / (3350e9 * 0.83) + 5e-6).epsilon(1e-12));
}

TEST_CASE("fusion levels by hand: which layers of a residual block run as kernels of their own", "[sim]") {
  // torchvision ResNet-50's layer1.0: conv1 bn1 relu1 conv2 bn2 relu2 conv3 bn3 downsample.0 downsample.1 add relu3.
  const Model m = make_model("resnet50");
  const std::vector<Layer>& block = m.blocks.at(1).layers;
  REQUIRE(m.blocks.at(1).name == "layer1.0");
  REQUIRE(block.size() == 12);
  using R = FusedRole;
  const R o = R::own, f = R::folded, s = R::shortcut;
  CHECK(fusion_roles(block, Fusion::none) == std::vector<R>{o, o, o, o, o, o, o, o, o, o, o, o});
  // cuDNN fused BN: every ReLU after a BN or the add; bn3's kernel adds the shortcut (downsample.1's output).
  CHECK(fusion_roles(block, Fusion::bn_act) == std::vector<R>{o, o, f, o, o, f, o, o, o, o, s, f});
  // NormConv: bn1 and bn2 go into conv2's and conv3's prologues, downsample.1 into bn3's BN-add-ReLU kernel.
  CHECK(fusion_roles(block, Fusion::conv_bn) == std::vector<R>{o, f, f, o, f, f, o, o, o, f, s, f});
  CHECK(parse_fusion("conv_bn") == Fusion::conv_bn);
  CHECK_THROWS_AS(parse_fusion("fused"), InputError);

  // ResNet-18's layer1.1 (no projection): conv1 bn1 relu1 conv2 bn2 add relu2, every map 64 x 56 x 56. With
  // T = 64 x 56 x 56 x 4 bytes per image, a BN or ReLU moves 2T forward and 4T backward, the add 3T and 6T,
  // a fused add's shortcut T and 2T: memory-bound bytes per image without parameters
  //   none 2 BN + 2 ReLU + add = 12T + 12T + 9T = 33T;  bn_act 2 BN + shortcut = 15T;  conv_bn bn2 + shortcut = 9T.
  GpuKind gpu = GpuTable::builtin().at("A100");
  gpu.mem_efficiency = 0.5;
  gpu.launch_s = 0;
  const Model r18 = make_model("resnet18");
  REQUIRE(r18.blocks.at(2).name == "layer1.1");
  const double T = 64.0 * 56 * 56 * 4, batch = 32, bytes_per_s = 2039e9 * 0.5;
  const double bn_params = 2 * 64 * 4.0; // read forward, twice backward: 3 x per BN kept as its own kernel
  auto memory_s = [&](Fusion fusion) {
    const TrainBench b = bench_train(r18, gpu, MathMode::fp32, 32, fusion);
    double s = 0;
    for (const auto& row : b.layers)
      if (row.block == "layer1.1" && row.layer.kind != LayerKind::conv2d) s += row.roofline.time.forward_s + row.roofline.time.backward_s;
    return s;
  };
  CHECK(memory_s(Fusion::none) == Approx((33 * T * batch + 2 * 3 * bn_params) / bytes_per_s).epsilon(1e-12));
  CHECK(memory_s(Fusion::bn_act) == Approx((15 * T * batch + 2 * 3 * bn_params) / bytes_per_s).epsilon(1e-12));
  CHECK(memory_s(Fusion::conv_bn) == Approx((9 * T * batch + 3 * bn_params) / bytes_per_s).epsilon(1e-12));
  // A folded BatchNorm still updates its parameters.
  const TrainBench nc = bench_train(r18, gpu, MathMode::fp32, 32, Fusion::conv_bn);
  const TrainBenchLayer& bn1 = row(nc, "layer1.1.bn1");
  CHECK(bn1.role == FusedRole::folded);
  CHECK(bn1.roofline.kernels == 0);
  CHECK(bn1.roofline.time.update_s == Approx(5 * bn_params / bytes_per_s).epsilon(1e-12));
}
