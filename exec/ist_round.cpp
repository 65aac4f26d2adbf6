#include "exec/ist_round.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace resist::exec {

namespace {

constexpr int kGatherTag = 11;
constexpr int kScatterTag = 12;
constexpr int kBeginTag = 13;


/// Rows and columns worker w holds of layer i's weight (d_{i+1}, d_i): its neurons of hidden layer i
/// (every row of the output layer) by its neurons of hidden layer i-1 (every column of the input layer).
struct SliceIndex {
  torch::Tensor rows, cols; // int64, ascending
  bool hidden = false;      // a hidden layer: bias and BN entries follow its rows
};

std::vector<SliceIndex> slice_index(const PreActNetImpl& full, const IstPartition& p, int w, const torch::Device& device) {
  const int layers = full.num_blocks();
  const auto as_tensor = [&](const std::vector<int>& v) {
    return torch::tensor(std::vector<std::int64_t>(v.begin(), v.end()), torch::kInt64).to(device);
  };
  const auto all = [&](std::int64_t n) { return torch::arange(n, torch::TensorOptions(torch::kInt64).device(device)); };
  std::vector<SliceIndex> out;
  for (int i = 0; i < layers; ++i) {
    const torch::Tensor& weight = full.block_params(i).front(); // [d_{i+1}, d_i]
    SliceIndex s;
    s.hidden = i + 1 < layers;
    s.rows = s.hidden ? as_tensor(p.neurons.at(static_cast<std::size_t>(i)).at(static_cast<std::size_t>(w))) : all(weight.size(0));
    s.cols = i > 0 ? as_tensor(p.neurons.at(static_cast<std::size_t>(i - 1)).at(static_cast<std::size_t>(w))) : all(weight.size(1));
    out.push_back(std::move(s));
  }
  return out;
}

} // namespace

torch::Tensor ist_extract_slice(const PreActNetImpl& full, const IstPartition& partition, int worker) {
  torch::NoGradGuard no_grad;
  const auto device = full.block_params(0).front().device();
  const auto index = slice_index(full, partition, worker, device);
  std::vector<torch::Tensor> parts;
  for (int i = 0; i < full.num_blocks(); ++i) {
    const auto& params = full.block_params(i); // weight, bias[, BN weight, BN bias]
    const SliceIndex& s = index[static_cast<std::size_t>(i)];
    parts.push_back(params[0].detach().index_select(0, s.rows).index_select(1, s.cols).reshape({-1}));
    if (s.hidden)
      for (std::size_t k = 1; k < params.size(); ++k) parts.push_back(params[k].detach().index_select(0, s.rows));
  }
  return torch::cat(parts); // [ist_worker_params]
}

void ist_insert_slice(PreActNetImpl& full, const IstPartition& partition, int worker, const torch::Tensor& flat) {
  torch::NoGradGuard no_grad;
  const auto device = full.block_params(0).front().device();
  const auto index = slice_index(full, partition, worker, device);
  std::int64_t at = 0;
  auto take = [&](std::int64_t n) {
    if (at + n > flat.numel()) throw Error(fmt::format("IST slice of worker {}: {} values, more expected", worker, flat.numel()));
    torch::Tensor t = flat.narrow(0, at, n);
    at += n;
    return t;
  };
  for (int i = 0; i < full.num_blocks(); ++i) {
    const auto& params = full.block_params(i);
    const SliceIndex& s = index[static_cast<std::size_t>(i)];
    torch::Tensor w = params[0].detach();
    const std::int64_t r = s.rows.numel(), c = s.cols.numel();
    torch::Tensor rows = w.index_select(0, s.rows);                 // [r, d_i]
    rows.index_copy_(1, s.cols, take(r * c).view({r, c}));          // its columns replaced
    w.index_copy_(0, s.rows, rows);
    if (s.hidden)
      for (std::size_t k = 1; k < params.size(); ++k) params[k].detach().index_copy_(0, s.rows, take(r));
  }
  if (at != flat.numel()) throw Error(fmt::format("IST slice of worker {}: {} values, {} expected", worker, flat.numel(), at));
}

IstRound::IstRound(Comm& comm, PreActNetImpl& full, const Model& model, const Schedule& schedule,
                   const torch::Device& device)
    : comm_(comm), full_(full), model_(model), schedule_(schedule), device_(device), plain_sgd_(schedule.config) {
  check_ist_shape(model, comm.size());
  plain_sgd_.momentum = 0;
  plain_sgd_.weight_decay = 0;
}

torch::Tensor IstRound::output_bias(PreActNetImpl& net) const {
  return net.block_params(net.num_blocks() - 1).back().detach(); // shares the parameter's storage
}

torch::Tensor IstRound::flatten_sub() const {
  std::vector<torch::Tensor> parts;
  const int last = sub_->num_blocks() - 1;
  for (int b = 0; b <= last; ++b) {
    const auto& params = sub_->block_params(b);
    const std::size_t n = b == last ? params.size() - 1 : params.size(); // the shared output bias apart
    for (std::size_t k = 0; k < n; ++k) parts.push_back(params[k].detach().reshape({-1}));
  }
  return torch::cat(parts);
}

