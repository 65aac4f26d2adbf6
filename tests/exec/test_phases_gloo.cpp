// A local SGD warm-up followed by ResIST (--local-sgd-warmup-rounds) on 2 real Gloo ranks (threads of this
// process): after the warm-up the parameters are a pure local SGD run's, then the rounds go on as ResIST, and
// every round's bytes are core's prediction (the transition round's too).

#include <algorithm>

#include "core/comm.hpp"
#include "core/model_zoo.hpp"
#include "core/rng.hpp"
#include "core/schedule.hpp"
#include "exec/aggregate.hpp"
#include "exec/comm.hpp"
#include "exec/step.hpp"
#include "gloo_ranks.hpp"
// After the torch headers: glog (through torch) defines CHECK too; Catch's must win.
#undef CHECK
#include <catch2/catch.hpp>

using namespace resist;
using namespace resist::exec;

namespace {

using BlockParams = std::vector<std::vector<torch::Tensor>>; // [block][tensor]

RunConfig tiny_config(Protocol protocol, int warmup_rounds) {
  RunConfig c;
  c.model = "preact_resnet_small";
  c.model_options = {3, 8, 10};
  c.protocol = protocol;
  c.workers = 2;
  c.local_steps = 2;
  c.batch = 16;
  c.lr = 0.05;
  c.rounds = 4; // the same length for both runs: the same learning rates step by step
  c.train_size = 64;
  c.dataset = "synthetic";
  c.seed = 11;
  c.local_sgd_warmup_rounds = warmup_rounds;
  return c;
}

/// The trainer's rule: shared blocks always, partitioned blocks when the round gives them to the worker.
std::vector<bool> active_blocks(const Schedule& s, const Model& m, int round, int worker) {
  std::vector<bool> a(m.blocks.size(), true);
  if (s.config.protocol != Protocol::resist) return a;
  for (int b : s.partitionable) a[static_cast<std::size_t>(b)] = false;
  for (int b : s.rounds[static_cast<std::size_t>(round)].workers[static_cast<std::size_t>(worker)].blocks)
    a[static_cast<std::size_t>(b)] = true;
  return a;
}

struct RankRun {
  std::vector<BlockParams> after_round; // [round][block][tensor], after the round's aggregation
  std::vector<SyncStats> stats;
  std::vector<int> active_count;        // blocks trained in each round
};

/// Every round of the schedule on 2 ranks: train, aggregate, copy the parameters.
std::vector<RankRun> run(const RunConfig& c) {
  const Schedule s = make_schedule(c);
  const Model m = make_model(c.model, c.model_options);
  const Dataset data = test::tiny_data(c);
  std::vector<RankRun> out(static_cast<std::size_t>(c.workers));
  test::run_gloo_ranks(c.workers, [&](Comm& comm, int r) {
    PreActNet net{nullptr};
    test::with_init_seed(derive_seed(c.seed, Stream::init), [&] { net = PreActNet(m); });
    Aggregator agg(comm, *net, m, s);
    BatchSampler sampler(data, c.batch, s.rounds[0].workers[static_cast<std::size_t>(r)].data_seed);
    RankRun& mine = out[static_cast<std::size_t>(r)];
    for (int k = 0; k < static_cast<int>(s.rounds.size()); ++k) {
      const auto active = active_blocks(s, m, k, r);
      mine.active_count.push_back(static_cast<int>(std::count(active.begin(), active.end(), true)));
      train_round(*net, sampler, s.rounds[static_cast<std::size_t>(k)], c, active, torch::kCPU);
      mine.stats.push_back(agg.sync_round(k));
      BlockParams p(static_cast<std::size_t>(net->num_blocks()));
      for (int b = 0; b < net->num_blocks(); ++b)
        for (const auto& t : net->block_params(b)) p[static_cast<std::size_t>(b)].push_back(t.detach().clone());
      mine.after_round.push_back(std::move(p));
    }
    comm.barrier("test end");
  });
  return out;
}

bool same(const BlockParams& a, const BlockParams& b) {
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = 0; j < a[i].size(); ++j)
      if (!torch::allclose(a[i][j], b[i][j], 1e-6, 1e-7)) return false;
  return true;
}

} // namespace

TEST_CASE("2-rank local SGD warm-up then ResIST: after the warm-up a local SGD run's parameters, then ResIST",
          "[exec][gloo]") {
  const int warmup = 2;
  const RunConfig phased = tiny_config(Protocol::resist, warmup);
  const RunConfig local = tiny_config(Protocol::local_sgd, 0);
  const auto a = run(phased);
  const auto b = run(local);
  const Schedule s = make_schedule(phased);
  const Model m = make_model(phased.model, phased.model_options);
  for (int w = 0; w < phased.workers; ++w) {
    INFO("rank " << w);
    const auto& ra = a[static_cast<std::size_t>(w)];
    const auto& rb = b[static_cast<std::size_t>(w)];
    for (int k = 0; k < warmup; ++k) { // warm-up rounds: the full model, averaged as local SGD averages it
      INFO("round " << k);
      CHECK(ra.active_count[static_cast<std::size_t>(k)] == static_cast<int>(m.blocks.size()));
      CHECK(same(ra.after_round[static_cast<std::size_t>(k)], rb.after_round[static_cast<std::size_t>(k)]));
    }
    // Then ResIST: each rank trains a sub-network, and the runs part.
    CHECK(ra.active_count[warmup] < static_cast<int>(m.blocks.size()));
    CHECK_FALSE(same(ra.after_round.back(), rb.after_round.back()));
    for (int k = 0; k < static_cast<int>(s.rounds.size()); ++k) { // bytes = core's plan, the transition's too
      INFO("round " << k);
      const auto predicted = payload_bytes(round_comm_plan(s, m, k), phased.workers)[static_cast<std::size_t>(w)];
      CHECK(ra.stats[static_cast<std::size_t>(k)].bytes_sent == predicted.sent);
      CHECK(ra.stats[static_cast<std::size_t>(k)].bytes_received == predicted.received);
    }
  }
}
