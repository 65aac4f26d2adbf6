// layer_parallel in the simulator: with free communication and balanced modules, the speedup over
// layer-serial training is the bound of reference/auxnet-method.md,
//   rho(K) = (T_d + T_f + T_b) / (T_d + t_psi + t_f^lambda + t_b^lambda + (T_f + T_b) / K),
// with the module times set by a measured profile (equal per module) and the AuxNet's by the roofline
// restated here; and a slow link or a slow module holds everyone back.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <fstream>

#include "core/layer_parallel.hpp"
#include "core/model_zoo.hpp"
#include "sim/gpu_model.hpp"
#include "sim_test_util.hpp"

using namespace resist;
using namespace resist::sim;

namespace {

constexpr double kModuleForwardS = 0.010, kModuleBackwardS = 0.020, kDataS = 0.004;
constexpr int kBatch = 32, kRounds = 2, kSteps = 5;
// Links so fast and so close that communication costs nothing measurable.
constexpr const char* kFreePlatform =
    "parametric:gpus_per_node=1,intra_bw_GBps=1e6,intra_latency_us=0,nic_bw_GBps=1e6,inter_latency_us=0,"
    "collective_latency_s=0,group_create_s=0,group_create_per_peer_s=0";

RunConfig config(Protocol p, int workers) {
  RunConfig c;
  c.model = "preact_resnet_small";
  c.model_options = {1, 28, 10};
  c.dataset = "fashion_mnist";
  c.protocol = p;
  c.workers = workers;
  c.batch = kBatch;
  c.rounds = kRounds;
  c.local_steps = kSteps;
  return c;
}

/// A complete profile in which each module of `cut` takes the same forward and backward seconds (spread
/// evenly over its layers) and loading a batch kDataS; nothing else costs anything.
std::string balanced_profile(const Model& m, const LayerParallelCut& cut, const std::string& path) {
  std::ofstream f(path);
  f << "# resist profile v1\n# model=preact_resnet_small in_channels=1 image_size=28 classes=10\n"
    << "# device=cpu threads=1 ranks_sharing=1 precision=fp32 repeats=1 warmup=0\n"
    << "layer,batch,forward_s,backward_s,forward_cpu_s,backward_cpu_s\n";
  for (int k = 0; k < cut.modules(); ++k) {
    int layers = 0;
    for (int b = cut.first_block[static_cast<std::size_t>(k)]; b < cut.first_block[static_cast<std::size_t>(k) + 1]; ++b)
      layers += static_cast<int>(m.blocks[static_cast<std::size_t>(b)].layers.size());
    const double fw = kModuleForwardS / layers, bw = kModuleBackwardS / layers;
    for (int b = cut.first_block[static_cast<std::size_t>(k)]; b < cut.first_block[static_cast<std::size_t>(k) + 1]; ++b)
      for (const Layer& l : m.blocks[static_cast<std::size_t>(b)].layers)
        f << fmt::format("{},{},{:.17g},{:.17g},{:.17g},{:.17g}\n", l.name, kBatch, fw, bw, fw, bw);
  }
  f << fmt::format("@batch,{},{:.17g},0,{:.17g},0\n", kBatch, kDataS, kDataS);
  return path;
}

} // namespace

TEST_CASE("free communication and balanced modules reduce layer_parallel to the speedup bound", "[sim][closed-form]") {
  const Model m = make_model("preact_resnet_small", {1, 28, 10});
  const GpuKind& gpu = GpuTable::builtin().at("V100");
  for (int K : {2, 4}) {
    const Schedule lp = make_schedule(config(Protocol::layer_parallel, K));
    const LayerParallelCut cut{lp.module_first_block};
    const std::string path = fmt::format("lp_balanced_{}.csv", K);
    SimOptions o;
    o.platform = kFreePlatform;
    o.gpu = "V100";
    o.profile = balanced_profile(m, cut, path);
    const SimResult parallel = simulate(lp, o);
    const SimResult serial = simulate(make_schedule(config(Protocol::data_parallel, 1)), o); // layer-serial
    std::remove(path.c_str());

    // The AuxNets by hand: generation = forward; refit = forward + backward + update. Every rank waits for
    // its neighbours, so the slowest AuxNet sets the pace.
    double t_psi = 0, t_f = 0, t_b = 0;
    for (int c = 1; c < K; ++c) {
      StepTime aux;
      for (const Layer& l : auxnet_layers(m, cut_shape(m, cut, c), lp.config.layer_parallel.aux_width, c)) {
        const StepTime t = roofline_layer_time(l, gpu, MathMode::fp32, kBatch);
        aux.forward_s += t.forward_s;
        aux.backward_s += t.backward_s;
        aux.update_s += t.update_s;
      }
      if (2 * aux.forward_s + aux.backward_s + aux.update_s > t_psi + t_f + t_b) {
        t_psi = aux.forward_s;
        t_f = aux.forward_s;
        t_b = aux.backward_s + aux.update_s;
      }
    }
    const double T_d = kDataS, T_f = K * kModuleForwardS, T_b = K * kModuleBackwardS;
    const double rho = (T_d + T_f + T_b) / (T_d + t_psi + t_f + t_b + (T_f + T_b) / K);
    INFO("K = " << K << ", serial " << serial.total_s << " s, layer_parallel " << parallel.total_s << " s");
    CHECK(serial.total_s == Approx(kRounds * kSteps * (T_d + T_f + T_b)).epsilon(1e-6));
    CHECK(serial.total_s / parallel.total_s == Approx(rho).epsilon(1e-6));
    CHECK(rho > 1);
    CHECK(rho < (T_d + T_f + T_b) / (T_d + t_psi + t_f + t_b)); // below the K -> infinity limit
  }
}

TEST_CASE("a slow link and a slow module slow every layer_parallel rank", "[sim]") {
  const Schedule lp = make_schedule(config(Protocol::layer_parallel, 4));
  SimOptions o;
  o.platform = kFreePlatform;
  o.gpu = "V100";
  const SimResult base = simulate(lp, o);
  // Each rank sends and receives core's bytes.
  const auto plan_bytes = payload_bytes(round_comm_plan(lp, make_model(lp.config.model, lp.config.model_options), 0), 4);
  for (int w = 0; w < 4; ++w)
    CHECK(base.worker_bytes[static_cast<std::size_t>(w)].sent == kRounds * plan_bytes[static_cast<std::size_t>(w)].sent);
  SimOptions slow_link = o;
  slow_link.platform = "parametric:gpus_per_node=1,intra_bw_GBps=1e6,intra_latency_us=0,nic_bw_GBps=0.1,"
                       "inter_latency_us=0,collective_latency_s=0,group_create_s=0,group_create_per_peer_s=0";
  CHECK(simulate(lp, slow_link).total_s > base.total_s);
  SimOptions straggler = o;
  straggler.speed_factors[3] = 0.5;
  const SimResult slow = simulate(lp, straggler);
  CHECK(slow.total_s > base.total_s);
  // Rank 0's module is not slower, yet it waits for rank 3 through its neighbours.
  CHECK(slow.idle_s + slow.comm_s > base.idle_s + base.comm_s);
}
