// The round loop: local steps on this round's sub-network, a loss check, the aggregation, evaluation
// and checkpoints; per round and rank the measured phases and bytes, next to core's prediction.
#include <fmt/format.h>
#ifdef RESIST_WITH_NCCL
#include <ATen/cuda/CUDAContext.h>
#endif
#include <fmt/ranges.h> // fmt::join (in format.h before fmt 11)

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.hpp"
#include "core/model_zoo.hpp"
#include "core/output.hpp"
#include "core/progress.hpp"
#include "core/rng.hpp"
#include "core/schedule_io.hpp"
#include "exec/host_allocator.hpp"
#include "exec/aggregate.hpp"
#include "exec/checkpoint.hpp"
#include "exec/comm.hpp"
#include "exec/data.hpp"
#include "exec/elastic.hpp"
#include "exec/ist_round.hpp"
#include "exec/layer_parallel_step.hpp"
#include "exec/net.hpp"
#include "exec/autocast.hpp"
#include "exec/profile.hpp"
#include "exec/spawn.hpp"
#include "exec/run_files.hpp"
#include "exec/speed_probe.hpp"
#include "exec/state_dict.hpp"
#include "exec/step.hpp"
#include "exec/train.hpp"

namespace resist::exec {

namespace fs = std::filesystem;

int default_threads(const LaunchInfo& launch) {
  if (launch.cpus_per_task > 0) return launch.cpus_per_task;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, launch.local_world_size));
}

namespace {

using Clock = std::chrono::steady_clock;

// Waiting for rank 0's evaluation or a checkpoint write may take long; a dead peer still fails at
// once (its sockets close), only a hung one is waited for this much longer.
constexpr double kSlowPhaseS = 3600;

/// The CUDA device's name ("NVIDIA H100 80GB HBM3"), for `resist validate` to find its kind; "" on the CPU.
std::string cuda_device_name(const torch::Device& device) {
#ifdef RESIST_WITH_NCCL // CUDA LibTorch builds only
  if (device.is_cuda()) return at::cuda::getDeviceProperties(device.index())->name;
#endif
  (void)device;
  return "";
}

struct Setup {
  Schedule schedule;
  Model model;
  std::string hash;
  torch::Device device = torch::kCPU;
  int threads = 1;
  Precision precision = Precision::fp32;
  bool channels_last = false;
};

Setup setup(const TrainOptions& o, const LaunchInfo& launch) {
  Setup s;
  s.schedule = o.schedule_path.empty() ? make_schedule(o.config) : read_schedule(o.schedule_path);
  const RunConfig& c = s.schedule.config;
  s.model = make_model(c.model, c.model_options);
  s.hash = schedule_hash(s.schedule);
  if (o.device == "cuda") {
    if (!torch::cuda::is_available()) throw InputError("--device cuda: no CUDA device (or a LibTorch without CUDA)");
    s.device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(launch.local_rank % torch::cuda::device_count()));
  } else if (o.device != "cpu") {
    throw InputError(fmt::format("unknown device '{}' (known: cpu, cuda)", o.device));
  }
  s.precision = parse_precision(o.precision);
  check_precision(s.precision, s.device.is_cuda());
  apply_math_mode(s.precision);
  s.channels_last = channels_last(parse_memory_format(o.memory_format), s.precision, s.device.is_cuda());
  s.threads = o.threads > 0 ? o.threads : default_threads(launch);
  at::set_num_threads(s.threads);
  return s;
}

DataOptions data_options(const TrainOptions& o, const Setup& s, bool train) {
  const RunConfig& c = s.schedule.config;
  return run_data_options(c.dataset, c.seed, s.model.in_channels, s.model.image_size, s.model.classes,
                          train ? s.schedule.train_size : 0, o.test_size, o.data_dir);
}

std::string join(const std::vector<int>& v) {
  std::string out;
  for (int x : v) out += (out.empty() ? "" : ",") + std::to_string(x);
  return out;
}

