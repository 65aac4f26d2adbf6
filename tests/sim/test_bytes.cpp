// The bytes each simulated worker hands SimGrid equal core's accounting exactly: core's wire bytes
// (collective.hpp) for the algorithm of every exchange, and the payload rule (comm.hpp) in total.
#include <catch2/catch.hpp>

#include "core/collective.hpp"
#include "core/model_zoo.hpp"
#include "sim_test_util.hpp"

using namespace resist;
using namespace resist::sim;

namespace {

constexpr const char* kPlatform = "parametric:nodes=2,gpus_per_node=2";
const std::vector<int> kNodeOf = {0, 0, 1, 1};

void add(std::vector<WorkerBytes>& into, const std::vector<WorkerBytes>& b) {
  for (std::size_t w = 0; w < b.size(); ++w) {
    into[w].sent += b[w].sent;
    into[w].received += b[w].received;
  }
}

/// Core's wire bytes for the reference pattern, restated from the reference code: shared parameters
/// by ring all-reduce, every partitioned block by reduce + broadcast through its lowest holder (star).
std::vector<WorkerBytes> reference_wire_bytes(const Schedule& s, const Model& model, const CommPlan& plan) {
  const int n = s.config.workers;
  std::vector<WorkerBytes> out(static_cast<std::size_t>(n));
  for (const Exchange& e : plan.exchanges) {
    switch (s.config.protocol) {
    case Protocol::resist: add(out, wire_bytes({{e}}, n, e.label == "shared" ? Algorithm::ring : Algorithm::star)); break;
    case Protocol::local_sgd: {
      const auto blocks = partitionable_blocks(model, s.config.partition);
      Exchange shared = e;
      shared.bytes = shared_param_bytes(model, blocks);
      add(out, wire_bytes({{shared}}, n, Algorithm::ring));
      for (int b : blocks) {
        Exchange one = e;
        one.bytes = model.blocks[static_cast<std::size_t>(b)].param_bytes();
        add(out, wire_bytes({{one}}, n, Algorithm::star));
      }
      break;
    }
    case Protocol::data_parallel: add(out, wire_bytes({{e}}, n, Algorithm::ring)); break;
    case Protocol::ist: add(out, wire_bytes({{e}}, n, Algorithm::star)); break;
    case Protocol::layer_parallel: add(out, payload_bytes(CommPlan{{e}}, n)); break; // point to point
    }
  }
  return out;
}

void check_bytes(Protocol p, const std::string& collective, bool reuse, int rails = 1) {
  const std::string model_name = p == Protocol::ist ? "mlp_fmnist" : "preact_resnet_small";
  const Schedule s = test::small_schedule(p, 4, model_name, 2);
  const Model model = make_model(model_name);
  SimOptions o;
  o.platform = rails == 1 ? std::string(kPlatform) : std::string(kPlatform) + ",nics_per_node=" + std::to_string(rails);
  o.collective = collective;
  o.reuse = reuse;
  const SimResult r = simulate(s, o);

  std::vector<WorkerBytes> wire(4);
  std::int64_t payload = 0;
  for (const Round& round : s.rounds) {
    const CommPlan plan = round_comm_plan(s, model, round.round);
    payload += total_bytes(payload_bytes(plan, 4));
    // layer_parallel sends point to point between neighbours whatever the collective: wire = payload.
    add(wire, p == Protocol::layer_parallel ? payload_bytes(plan, 4)
              : collective == "reference"   ? reference_wire_bytes(s, model, plan)
                                            : wire_bytes(plan, 4, parse_algorithm(collective), kNodeOf, rails));
  }
  INFO(to_string(p) << " / " << collective << (reuse ? " (reuse)" : " (full)"));
  REQUIRE(r.worker_bytes.size() == 4);
  for (int w = 0; w < 4; ++w) {
    CHECK(r.worker_bytes[static_cast<std::size_t>(w)].sent == wire[static_cast<std::size_t>(w)].sent);
    CHECK(r.worker_bytes[static_cast<std::size_t>(w)].received == wire[static_cast<std::size_t>(w)].received);
  }
  CHECK(r.wire_bytes == total_bytes(wire));
  CHECK(r.payload_bytes == payload);
  // The timeline carries the same bytes.
  std::int64_t timeline_bytes = 0;
  for (const auto& e : r.timeline) timeline_bytes += e.bytes_sent + e.bytes_received;
  CHECK(timeline_bytes == r.wire_bytes);
}

} // namespace

TEST_CASE("simulated bytes per worker equal core's accounting for every protocol and algorithm", "[sim][bytes]") {
  for (Protocol p : all_protocols())
    for (const char* c : {"reference", "ring", "star", "hierarchical"}) check_bytes(p, c, true);
}

TEST_CASE("bytes are the same with and without reuse of identical rounds and steps", "[sim][bytes]") {
  for (Protocol p : {Protocol::local_sgd, Protocol::data_parallel, Protocol::layer_parallel})
    check_bytes(p, "ring", false);
}

TEST_CASE("with a NIC per GPU the ring across nodes runs a channel per NIC, bytes as core counts them", "[sim][bytes]") {
  for (Protocol p : {Protocol::local_sgd, Protocol::data_parallel}) check_bytes(p, "ring", true, 2);
}
