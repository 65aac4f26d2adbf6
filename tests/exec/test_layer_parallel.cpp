// layer_parallel for real: K ranks as threads of this process exchanging targets and activations over
// Gloo point to point. Checked against the same local losses computed in one process, step by step
// (every module and AuxNet on one thread, the tensors passed by hand), and against core's bytes; a
// neighbour that never sends ends the step with an error after the c10d timeout, not a hang (CTest's
// timeout would catch a hang).

#include <chrono>
#include <memory>
#include <thread>

#include "core/error.hpp"
#include "core/layer_parallel.hpp"
#include "core/model_zoo.hpp"
#include "core/rng.hpp"
#include "core/schedule.hpp"
#include "exec/comm.hpp"
#include "exec/layer_parallel_step.hpp"
#include "gloo_ranks.hpp"
// After the torch headers: glog (through torch) defines CHECK too; Catch's must win.
#undef CHECK
#include <catch2/catch.hpp>

using namespace resist;
using namespace resist::exec;
using resist::exec::test::tiny_data;

namespace {

RunConfig tiny_config(int workers, LpMethod method) {
  RunConfig c;
  c.model = "preact_resnet_small";
  c.model_options = {3, 8, 10};
  c.protocol = Protocol::layer_parallel;
  c.layer_parallel.method = method;
  c.layer_parallel.beta = 50.0;
  c.layer_parallel.aux_width = 8;
  c.workers = workers;
  c.local_steps = 3;
  c.batch = 16;
  c.lr = 0.05;
  c.rounds = 1;
  c.train_size = 128;
  c.dataset = "synthetic";
  c.seed = 11;
  return c;
}

std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& ps) {
  std::vector<torch::Tensor> out;
  for (const auto& p : ps) out.push_back(p.detach().clone());
  return out;
}

struct RankOut {
  std::vector<torch::Tensor> module, aux; // parameters after the round
  std::vector<double> losses;             // per step
  SyncStats bytes;
};

torch::optim::SGD sgd(const std::vector<torch::Tensor>& ps, const RunConfig& c, double lr) {
  return torch::optim::SGD(ps, torch::optim::SGDOptions(lr).momentum(c.momentum).weight_decay(c.weight_decay));
}

/// Round 0 on K ranks (threads), step by step through LayerParallelWorker::step.
std::vector<RankOut> run_distributed(const RunConfig& c) {
  const Schedule s = make_schedule(c);
  const Model m = make_model(c.model, c.model_options);
  const Dataset data = tiny_data(c);
  std::vector<RankOut> out(static_cast<std::size_t>(c.workers));
  test::run_gloo_ranks(c.workers, [&](Comm& comm, int r) {
    PreActNet net{nullptr};
    std::unique_ptr<LayerParallelWorker> worker;
    test::with_init_seed(derive_seed(c.seed, Stream::init), [&] {
      net = PreActNet(m);
      worker = std::make_unique<LayerParallelWorker>(comm, *net, m, s, torch::kCPU);
    });
    const Round& round = s.rounds[0];
    BatchSampler sampler(data, c.batch, round.workers[static_cast<std::size_t>(r)].data_seed);
    // The trainer's foreach SGD here, LibTorch's torch::optim::SGD in the single-process reference.
    Sgd mopt(worker->module_params(), {round.lr_at(0), c.momentum, c.weight_decay});
    std::unique_ptr<Sgd> aopt;
    if (worker->auxnet()) aopt = std::make_unique<Sgd>(worker->auxnet()->parameters(), Sgd::Options{round.lr_at(0), c.momentum, c.weight_decay});
    RankOut& o = out[static_cast<std::size_t>(r)];
    StepStats st;
    for (int k = 0; k < round.steps; ++k) {
      auto [x, y] = sampler.batch(round.first_step + k);
      o.losses.push_back(worker->step(x, y, mopt, aopt.get(), st));
    }
    o.bytes = st.comm;
    o.module = copies(worker->module_params());
    if (worker->auxnet()) o.aux = copies(worker->auxnet()->parameters());
    comm.barrier("test end");
  });
  return out;
}

