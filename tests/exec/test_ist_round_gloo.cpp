// IST rounds on real Gloo ranks (threads of this process) held against a single-process reference that
// slices, trains and reassembles the network with its own indexing: the full network on rank 0 after
// the exchange, every rank's next sub-network, and the bytes of core's accounting.

#include <memory>

#include "core/comm.hpp"
#include "core/error.hpp"
#include "core/ist_partition.hpp"
#include "core/model_zoo.hpp"
#include "core/rng.hpp"
#include "core/schedule.hpp"
#include "exec/comm.hpp"
#include "exec/ist_round.hpp"
#include "exec/step.hpp"
#include "gloo_ranks.hpp"
// After the torch headers: glog (through torch) defines CHECK too; Catch's must win.
#undef CHECK
#include <catch2/catch.hpp>

using namespace resist;
using namespace resist::exec;

namespace {

RunConfig ist_config(const std::string& model, int workers) {
  RunConfig c;
  c.model = model;
  c.model_options = {1, 8, 10}; // 64 input features
  c.protocol = Protocol::ist;
  c.workers = workers;
  c.local_steps = 3;
  c.batch = 16;
  c.lr = 0.05;
  c.rounds = 2;
  c.train_size = 128;
  c.dataset = "synthetic";
  c.seed = 5;
  return c;
}

/// The nets take 1 x 8 x 8 inputs (64 features).
Dataset tiny_data(const RunConfig& c) { return test::tiny_data(c, 1); }

std::vector<torch::Tensor> copy_params(const PreActNetImpl& net) {
  std::vector<torch::Tensor> out;
  for (int b = 0; b < net.num_blocks(); ++b)
    for (const auto& p : net.block_params(b)) out.push_back(p.detach().clone());
  return out;
}

torch::Tensor ids(const std::vector<int>& v) { return torch::tensor(std::vector<std::int64_t>(v.begin(), v.end())); }

/// The reference's own slicing: layer i's weight restricted to worker w's rows (hidden layer i) and
/// columns (hidden layer i-1); the input layer keeps every column, the output layer every row.
std::pair<torch::Tensor, torch::Tensor> rows_cols(const Model& m, const IstPartition& p, int w, int i) {
  const int layers = static_cast<int>(m.blocks.size());
  torch::Tensor rows = i + 1 < layers ? ids(p.neurons[static_cast<std::size_t>(i)][static_cast<std::size_t>(w)])
                                      : torch::arange(m.mlp_dims.back());
  torch::Tensor cols = i > 0 ? ids(p.neurons[static_cast<std::size_t>(i - 1)][static_cast<std::size_t>(w)])
                             : torch::arange(m.mlp_dims.front());
  return {rows, cols};
}

void load_sub(PreActNetImpl& sub, const std::vector<torch::Tensor>& full, const Model& m, const IstPartition& p, int w) {
  torch::NoGradGuard no_grad;
  std::size_t f = 0;
  for (int i = 0; i < sub.num_blocks(); ++i) {
    const auto [rows, cols] = rows_cols(m, p, w, i);
    const auto& mine = sub.block_params(i);
    mine[0].copy_(full[f].index({rows.unsqueeze(1), cols.unsqueeze(0)}));
    for (std::size_t k = 1; k < mine.size(); ++k)
      mine[k].copy_(i + 1 < sub.num_blocks() ? full[f + k].index({rows}) : full[f + k]);
    f += mine.size();
  }
}

void store_sub(std::vector<torch::Tensor>& full, const PreActNetImpl& sub, const Model& m, const IstPartition& p, int w) {
  std::size_t f = 0;
  for (int i = 0; i < sub.num_blocks(); ++i) {
    const auto [rows, cols] = rows_cols(m, p, w, i);
    const auto& mine = sub.block_params(i);
    full[f].index_put_({rows.unsqueeze(1), cols.unsqueeze(0)}, mine[0].detach());
    if (i + 1 < sub.num_blocks())
      for (std::size_t k = 1; k < mine.size(); ++k) full[f + k].index_put_({rows}, mine[k].detach());
    f += mine.size();
  }
}

struct Reference {
  std::vector<torch::Tensor> initial, after; // the full network before and after round 0
  std::vector<std::vector<torch::Tensor>> trained; // each worker's sub-network after its local steps
};

/// Each worker's sub-network trained alone (plain SGD), written back; the output bias averaged.
Reference reference_round(const RunConfig& c) {
  const Schedule s = make_schedule(c);
  const Model m = make_model(c.model, c.model_options);
  const Dataset data = tiny_data(c);
  torch::manual_seed(derive_seed(c.seed, Stream::init));
  PreActNet full(m);
  Reference ref;
  ref.initial = copy_params(*full);
  ref.after = copy_params(*full);
  RunConfig plain = c;
  plain.momentum = 0;
  plain.weight_decay = 0;
  const IstPartition p = ist_partition_for_round(m, c.workers, c.seed, 0);
  torch::Tensor bias_sum = torch::zeros_like(ref.initial.back());
  for (int w = 0; w < c.workers; ++w) {
    PreActNet sub(ist_sub_model(m, p, w));
    load_sub(*sub, ref.initial, m, p, w);
    BatchSampler sampler(data, c.batch, s.rounds[0].workers[static_cast<std::size_t>(w)].data_seed);
    train_round(*sub, sampler, s.rounds[0], plain, std::vector<bool>(m.blocks.size(), true), torch::kCPU);
    store_sub(ref.after, *sub, m, p, w);
    ref.trained.push_back(copy_params(*sub));
    bias_sum += sub->block_params(sub->num_blocks() - 1).back().detach();
  }
  ref.after.back() = bias_sum / static_cast<double>(c.workers);
  return ref;
}

struct RankResult {
  std::vector<torch::Tensor> full, sub; // rank 0's full network; every rank's next sub-network
  std::vector<torch::Tensor> trained;   // every rank's sub-network after its local steps
  SyncStats stats;
};

std::vector<RankResult> run_distributed_round(const RunConfig& c) {
  const Schedule s = make_schedule(c);
  const Model m = make_model(c.model, c.model_options);
  const Dataset data = tiny_data(c);
  std::vector<RankResult> out(static_cast<std::size_t>(c.workers));
  test::run_gloo_ranks(c.workers, [&](Comm& comm, int r) {
    PreActNet net{nullptr};
    std::unique_ptr<IstRound> ist;
    // The full network's weights, then the sub-network's, which begin(0) overwrites with its slice.
    test::with_init_seed(derive_seed(c.seed, Stream::init), [&] {
      net = PreActNet(m);
      ist = std::make_unique<IstRound>(comm, *net, m, s, torch::kCPU);
      ist->begin(0);
    });
    BatchSampler sampler(data, c.batch, s.rounds[0].workers[static_cast<std::size_t>(r)].data_seed);
    ist->train(sampler, s.rounds[0], false, Precision::fp32);
    auto& res = out[static_cast<std::size_t>(r)];
    res.trained = copy_params(ist->subnet());
    res.stats = ist->sync_round(0);
    res.full = copy_params(*net);
    res.sub = copy_params(ist->subnet());
    comm.barrier("test end");
  });
  return out;
}

void check_round(const RunConfig& c) {
  const Schedule s = make_schedule(c);
  const Model m = make_model(c.model, c.model_options);
  const Reference ref = reference_round(c);
  const auto got = run_distributed_round(c);
  REQUIRE(got[0].full.size() == ref.after.size());
  for (std::size_t w = 0; w < got.size(); ++w) // the sub-networks trained independently, as the reference's
    for (std::size_t i = 0; i < ref.trained[w].size(); ++i) {
      INFO("rank " << w << " trained tensor " << i);
      CHECK(torch::allclose(got[w].trained[i], ref.trained[w][i], 1e-5, 1e-6));
    }
  for (std::size_t i = 0; i < ref.after.size(); ++i) {
    INFO("tensor " << i << " max abs difference " << (got[0].full[i] - ref.after[i]).abs().max().item<double>());
    CHECK(torch::allclose(got[0].full[i], ref.after[i], 1e-5, 1e-6));
    CHECK_FALSE(torch::equal(ref.after[i], ref.initial[i])); // every tensor was trained by someone
  }
  // Every rank now holds round 1's slice of the reference network.
  const IstPartition next = ist_partition_for_round(m, c.workers, c.seed, 1);
  const auto predicted = payload_bytes(round_comm_plan(s, m, 0), c.workers);
  for (int w = 0; w < c.workers; ++w) {
    INFO("rank " << w);
    PreActNet expect(ist_sub_model(m, next, w));
    load_sub(*expect, ref.after, m, next, w);
    const auto want = copy_params(*expect);
    const auto& sub = got[static_cast<std::size_t>(w)].sub;
    REQUIRE(sub.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(torch::allclose(sub[i], want[i], 1e-5, 1e-6));
    CHECK(got[static_cast<std::size_t>(w)].stats.bytes_sent == predicted[static_cast<std::size_t>(w)].sent);
    CHECK(got[static_cast<std::size_t>(w)].stats.bytes_received == predicted[static_cast<std::size_t>(w)].received);
  }
}

} // namespace

TEST_CASE("IST slices: extract then insert is the identity, slices are disjoint", "[exec]") {
  const Model m = make_model("mlp_fmnist", {1, 8, 10});
  torch::manual_seed(3);
  PreActNet full(m);
  const IstPartition p = ist_partition_for_round(m, 3, 9, 4);
  const auto before = copy_params(*full);
  std::int64_t total = 0;
  for (int w = 0; w < 3; ++w) {
    const torch::Tensor slice = ist_extract_slice(*full, p, w);
    CHECK(slice.numel() == ist_worker_params(m, p, w));
    total += slice.numel();
    ist_insert_slice(*full, p, w, slice + 1); // changes exactly the entries worker w holds
  }
  const auto after = copy_params(*full);
  std::int64_t changed = 0;
  for (std::size_t i = 0; i < after.size(); ++i) changed += after[i].ne(before[i]).sum().item<std::int64_t>();
  CHECK(changed == total); // no entry is held by two workers (the output bias is held by none)
  REQUIRE_THROWS_AS(ist_insert_slice(*full, p, 0, torch::zeros({3})), Error);
}

TEST_CASE("2-rank IST round, 3-layer net: exchange equals a single-process reference, bytes = core", "[exec][gloo]") {
  at::set_num_threads(1);
  check_round(ist_config("mlp_fmnist", 2));
}

TEST_CASE("3-rank IST round, 2-layer net: exchange equals a single-process reference, bytes = core", "[exec][gloo]") {
  at::set_num_threads(1);
  check_round(ist_config("mlp_fmnist_2l_wide", 3));
}

TEST_CASE("IST slices equal the reference's own indexing of the full network", "[exec]") {
  at::set_num_threads(1);
  const RunConfig c = ist_config("mlp_fmnist", 2);
  const Model m = make_model(c.model, c.model_options);
  torch::manual_seed(derive_seed(c.seed, Stream::init));
  PreActNet full(m);
  const auto init = copy_params(*full);
  const IstPartition p = ist_partition_for_round(m, 2, c.seed, 0);
  PreActNet a(ist_sub_model(m, p, 1));
  load_sub(*a, init, m, p, 1);
  const torch::Tensor flat = ist_extract_slice(*full, p, 1);
  std::vector<torch::Tensor> parts;
  const auto pa = copy_params(*a);
  for (std::size_t i = 0; i + 1 < pa.size(); ++i) parts.push_back(pa[i].reshape({-1}));
  const torch::Tensor mine = torch::cat(parts);
  REQUIRE(mine.numel() == flat.numel());
  CHECK(torch::equal(mine, flat)); // the sub-network's parameters in order, the output bias left out
}