/// Every rank's checkpoint rounds; the latest round all of them have (a crash between two ranks'
/// renames leaves the previous common round valid).
int common_checkpoint_round(Comm& comm, const std::string& dir) {
  const auto lists = comm.all_gather_strings("checkpoint_rounds", join(checkpoint_rounds(dir, comm.rank())));
  std::vector<int> common = split_ints(lists[0]);
  for (const auto& l : lists) {
    const auto mine = split_ints(l);
    std::vector<int> keep;
    std::set_intersection(common.begin(), common.end(), mine.begin(), mine.end(), std::back_inserter(keep));
    common = keep;
  }
  if (common.empty())
    throw InputError(fmt::format("--resume: no checkpoint that every rank has in {} (checkpoints per rank: {})", dir,
                                 fmt::join(lists, " | ")));
  return common.back();
}

nlohmann::json resolved_config(const TrainOptions& o, const Setup& s, const LaunchInfo& launch, const std::string& dir) {
  nlohmann::json j = to_json(s.schedule.config);
  j["schedule_hash"] = s.hash;
  // What `resist validate` needs to simulate this run as it ran: the collective pattern (sim's
  // --algorithm c10d is exec/aggregate.cpp's), threads and ranks per machine, the machine's load.
  j["measured"] = {{"collective", "c10d"},
                   {"cores", static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))},
                   {"cuda_devices", s.device.is_cuda() ? static_cast<int>(torch::cuda::device_count()) : 0},
                   {"gpu_name", cuda_device_name(s.device)},
                   {"local_world_size", launch.local_world_size},
                   {"load_avg_start", load_average_1m()}};
  j["train"] = {{"world_size", launch.world_size}, {"launcher", launch.source}, {"backend", o.backend},
                {"device", o.device},              {"threads", s.threads}, {"precision", to_string(s.precision)},
                {"memory_format", s.channels_last ? "channels_last" : "nchw"},       {"timeout_s", o.timeout_s},
                {"eval_every", o.eval_every},      {"checkpoint_every", o.checkpoint_every},
                {"test_size", o.test_size},        {"data_dir", o.data_dir.empty() ? default_data_dir(s.schedule.config.dataset) : o.data_dir},
                {"run_dir", dir},                  {"rounds", s.schedule.rounds.size()},
                {"eval_scale", s.schedule.eval_scale}, {"init_from", o.init_from}};
  return j;
}

/// Rows produced since the last gather, sent to rank 0 through the store.
struct Pending {
  std::vector<TimelineEvent> events;
  std::vector<RoundRow> rows;
};

/// The whole job's training loss of a round, and the ranks whose loss was NaN or infinite: one tiny
/// all-reduce, so every rank stops in the same round, before a NaN reaches the aggregation.
struct LossCheck {
  double loss_sum = 0;
  double finite_steps = 0;
  std::vector<int> bad_ranks;
};

LossCheck check_losses(Comm& comm, const StepStats& st, int round, const torch::Device& device) {
  torch::Tensor control = torch::zeros({2 + comm.size()}, torch::kFloat64); // [loss sum, steps, NaN steps per rank]
  control[0] = st.loss_sum;
  control[1] = st.steps - st.nonfinite;
  control[2 + comm.rank()] = st.nonfinite;
  if (comm.size() > 1) {
    control = control.to(device); // NCCL reduces device tensors only
    std::vector<Work> w{comm.allreduce(control, comm.everyone())};
    comm.wait_all(w, fmt::format("round {} loss check", round));
    control = control.cpu();
  }
  LossCheck out;
  out.loss_sum = control[0].item<double>();
  out.finite_steps = control[1].item<double>();
  for (int k = 0; k < comm.size(); ++k)
    if (control[2 + k].item<double>() > 0) out.bad_ranks.push_back(k);
  return out;
}

