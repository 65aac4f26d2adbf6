// resist profile --comm: the c10d operations the trainer uses, timed among this job's ranks, and the
// parametric platform they imply. Every measurement starts from a barrier; an operation's time is the
// slowest rank's (the median over repetitions of that maximum).
//
// The fit (what sim/ then does with it): every rank has a port link of bandwidth W and latency L to a
// switch, so a transfer crosses two ports; a ring all-reduce of B bytes over p ranks is 2(p-1) steps of
// B/p bytes. Fitted on all-reduces over all ranks (slope -> W) and send/recv (intercept -> L); the
// per-call latency is what the all-reduce intercept leaves; the fit's median error on those samples is
// printed and written into the platform file. Broadcast and reduce are measured for reference only (the
// trainer does not call them; nothing is fitted to them). Process groups: t(k) = a + b (k - 1) over k = 2..N.
#include <fmt/format.h>
#include <fmt/ranges.h> // fmt::join (in format.h before fmt 11)
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <thread>

#include "core/error.hpp"
#include "exec/host_allocator.hpp"
#include "exec/comm.hpp"
#include "exec/profile.hpp"

namespace resist::exec {

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Slowest rank's seconds, through the store (tiny, once per sample).
double slowest(Comm& comm, const std::string& key, double mine) {
  double worst = 0;
  for (const auto& s : comm.all_gather_strings(key, fmt::format("{:.9f}", mine))) worst = std::max(worst, std::stod(s));
  return worst;
}

/// Weighted least squares of t = a + b x, weights 1/t^2 (relative error). Returns {a, b}.
std::pair<double, double> fit_line(const std::vector<double>& x, const std::vector<double>& t) {
  double s = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double w = 1 / (t[i] * t[i]);
    s += w;
    sx += w * x[i];
    sy += w * t[i];
    sxx += w * x[i] * x[i];
    sxy += w * x[i] * t[i];
  }
  const double det = s * sxx - sx * sx;
  if (x.size() < 2 || std::abs(det) < 1e-300) return {x.empty() ? 0 : sy / s, 0};
  return {(sxx * sy - sx * sxy) / det, (s * sxy - sx * sy) / det};
}

} // namespace

CommProfile measure_comm(const CommProfileOptions& o) {
  configure_host_allocator();
  if (o.repeats < 1 || o.repeats > 100) throw InputError(fmt::format("--repeats {}: must be in 1..100", o.repeats));
  std::vector<std::int64_t> sizes = o.sizes_bytes;
  if (sizes.empty())
    for (std::int64_t b = 4 << 10; b <= (256 << 20); b *= 4) sizes.push_back(b);
  for (auto b : sizes)
    if (b < 4 || b > (std::int64_t{1} << 31))
      throw InputError(fmt::format("message size {} bytes: must be in 4 .. 2 GiB", b));
  at::set_num_threads(std::max(1, o.threads));
  const LaunchInfo launch = resolve_launch(current_environment(), {});
  if (launch.world_size < 2) throw InputError("--comm needs at least 2 ranks (--nproc N)");
  Comm comm(launch, {parse_backend(o.backend), o.timeout_s});
  const int n = comm.size(), me = comm.rank();
  CommProfile p;
  p.ranks = n;
  p.backend = o.backend;
  p.cores = o.cores > 0 ? o.cores : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int seq = 0;
  auto sample = [&](const std::string& op, int ranks, std::int64_t bytes, const std::function<double()>& once) {
    std::vector<double> times;
    once(); // warm-up: connections, buffers
    for (int r = 0; r < o.repeats; ++r) {
      comm.barrier("profile");
      times.push_back(slowest(comm, fmt::format("t/{}", seq++), once()));
    }
    p.samples.push_back({op, ranks, bytes, median(times), *std::min_element(times.begin(), times.end())});
  };
  auto wait = [&](Work w, const char* what) {
    std::vector<Work> ws{std::move(w)};
    comm.wait_all(ws, what);
  };
  const auto everyone = comm.everyone();
  for (const std::int64_t bytes : sizes) {
    torch::Tensor t = torch::ones({std::max<std::int64_t>(1, bytes / 4)}, torch::kFloat32);
    auto timed = [&](auto&& f) {
      const auto t0 = Clock::now();
      f();
      return std::chrono::duration<double>(Clock::now() - t0).count();
    };
    sample("allreduce", n, bytes, [&] { return timed([&] { wait(comm.allreduce(t, everyone), "profile all-reduce"); }); });
    sample("broadcast", n, bytes, [&] { return timed([&] { wait(comm.broadcast(t, 0), "profile broadcast"); }); });
    sample("reduce", n, bytes, [&] { return timed([&] { wait(comm.reduce(t, 0), "profile reduce"); }); });
    sample("sendrecv", 2, bytes, [&] {
      return timed([&] {
        if (me == 0) wait(comm.send(t, 1, 7), "profile send");
        else if (me == 1) wait(comm.recv(t, 0, 7), "profile recv");
      });
    });
  }
  for (int k = 2; k <= n; ++k) {
    std::vector<int> members(static_cast<std::size_t>(k));
    for (int i = 0; i < k; ++i) members[static_cast<std::size_t>(i)] = i;
    std::vector<double> times;
    for (int r = 0; r < o.repeats; ++r) {
      comm.barrier("profile");
      const std::string tag = std::to_string(seq++);
      times.push_back(slowest(comm, "t/" + tag, comm.probe_group_create(members, tag)));
      comm.release_probe_groups(); // every rank has published its time: all are connected
    }
    p.samples.push_back({"group_create", k, 0, median(times), *std::min_element(times.begin(), times.end())});
  }

  // The fit.
  std::vector<double> ar_x, ar_t, sr_x, sr_t, gc_x, gc_t;
  for (const auto& s : p.samples) {
    if (s.op == "allreduce") { ar_x.push_back(static_cast<double>(s.bytes)); ar_t.push_back(s.median_s); }
    if (s.op == "sendrecv") { sr_x.push_back(static_cast<double>(s.bytes)); sr_t.push_back(s.median_s); }
    if (s.op == "group_create") { gc_x.push_back(s.ranks - 1); gc_t.push_back(s.median_s); }
  }
  const auto [ar_a, ar_b] = fit_line(ar_x, ar_t);
  const auto [sr_a, sr_b] = fit_line(sr_x, sr_t);
  const double steps = 2.0 * (n - 1);
  const double slope = ar_b > 0 ? ar_b : sr_b; // seconds per byte of the whole all-reduce
  p.link_bw_GBps = slope > 0 ? steps / (n * slope) / 1e9 : 100;
  p.link_latency_us = std::max(0.0, sr_a / 2) * 1e6;
  p.collective_latency_s = std::max(0.0, ar_a - steps * 2 * p.link_latency_us * 1e-6);
  const auto [gc_a, gc_b] = fit_line(gc_x, gc_t);
  p.group_create_s = std::max(0.0, gc_a);
  p.group_create_per_peer_s = std::max(0.0, gc_b);
  // The fitted model's times (what the simulator replays on this platform) against the samples.
  const double lat_s = p.link_latency_us * 1e-6, bw_Bps = p.link_bw_GBps * 1e9;
  std::vector<double> ar_err, sr_err;
  for (const auto& s : p.samples) {
    const double b = static_cast<double>(s.bytes);
    if (s.op == "allreduce")
      ar_err.push_back(std::abs(steps * (2 * lat_s + b / (n * bw_Bps)) + p.collective_latency_s - s.median_s) / s.median_s);
    if (s.op == "sendrecv")
      // A point-to-point transfer pays no per-call cost in the replay (layer_parallel_replay.cpp), only the two
      // ports' latency and the link's bandwidth, which the all-reduces set.
      sr_err.push_back(std::abs(2 * lat_s + b / bw_Bps - s.median_s) / s.median_s);
  }
  p.allreduce_fit_error_pct = 100 * median(ar_err);
  p.sendrecv_fit_error_pct = 100 * median(sr_err);
  return p;
}