void IstRound::unflatten_sub(const torch::Tensor& flat) {
  torch::NoGradGuard no_grad;
  std::int64_t at = 0;
  const int last = sub_->num_blocks() - 1;
  for (int b = 0; b <= last; ++b) {
    const auto& params = sub_->block_params(b);
    const std::size_t n = b == last ? params.size() - 1 : params.size();
    for (std::size_t k = 0; k < n; ++k) {
      params[k].detach().copy_(flat.narrow(0, at, params[k].numel()).view_as(params[k]));
      at += params[k].numel();
    }
  }
  if (at != flat.numel()) throw Error(fmt::format("IST slice: {} values for a sub-network of {}", flat.numel(), at));
}

void IstRound::begin(int round) {
  const RunConfig& c = schedule_.config;
  partition_ = ist_partition_for_round(model_, c.workers, c.seed, round);
  sub_ = PreActNet(ist_sub_model(model_, partition_, comm_.rank()));
  sub_->to(device_);
  {
    torch::NoGradGuard no_grad;
    output_bias(*sub_).copy_(output_bias(full_));
  }
  if (round == 0 || comm_.size() == 1) {
    unflatten_sub(ist_extract_slice(full_, partition_, comm_.rank()));
    return;
  }
  // After a resume only rank 0's full network holds the last round's weights.
  std::vector<Work> works;
  std::vector<torch::Tensor> keep;
  if (comm_.rank() == 0) {
    unflatten_sub(ist_extract_slice(full_, partition_, 0));
    for (int w = 1; w < comm_.size(); ++w) {
      keep.push_back(torch::cat({ist_extract_slice(full_, partition_, w), output_bias(full_).detach()}));
      works.push_back(comm_.send(keep.back(), w, kBeginTag));
    }
    comm_.wait_all(works, fmt::format("round {} IST start", round));
  } else {
    torch::Tensor buf = torch::empty({ist_worker_params(model_, partition_, comm_.rank()) + ist_shared_params(model_)},
                                     torch::TensorOptions(torch::kFloat32).device(device_));
    works.push_back(comm_.recv(buf, 0, kBeginTag));
    comm_.wait_all(works, fmt::format("round {} IST start", round));
    const std::int64_t bias = ist_shared_params(model_);
    unflatten_sub(buf.narrow(0, 0, buf.numel() - bias));
    torch::NoGradGuard no_grad;
    output_bias(*sub_).copy_(buf.narrow(0, buf.numel() - bias, bias));
  }
}

StepStats IstRound::train(BatchSampler& sampler, const Round& round, bool poison, Precision precision) {
  const std::vector<bool> all(static_cast<std::size_t>(sub_->num_blocks()), true);
  return train_round(*sub_, sampler, round, plain_sgd_, all, device_, nullptr, poison, precision);
}

SyncStats IstRound::sync_round(int round) {
  torch::NoGradGuard no_grad;
  const int rank = comm_.rank(), size = comm_.size();
  SyncStats st;
  // 1. The output bias: everyone trained it, so it is averaged.
  torch::Tensor bias = output_bias(*sub_).detach().clone();
  st.bytes_sent += bytes_of(bias);
  if (size > 1) {
    std::vector<Work> w{comm_.allreduce(bias, comm_.everyone())};
    comm_.wait_all(w, fmt::format("round {} IST output bias", round));
    bias.div_(size); // Gloo has no AVG
  }
  st.bytes_received += bytes_of(bias);
  output_bias(*sub_).copy_(bias);

  // 2. Gather on rank 0.
  const RunConfig& c = schedule_.config;
  torch::Tensor mine = flatten_sub();
  st.bytes_sent += bytes_of(mine);
  std::vector<Work> works;
  std::vector<torch::Tensor> slices(static_cast<std::size_t>(size));
  if (rank == 0) {
    slices[0] = mine;
    for (int w = 1; w < size; ++w) {
      slices[static_cast<std::size_t>(w)] = torch::empty({ist_worker_params(model_, partition_, w)}, mine.options());
      works.push_back(comm_.recv(slices[static_cast<std::size_t>(w)], w, kGatherTag));
    }
  } else {
    works.push_back(comm_.send(mine, 0, kGatherTag));
  }
  comm_.wait_all(works, fmt::format("round {} IST gather", round));
  works.clear();
  if (rank == 0) {
    for (int w = 0; w < size; ++w) ist_insert_slice(full_, partition_, w, slices[static_cast<std::size_t>(w)]);
    output_bias(full_).copy_(bias);
  }

  // 3. Scatter round r+1's slices (after the last round too: core's accounting of a round includes it).
  const IstPartition next = ist_partition_for_round(model_, c.workers, c.seed, round + 1);
  torch::Tensor incoming;
  if (rank == 0) {
    for (int w = 1; w < size; ++w) {
      slices[static_cast<std::size_t>(w)] = ist_extract_slice(full_, next, w);
      works.push_back(comm_.send(slices[static_cast<std::size_t>(w)], w, kScatterTag));
    }
    incoming = ist_extract_slice(full_, next, 0);
  } else {
    incoming = torch::empty({ist_worker_params(model_, next, rank)}, mine.options());
    works.push_back(comm_.recv(incoming, 0, kScatterTag));
  }
  comm_.wait_all(works, fmt::format("round {} IST scatter", round));
  st.bytes_received += bytes_of(incoming);
  if (incoming.numel() != mine.numel())
    throw Error(fmt::format("IST: rank {}'s slice changed size between rounds {} and {}", rank, round, round + 1));
  unflatten_sub(incoming);
  partition_ = next;
  return st;
}

} // namespace resist::exec