/// One round of one rank as measured: t0 local steps t1 loss check t2 [group creation] sync t3, and the
/// process's CPU seconds at the same instants.
struct RoundTimes {
  int round, rank;
  const StepStats& steps;
  const SyncStats& sync;
  double t0, t1, t2, t3;
  double c0, c1, c2, c3;
  bool data_parallel; // or layer_parallel: communication interleaves with the steps
  const char* step_comm_label;
};

RoundRow record_round(Pending& pending, const RoundTimes& m, const WorkerBytes& predicted, std::int64_t c10d_out,
                      std::int64_t c10d_in) {
  const StepStats& st = m.steps;
  const SyncStats& sync = m.sync;
  const int finite = st.steps - st.nonfinite;
  const RoundRow row{m.round, m.rank, st.steps, finite > 0 ? st.loss_sum / finite : 0, st.compute_s,
                     (m.t2 - m.t1) + (m.t3 - m.t2 - sync.group_create_s) + st.communication_s, sync.group_create_s,
                     sync.bytes_sent, sync.bytes_received, predicted.sent, predicted.received, c10d_out, c10d_in,
                     m.c1 - m.c0, m.c3 - m.c1, 0.0};
  pending.rows.push_back(row);
  auto event = [&](Phase ph, double a, double b, std::int64_t sent, std::int64_t recv, const char* label) {
    pending.events.push_back({m.round, m.rank, ph, a, b, sent, recv, label});
  };
  if (m.data_parallel) { // gradient all-reduces interleave with the steps: durations exact, intervals packed
    event(Phase::compute, m.t0, m.t0 + st.compute_s, 0, 0, "local_steps");
    event(Phase::communication, m.t0 + st.compute_s, m.t1, sync.bytes_sent, sync.bytes_received, m.step_comm_label);
  } else {
    event(Phase::compute, m.t0, m.t1, 0, 0, "local_steps");
  }
  event(Phase::communication, m.t1, m.t2, 0, 0, "loss_check");
  if (!m.data_parallel) {
    if (sync.group_create_s > 0) event(Phase::overhead, m.t2, m.t2 + sync.group_create_s, 0, 0, "group_create");
    event(Phase::communication, m.t2 + sync.group_create_s, m.t3, sync.bytes_sent, sync.bytes_received, "sync");
  }
  return row;
}

void gather_rows(Comm& comm, Pending& pending, RunFiles* files, int seq) {
  const std::string mine = timeline_to_csv(pending.events) + "--\n" + rounds_to_csv(pending.rows, false);
  pending = {};
  const auto all = comm.all_gather_strings(fmt::format("rows/{}", seq), comm.rank() == 0 ? "" : mine);
  if (!files) return;
  for (int r = 0; r < comm.size(); ++r) {
    const std::string& text = r == 0 ? mine : all[static_cast<std::size_t>(r)];
    const auto sep = text.find("--\n");
    files->add(timeline_from_csv(text.substr(0, sep)), rounds_from_csv(text.substr(sep + 3)));
  }
  files->flush();
}

} // namespace