std::string CommProfile::samples_csv() const {
  std::string out = "op,ranks,bytes,median_s,min_s\n";
  for (const auto& s : samples) out += fmt::format("{},{},{},{:.9g},{:.9g}\n", s.op, s.ranks, s.bytes, s.median_s, s.min_s);
  return out;
}

std::string CommProfile::platform_toml() const {
  std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  // Process groups as measured, sizes 2..N in the order they were sampled (the simulator takes them as they are).
  std::vector<std::string> measured;
  for (const auto& x : samples)
    if (x.op == "group_create") measured.push_back(fmt::format("{:.6g}", x.median_s));
  return fmt::format(
      "# This machine as a platform: {} ranks ({}) time-sharing {} cores, measured by `resist profile --comm`\n"
      "# on {} (load average {:.2f}). Fitted on all-reduces over all ranks (bandwidth) and send/recv\n"
      "# (latency); process groups as measured for 2..{} members (group_create_measured_s, seconds per member).\n"
      "# Median |error| of the fit on its samples: all-reduce {:.1f}%, send/recv {:.1f}%.\n"
      "# The samples are in the CSV written beside this file.\n"
      "name = \"this_machine\"\n"
      "nodes = 1\n"
      "gpus_per_node = {}\n"
      "gpu = \"cpu\"\n"
      "cores_per_node = {}\n"
      "intra_bw_GBps = {:.6g}\n"
      "intra_latency_us = {:.6g}\n"
      "\n[params]\n"
      "collective_latency_s = {:.6g}\n"
      "{}group_create_measured_s = [{}]\n"
      "# The linear form, for comparison (not used while the measured sizes are set):\n"
      "# group_create_s = {:.6g}, group_create_per_peer_s = {:.6g}\n"
      "# GPU-fitted DDP factors do not apply to these ranks (the trainer does not overlap).\n"
      "comm_compute_slowdown = 0\n"
      "ddp_step_cv = 0\n",
      ranks, backend, cores, date, load_average_1m(), ranks, allreduce_fit_error_pct, sendrecv_fit_error_pct, ranks,
      cores, link_bw_GBps, link_latency_us, collective_latency_s, measured.empty() ? "# (no group measured) " : "",
      fmt::join(measured, ", "), group_create_s, group_create_per_peer_s);
}

} // namespace resist::exec