/// The same round in one thread: every module and AuxNet here, the local losses of the penalty (or
/// augmented Lagrangian) objective written out, the cut tensors handed over directly.
std::vector<RankOut> run_single_process(const RunConfig& c) {
  at::set_num_threads(1);
  const Schedule s = make_schedule(c);
  const Model m = make_model(c.model, c.model_options);
  const Dataset data = tiny_data(c);
  const LayerParallelCut cut{s.module_first_block};
  const int K = c.workers;
  const double beta = c.layer_parallel.beta;
  const bool al = c.layer_parallel.method == LpMethod::augmented_lagrangian;
  torch::manual_seed(derive_seed(c.seed, Stream::init));
  PreActNet net(m);
  std::vector<AuxNet> aux(static_cast<std::size_t>(K), AuxNet{nullptr});
  std::vector<torch::Tensor> mu(static_cast<std::size_t>(K)); // per cut
  for (int k = 1; k < K; ++k) {
    aux[static_cast<std::size_t>(k)] = make_auxnet(s, m, k);
    const CutShape sh = cut_shape(m, cut, k);
    mu[static_cast<std::size_t>(k)] = torch::zeros({sh.channels, sh.h, sh.w});
  }
  auto module_params = [&](int k) {
    std::vector<torch::Tensor> ps;
    for (int b = cut.first_block[static_cast<std::size_t>(k)]; b < cut.first_block[static_cast<std::size_t>(k) + 1]; ++b)
      for (const auto& p : net->block_params(b)) ps.push_back(p);
    return ps;
  };
  const Round& round = s.rounds[0];
  std::vector<torch::optim::SGD> mopt, aopt;
  for (int k = 0; k < K; ++k) mopt.push_back(sgd(module_params(k), c, round.lr_at(0)));
  for (int k = 1; k < K; ++k) aopt.push_back(sgd(aux[static_cast<std::size_t>(k)]->parameters(), c, round.lr_at(0)));
  std::vector<RankOut> out(static_cast<std::size_t>(K));
  BatchSampler sampler(data, c.batch, round.workers[0].data_seed);
  for (int step = 0; step < round.steps; ++step) {
    auto [x, y] = sampler.batch(round.first_step + step);
    const double B = static_cast<double>(x.size(0));
    std::vector<torch::Tensor> lambda(static_cast<std::size_t>(K)), in(static_cast<std::size_t>(K)),
        act(static_cast<std::size_t>(K));
    {
      torch::NoGradGuard ng;
      for (int k = 1; k < K; ++k) lambda[static_cast<std::size_t>(k)] = aux[static_cast<std::size_t>(k)]->forward(x);
    }
    for (int k = 0; k < K; ++k) {
      const auto ku = static_cast<std::size_t>(k);
      in[ku] = k == 0 ? x : lambda[ku].clone().requires_grad_(true);
      mopt[ku].zero_grad();
      const torch::Tensor o = net->forward_range(in[ku], cut.first_block[ku], cut.first_block[ku + 1]);
      torch::Tensor loss;
      if (k == K - 1) {
        loss = torch::nn::functional::cross_entropy(o, y);
      } else {
        const torch::Tensor d = o - lambda[ku + 1];
        const double D = static_cast<double>(d[0].numel());
        loss = 0.5 * (d * d).sum() / (B * D);                         // (beta/2D)||d||^2 / beta
        if (al) loss = loss + (mu[ku + 1] * d).sum() / (B * D * beta); // <mu, d>/D / beta
      }
      loss.backward();
      mopt[ku].step();
      act[ku] = o.detach();
      out[ku].losses.push_back(loss.item<double>());
    }
    for (int k = 1; k < K; ++k) {
      const auto ku = static_cast<std::size_t>(k);
      const torch::Tensor mu_before = mu[ku].clone();
      if (al) mu[ku] += beta * (act[ku - 1] - lambda[ku]).mean(0);
      const double D = static_cast<double>(act[ku - 1][0].numel());
      // The objective's gradient in lambda: the last module's loss is its term, the others' 1/beta of theirs.
      const torch::Tensor grad = (k == K - 1 ? 1.0 : beta) * B * D * in[ku].grad();
      const torch::Tensor target = act[ku - 1] - (grad - mu_before) / beta;
      aopt[ku - 1].zero_grad();
      const torch::Tensor z = aux[ku]->forward(x);
      (0.5 * (z - target).pow(2).sum() / (B * D)).backward();
      aopt[ku - 1].step();
    }
  }
  for (int k = 0; k < K; ++k) {
    out[static_cast<std::size_t>(k)].module = copies(module_params(k));
    if (k > 0) out[static_cast<std::size_t>(k)].aux = copies(aux[static_cast<std::size_t>(k)]->parameters());
  }
  return out;
}