TrainResult train(const TrainOptions& o) {
  configure_host_allocator();
  const EnvMap env = current_environment();
  const LaunchInfo launch = resolve_launch(env, o.launch); // one rank alone: an in-process store, no port
  Setup s = setup(o, launch);
  const Schedule& sched = s.schedule;
  const RunConfig& c = sched.config;
  int rank = launch.rank, world = launch.world_size; // an elastic run renumbers its survivors
  if (world != c.workers)
    throw InputError(fmt::format("the job has {} ranks but the schedule has {} workers (--workers): start one rank "
                                 "per worker", world, c.workers));
  if (c.protocol == Protocol::layer_parallel && (o.resume || o.checkpoint_every > 0 || s.precision != Precision::fp32))
    throw InputError("layer_parallel trains in fp32 without checkpoints (its AuxNets are not checkpointed): drop "
                     "--resume, --checkpoint-every and --precision");
  if (o.elastic && c.protocol != Protocol::resist && c.protocol != Protocol::local_sgd)
    throw InputError(fmt::format("--elastic: protocol {} cannot go on without a lost rank (only resist and local_sgd "
                                 "can: their round ends in one aggregation, which the survivors redo)",
                                 to_string(c.protocol)));
  if (o.elastic && (o.min_workers < 1 || o.min_workers > world))
    throw InputError(fmt::format("--min-workers {}: must be between 1 and the job's {} ranks", o.min_workers, world));
  const int rounds = static_cast<int>(sched.rounds.size());
  const double load_avg_start = load_average_1m();
  const std::string dir = o.run_dir.empty() ? "runs/" + s.hash.substr(s.hash.find(':') + 1, 12) : o.run_dir;

  // Where startup goes (seconds since process start at the end of each part): summary.json's startup_parts_s.
  std::vector<std::pair<std::string, double>> startup_marks{{"libraries_and_setup", process_age_s()}};
  // Data before the rendezvous: a missing data set ends every rank at once with the message.
  const Dataset train_set = load_dataset(data_options(o, s, true), true);
  // Elastic: any survivor may become rank 0 and evaluate.
  const Dataset test_set = rank == 0 || o.elastic ? load_dataset(data_options(o, s, false), false) : Dataset{};

  startup_marks.emplace_back("data", process_age_s());
  auto comm_owned = std::make_unique<Comm>(launch, CommOptions{parse_backend(o.backend), o.timeout_s});
  Comm* comm = comm_owned.get(); // an elastic run's survivors move to a new group
  std::vector<std::unique_ptr<Comm>> retired; // groups left by an elastic run, closed at the end
  startup_marks.emplace_back("rendezvous", process_age_s());
  const auto hashes = comm->all_gather_strings("schedule_hash", s.hash);
  for (int r = 0; r < world; ++r)
    if (hashes[static_cast<std::size_t>(r)] != s.hash)
      throw InputError(fmt::format("rank {} holds schedule {} but rank {} holds {}: start every rank with the same "
                                   "options (or the same --schedule file)", rank, s.hash, r, hashes[static_cast<std::size_t>(r)]));

  startup_marks.emplace_back("hash_check", process_age_s());
  torch::manual_seed(derive_seed(c.seed, Stream::init)); // identical initial weights on every rank
  PreActNet net(s.model);
  if (!o.init_from.empty()) import_state_dict(*net, read_torch_file(o.init_from), o.init_from);
  net->to(s.device);
  to_memory_format(*net, s.channels_last);
  auto agg = std::make_unique<Aggregator>(*comm, *net, s.model, sched);
  const bool dp = c.protocol == Protocol::data_parallel;
  // layer_parallel: this rank's module and AuxNet, neighbour transfers inside the steps, no aggregation.
  const bool lp = c.protocol == Protocol::layer_parallel;
  std::unique_ptr<LayerParallelWorker> lp_worker;
  if (lp) lp_worker = std::make_unique<LayerParallelWorker>(*comm, *net, s.model, sched, s.device);
  BatchSampler sampler(train_set, c.batch, sched.rounds.front().workers[static_cast<std::size_t>(rank)].data_seed,
                       s.device);
  if (sampler.steps_per_epoch() != sched.steps_per_epoch)
    throw Error(fmt::format("{} steps per epoch in the data, {} in the schedule", sampler.steps_per_epoch(), sched.steps_per_epoch));

  startup_marks.emplace_back("network", process_age_s());
  int start = 0;
  remove_stale_temporaries(dir, rank); // of an earlier process killed mid-write
  if (o.resume) {
    const int r = common_checkpoint_round(*comm, dir);
    load_checkpoint(dir, rank, r, s.hash, *net);
    start = r + 1;
  } else {
    remove_checkpoints_before(dir, rank, std::numeric_limits<int>::max()); // a fresh run starts clean
  }
  std::unique_ptr<IstRound> ist; // IST trains a sub-network per rank and exchanges slices (exec/ist_round.hpp)
  if (c.protocol == Protocol::ist) {
    ist = std::make_unique<IstRound>(*comm, *net, s.model, sched, s.device);
    ist->begin(start);
  }
  fs::create_directories(dir); // only now: a run that fails its checks leaves no folder, config or schedule
  std::unique_ptr<RunFiles> files;
  if (rank == 0) {
    write_file_atomic(dir + "/config.json", resolved_config(o, s, launch, dir).dump(2) + "\n");
    write_file_atomic(dir + "/schedule.json", schedule_to_string(sched));
    files = std::make_unique<RunFiles>(dir, o.resume ? start - 1 : -1);
  }
  startup_marks.emplace_back("run_files", process_age_s());
  const double offset_s = std::stod(comm->all_gather_strings("clock", files ? fmt::format("{:.9f}", files->time_offset_s()) : "")[0]);
  comm->barrier("start");
  const double startup_s = process_age_s(); // process start to the first step: load, data, rendezvous
  startup_marks.emplace_back("clock_and_barrier", startup_s);
  const auto t_start = Clock::now();
  auto now_s = [&] { return offset_s + std::chrono::duration<double>(Clock::now() - t_start).count(); };

  std::vector<int> partitioned = c.protocol == Protocol::resist ? sched.partitionable : std::vector<int>{};
  torch::Tensor logits_x, logits_start; // --export-logits: the first test images, the logits before training
  if (rank == 0 && !o.export_logits.empty()) {
    logits_x = normalize(test_set, test_set.images.narrow(0, 0, std::min<std::int64_t>(16, test_set.size()))).to(s.device);
    logits_start = logits_of(*net, logits_x, std::vector<double>(s.model.blocks.size(), 1.0));
  }
  Progress progress(o.progress && rank == 0 ? "train" : "", rounds);
  Pending pending;
  TrainResult result;
  result.run_dir = dir;
  result.schedule_hash = s.hash;
  result.rounds = rounds;
  result.epochs_per_worker = static_cast<double>(sched.total_steps) / sched.steps_per_epoch;
  int last_checkpoint = start - 1, seq = 0;
  double last_acc = -1;
  // For time to accuracy (eval.csv): the loop's start, the rounds' own seconds, training images so far.
  const double loop_start_s = now_s();
  double train_s = 0;
  std::int64_t train_images = 0;
  for (int k = 0; k < start; ++k)
    train_images += sched.rounds[static_cast<std::size_t>(k)].steps * static_cast<std::int64_t>(c.batch) * (lp ? 1 : world);
  std::unique_ptr<ElasticRun> elastic;
  if (o.elastic)
    elastic = std::make_unique<ElasticRun>(ElasticOptions{true, o.min_workers}, sched, s.hash,
                                           static_cast<int>(s.model.blocks.size()));
  const Schedule* cur = &sched; // the schedule followed now: an elastic run's latest segment
  // What evaluation and the exports scale after round k of the current schedule (an elastic re-plan changes
  // it; after a local SGD warm-up round every block trained in the full model: 1).
  auto eval_scales_now = [&](int k) {
    std::vector<double> scales(s.model.blocks.size(), 1.0);
    for (int b : partitioned) scales[static_cast<std::size_t>(b)] = round_eval_scale(*cur, k);
    return scales;
  };
  int eval_added = -1;          // rank 0: the last round whose evaluation it recorded
  for (int r = start; r < rounds; ++r) {
    const int k = r - cur->segment.first_round; // the round within the current schedule
    if (o.on_round_start) o.on_round_start(r, cur->origin_worker(rank));
    const Round& round = cur->rounds[static_cast<std::size_t>(k)];
    std::vector<bool> active(s.model.blocks.size(), true);
    for (int b : partitioned) active[static_cast<std::size_t>(b)] = false;
    for (int b : round.workers[static_cast<std::size_t>(rank)].blocks) active[static_cast<std::size_t>(b)] = true;

    const std::int64_t out0 = comm->handed_out_bytes, in0 = comm->handed_in_bytes;
    const double c0 = process_cpu_s();
    const double t0 = now_s();
    const bool poison = r == o.nan_at_round && rank == 0;
    const StepStats st = lp    ? lp_worker->train_round(sampler, round, poison)
                         : ist ? ist->train(sampler, round, poison, s.precision)
                               : train_round(*net, sampler, round, c, active, s.device, dp ? agg.get() : nullptr, poison,
                                             s.precision);
    const double t1 = now_s();
    const double c1 = process_cpu_s();
    if (elastic) elastic->keep_post_steps(*net, r);
    const std::int64_t step_images = static_cast<std::int64_t>(c.batch) * (lp ? 1 : world); // layer_parallel: one batch
    const bool last = r == rounds - 1;
    const bool eval_now = last || (o.eval_every > 0 && (r + 1) % o.eval_every == 0);
    const bool ckpt_now = o.checkpoint_every > 0 && ((r + 1) % o.checkpoint_every == 0 || last);
    // After a lost peer (elastic) the survivors redo everything from here on their new group: the round's
    // aggregation (without the lost workers) by these holder sets, its evaluation and checkpoint.
    const bool export_now = ckpt_now && o.export_checkpoints;
    bool recovered = false;
    std::vector<std::vector<int>> now, next;
    LossCheck losses;
    for (;;) {
      try {
        losses = check_losses(*comm, st, r, s.device);
        const double t2 = now_s();
        const double c2 = process_cpu_s();
        if (!losses.bad_ranks.empty())
          throw Error(fmt::format("round {}: the training loss became NaN or infinite on rank(s) {}; stopped before "
                                  "aggregating. {}", r, join(losses.bad_ranks),
                                  last_checkpoint >= 0 ? fmt::format("The checkpoint of round {} in {} is intact: lower --lr and --resume", last_checkpoint, dir)
                                                       : std::string("No checkpoint was written (--checkpoint-every)")));
        SyncStats sync = st.comm;
        if (recovered) sync = agg->sync(now, next, fmt::format("round {} (redone by {} survivors)", r, world));
        else if (!dp && !lp) sync = ist ? ist->sync_round(r) : agg->sync_round(k);
        if (elastic) { // every rank has aggregated this round: what it holds is now fresh
          comm->barrier(fmt::format("round {} commit", r));
          elastic->committed(r, rank, recovered ? now : agg->holders(k), recovered ? next : agg->holders(k + 1));
        }
        if (s.device.is_cuda()) torch::cuda::synchronize();
        const double t3 = now_s();
        const double c3 = process_cpu_s();
        // The round's rows once, from its last attempt; core predicts no recovery (-1: not compared).
        auto same_round = [r](const auto& x) { return x.round == r; };
        pending.rows.erase(std::remove_if(pending.rows.begin(), pending.rows.end(), same_round), pending.rows.end());
        pending.events.erase(std::remove_if(pending.events.begin(), pending.events.end(), same_round), pending.events.end());
        const auto predicted = recovered ? WorkerBytes{-1, -1}
                                         : payload_bytes(round_comm_plan(*cur, s.model, k), world)[static_cast<std::size_t>(rank)];
        const RoundRow row = record_round(pending, {r, cur->origin_worker(rank), st, sync, t0, t1, t2, t3, c0, c1, c2, c3,
                                                    dp || lp, lp ? "neighbours" : "grad_allreduce"},
                                          predicted, comm->handed_out_bytes - out0, comm->handed_in_bytes - in0);
        if (!recovered && (row.bytes_sent != row.predicted_sent || row.bytes_received != row.predicted_received))
          result.bytes_match = false;
        if (eval_now || export_now) { // excluded from the round times, as in the reference
          const auto e0 = Clock::now();
          if (lp) lp_worker->gather_for_eval();
          else if (recovered) agg->gather_for_eval(now, next, fmt::format("round {}", r));
          else agg->gather_for_eval(k);
          if (rank == 0 && eval_now && eval_added < r) {
            const EvalResult ev = evaluate(*net, test_set, partitioned, round_eval_scale(*cur, k), s.device, 100, s.precision);
            last_acc = ev.accuracy;
            EvalRow erow{r, ev.accuracy, ev.loss, ev.images, std::chrono::duration<double>(Clock::now() - e0).count()};
            erow.elapsed_s = t3 - loop_start_s;
            erow.train_s = train_s + (t3 - t0);
            erow.train_images = train_images + round.steps * step_images;
            files->add_eval(erow);
            eval_added = r;
          }
          if (rank == 0 && export_now) // rank 0 holds the whole network now, as to evaluate
            export_weights(fmt::format("{}/state_dict.r{}.pt", dir, r), *net, s.model, eval_scales_now(k), sampler,
                           o.export_bn_batches);
          comm->barrier(fmt::format("round {} evaluation", r), o.timeout_s + kSlowPhaseS);
        }
        if (ckpt_now) {
          save_checkpoint(dir, rank, r, elastic ? elastic->hash() : s.hash, *net);
          comm->barrier(fmt::format("round {} checkpoint", r), o.timeout_s + kSlowPhaseS); // every rank has round r before older ones go
          remove_checkpoints_before(dir, rank, r);
          last_checkpoint = r;
        }
        if (eval_now || ckpt_now) gather_rows(*comm, pending, files.get(), seq++);
        train_s += t3 - t0;
        train_images += round.steps * step_images;
        const double mean_loss = losses.finite_steps > 0 ? losses.loss_sum / losses.finite_steps : 0;
        const double eta_s = (t3 - t0) * (rounds - r - 1);
        progress.update(r + 1,
                        fmt::format("rounds  loss {:.4f}  {:.2f} s/round  eta {}:{:02d}{}", mean_loss,
                                    t3 - t0, static_cast<int>(eta_s) / 60, static_cast<int>(eta_s) % 60,
                                    eval_now ? fmt::format("  test acc {:.2f}%", 100 * last_acc) : ""),
                        eval_now);
        break;
      } catch (const PeerError&) {
        if (!elastic) throw;
        const std::string hint = last_checkpoint >= 0
                                     ? fmt::format("The checkpoint of round {} in {} is intact: --resume with as many ranks as before", last_checkpoint, dir)
                                     : std::string("No checkpoint was written (--checkpoint-every)");
        ElasticRun::Recovery rec = elastic->recover(*comm, *net, s.model, r, now_s(), o.timeout_s, hint);
        retired.push_back(std::move(comm_owned));
        comm_owned = std::move(rec.comm);
        comm = comm_owned.get();
        rank = comm->rank();
        world = comm->size();
        cur = &elastic->schedule();
        agg = std::make_unique<Aggregator>(*comm, *net, s.model, *cur);
        now = std::move(rec.now);
        next = std::move(rec.next);
        recovered = true;
        seq = 0; // the new group's store keys start afresh
        if (rank == 0) {
          if (!files) files = std::make_unique<RunFiles>(dir, r - 1); // rank 0 was lost: take its files over
          elastic->write_files(dir);
        }
      }
    }
  }
  if (start >= rounds) { // resumed a finished run: evaluate what the checkpoint holds
    agg->gather_for_eval(rounds - 1);
    if (rank == 0) last_acc = evaluate(*net, test_set, partitioned, round_eval_scale(sched, rounds - 1), s.device).accuracy;
  }
  const double train_wall_s = std::chrono::duration<double>(Clock::now() - t_start).count();
  // Every rank's core speed after its rounds (outside train_wall_s), for `resist validate --speed-probe`;
  // every rank probes at once, as the profile's processes do. CPU runs only (all ranks share the device kind).
  std::vector<std::string> probes;
  if (!s.device.is_cuda()) {
    comm->barrier("speed probe");
    probes = comm->all_gather_strings("speed_probe", fmt::format("{:.6f}", speed_probe_cpu_s()));
  }
  if (rank == 0) {
    save_params(dir + "/model.pt", rounds - 1, elastic ? elastic->hash() : s.hash, *net);
    if (!o.export_path.empty()) export_weights(o.export_path, *net, s.model, eval_scales_now(rounds - 1 - cur->segment.first_round), sampler, o.export_bn_batches);
    if (!o.export_logits.empty())
      write_torch_file(o.export_logits, {{"input", logits_x}, {"logits_start", logits_start},
                                         {"logits_end", logits_of(*net, logits_x, eval_scales_now(rounds - 1 - cur->segment.first_round))}});
    result.final_accuracy = last_acc;
    result.params_hash = params_hash(*net);
    std::vector<RoundRow> all_rows = files->rounds();
    for (const auto& row : all_rows) // a round redone by an elastic run's survivors has no prediction (-1)
      if (row.predicted_sent >= 0 && (row.bytes_sent != row.predicted_sent || row.bytes_received != row.predicted_received))
        result.bytes_match = false;
    double eval_s = 0;
    for (const auto& e : files->evals()) eval_s += e.eval_s;
    nlohmann::json summary = {{"schedule_hash", s.hash}, {"rounds", rounds}, {"final_accuracy", last_acc},
                              {"params_hash", result.params_hash}, {"bytes_match_core", result.bytes_match},
                              {"startup_s", startup_s}, {"eval_s", eval_s},
                              {"train_wall_s", train_wall_s},
                              {"evaluations", files->evals().size()},
                              {"load_avg_start", load_avg_start}, {"load_avg_end", load_average_1m()}};
    nlohmann::json parts = nlohmann::json::object(); // rank 0's
    for (std::size_t i = 0; i < startup_marks.size(); ++i)
      parts[startup_marks[i].first] = startup_marks[i].second - (i ? startup_marks[i - 1].second : 0.0);
    summary["startup_parts_s"] = parts;
    if (elastic) {
      nlohmann::json lost = nlohmann::json::array();
      for (const auto& l : elastic->lost())
        lost.push_back({{"time_s", l.time_s}, {"round", l.round}, {"worker", l.worker}, {"dropped", l.dropped}});
      summary["elastic"] = {{"workers_at_end", world}, {"min_workers", o.min_workers},
                            {"last_segment_hash", elastic->hash()}, {"lost_workers", lost}};
    }
    if (!probes.empty()) {
      std::vector<double> probe_s;
      for (const auto& v : probes) probe_s.push_back(std::stod(v));
      summary["speed_probe_cpu_s"] = probe_s; // per rank
    }
    write_file_atomic(dir + "/summary.json", summary.dump(2) + "\n");
  }
  comm->barrier("finish"); // rank 0 may host the store (launchers other than ours): it leaves last
  return result;
}

