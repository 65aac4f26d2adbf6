#include "sim/result_io.hpp"

#include <cstring>

#include "core/error.hpp"

namespace resist::sim {
namespace {

class Writer {
public:
  template <typename T> void pod(const T& v) { out.append(reinterpret_cast<const char*>(&v), sizeof(T)); }
  void str(const std::string& s) {
    pod(static_cast<std::uint64_t>(s.size()));
    out += s;
  }
  std::string out;
};

class Reader {
public:
  explicit Reader(const std::string& in) : in_(in) {}
  template <typename T> T pod() {
    T v;
    need(sizeof(T));
    std::memcpy(&v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string str() {
    const auto n = static_cast<std::size_t>(pod<std::uint64_t>());
    need(n);
    std::string s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  bool done() const { return pos_ == in_.size(); }

private:
  void need(std::size_t n) const {
    if (pos_ + n > in_.size()) throw Error("simulation result truncated");
  }
  const std::string& in_;
  std::size_t pos_ = 0;
};

} // namespace

std::string encode_result(const SimResult& r) {
  Writer w;
  w.str(r.protocol);
  w.str(r.collective);
  w.str(r.platform);
  for (int v : {r.workers, r.rounds, r.simulated_rounds}) w.pod(v);
  for (double v : {r.total_s, r.compute_s, r.comm_s, r.overhead_s, r.idle_s, r.wall_s, r.group_rebuild_s}) w.pod(v);
  w.pod(r.wire_bytes);
  w.pod(r.payload_bytes);
  w.pod(static_cast<std::uint64_t>(r.worker_bytes.size()));
  for (const auto& b : r.worker_bytes) {
    w.pod(b.sent);
    w.pod(b.received);
  }
  w.pod(static_cast<std::uint64_t>(r.worker_names.size()));
  for (const auto& n : r.worker_names) w.str(n);
  w.pod(static_cast<std::uint64_t>(r.timeline.size()));
  for (const auto& e : r.timeline) {
    w.pod(e.round);
    w.pod(e.worker);
    w.pod(static_cast<int>(e.phase));
    w.pod(e.start_s);
    w.pod(e.end_s);
    w.pod(e.bytes_sent);
    w.pod(e.bytes_received);
    w.str(e.label);
  }
  w.pod(static_cast<std::uint64_t>(r.round_end_s.size()));
  for (double t : r.round_end_s) w.pod(t);
  return std::move(w.out);
}

SimResult decode_result(const std::string& bytes) {
  Reader rd(bytes);
  SimResult r;
  r.protocol = rd.str();
  r.collective = rd.str();
  r.platform = rd.str();
  r.workers = rd.pod<int>();
  r.rounds = rd.pod<int>();
  r.simulated_rounds = rd.pod<int>();
  for (double* v : {&r.total_s, &r.compute_s, &r.comm_s, &r.overhead_s, &r.idle_s, &r.wall_s, &r.group_rebuild_s})
    *v = rd.pod<double>();
  r.wire_bytes = rd.pod<std::int64_t>();
  r.payload_bytes = rd.pod<std::int64_t>();
  r.worker_bytes.resize(rd.pod<std::uint64_t>());
  for (auto& b : r.worker_bytes) {
    b.sent = rd.pod<std::int64_t>();
    b.received = rd.pod<std::int64_t>();
  }
  r.worker_names.resize(rd.pod<std::uint64_t>());
  for (auto& n : r.worker_names) n = rd.str();
  r.timeline.resize(rd.pod<std::uint64_t>());
  for (auto& e : r.timeline) {
    e.round = rd.pod<int>();
    e.worker = rd.pod<int>();
    e.phase = static_cast<Phase>(rd.pod<int>());
    e.start_s = rd.pod<double>();
    e.end_s = rd.pod<double>();
    e.bytes_sent = rd.pod<std::int64_t>();
    e.bytes_received = rd.pod<std::int64_t>();
    e.label = rd.str();
  }
  r.round_end_s.resize(rd.pod<std::uint64_t>());
  for (auto& t : r.round_end_s) t = rd.pod<double>();
  if (!rd.done()) throw Error("simulation result has trailing bytes");
  return r;
}

} // namespace resist::sim