double max_abs_diff(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  REQUIRE(a.size() == b.size());
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, (a[i] - b[i]).abs().max().item<double>());
  return d;
}

} // namespace

TEST_CASE("layer_parallel steps over Gloo equal the same local losses computed in one process", "[exec]") {
  for (LpMethod method : {LpMethod::penalty, LpMethod::augmented_lagrangian})
    for (int K : {2, 3}) {
      const RunConfig c = tiny_config(K, method);
      const auto dist = run_distributed(c);
      const auto ref = run_single_process(c);
      for (int k = 0; k < K; ++k) {
        const auto ku = static_cast<std::size_t>(k);
        INFO(to_string(method) << ", K = " << K << ", rank " << k);
        REQUIRE(dist[ku].losses.size() == ref[ku].losses.size());
        for (std::size_t i = 0; i < ref[ku].losses.size(); ++i)
          CHECK(dist[ku].losses[i] == Approx(ref[ku].losses[i]).epsilon(1e-5));
        CHECK(max_abs_diff(dist[ku].module, ref[ku].module) < 1e-5);
        CHECK(dist[ku].aux.size() == (k == 0 ? 0u : 4u)); // conv1, bn1 weight and bias, conv2
        if (k > 0) CHECK(max_abs_diff(dist[ku].aux, ref[ku].aux) < 1e-5);
      }
      // The modules did train: parameters moved from their initial values.
      torch::manual_seed(derive_seed(c.seed, Stream::init));
      PreActNet init(make_model(c.model, c.model_options));
      const torch::Tensor stem = init->block_params(0).front(); // module 0's first tensor
      CHECK((dist[0].module.front() - stem).abs().max().item<double>() > 0);
    }
}

TEST_CASE("layer_parallel bytes on the wire equal core's accounting", "[exec]") {
  const RunConfig c = tiny_config(3, LpMethod::penalty);
  const Schedule s = make_schedule(c);
  const auto dist = run_distributed(c);
  const auto core = payload_bytes(round_comm_plan(s, make_model(c.model, c.model_options), 0), 3);
  for (int k = 0; k < 3; ++k) {
    INFO("rank " << k);
    CHECK(dist[static_cast<std::size_t>(k)].bytes.bytes_sent == core[static_cast<std::size_t>(k)].sent);
    CHECK(dist[static_cast<std::size_t>(k)].bytes.bytes_received == core[static_cast<std::size_t>(k)].received);
    CHECK(core[static_cast<std::size_t>(k)].sent > 0);
  }
}

TEST_CASE("a layer_parallel neighbour that never sends ends the step with an error, not a hang", "[exec]") {
  const RunConfig c = tiny_config(2, LpMethod::penalty);
  const Schedule s = make_schedule(c);
  const Model m = make_model(c.model, c.model_options);
  const Dataset data = tiny_data(c);
  std::string error;
  test::run_gloo_ranks(2, [&](Comm& comm, int r) {
    PreActNet net{nullptr};
    std::unique_ptr<LayerParallelWorker> worker;
    test::with_init_seed(derive_seed(c.seed, Stream::init), [&] {
      net = PreActNet(m);
      worker = std::make_unique<LayerParallelWorker>(comm, *net, m, s, torch::kCPU);
    });
    if (r == 1) { // hangs: never steps, holds its sockets open past rank 0's timeout
      std::this_thread::sleep_for(std::chrono::seconds(4));
      return;
    }
    BatchSampler sampler(data, c.batch, s.rounds[0].workers[0].data_seed);
    try {
      worker->train_round(sampler, s.rounds[0]);
    } catch (const resist::Error& e) {
      error = e.what();
    }
  }, 2); // a 2 s timeout for every c10d operation
  CHECK_THAT(error, Catch::Contains("layer_parallel target from rank 1"));
}