BenchResult bench_steps(const TrainOptions& o, int steps, int warmup) {
  configure_host_allocator();
  const LaunchInfo single;
  Setup s = setup(o, single);
  const RunConfig& c = s.schedule.config;
  const Dataset data = load_dataset(data_options(o, s, true), true);
  torch::manual_seed(derive_seed(c.seed, Stream::init));
  PreActNet net(s.model);
  net->to(s.device);
  to_memory_format(*net, s.channels_last);
  BatchSampler sampler(data, c.batch, s.schedule.rounds.front().workers.front().data_seed, s.device);
  Round round;
  round.steps = warmup + steps;
  round.lr = {{0, c.lr}};
  const StepStats st = train_round(*net, sampler, round, c, std::vector<bool>(s.model.blocks.size(), true), s.device,
                                   nullptr, false, s.precision);
  std::vector<double> t(st.step_s.begin() + warmup, st.step_s.end());
  BenchResult b;
  b.steps = steps;
  b.threads = s.threads;
  for (double x : t) b.mean_step_s += x / static_cast<double>(t.size());
  std::sort(t.begin(), t.end());
  b.median_step_s = t.empty() ? 0 : (t.size() % 2 ? t[t.size() / 2] : 0.5 * (t[t.size() / 2 - 1] + t[t.size() / 2]));
  return b;
}

} // namespace resist::exec
