// Bad input is one clear InputError naming the offending value or file.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "core/error.hpp"
#include "core/schedule_io.hpp"
#include "sim_test_util.hpp"

using namespace resist;
using namespace resist::sim;
using Catch::Matchers::Contains;

namespace {
SimResult run(const std::string& platform, const std::string& gpu = "") {
  SimOptions o;
  o.platform = platform;
  o.gpu = gpu;
  return simulate(test::small_schedule(Protocol::local_sgd, 4), o);
}
} // namespace

TEST_CASE("a missing platform file names the file", "[sim][bad-input]") {
  CHECK_THROWS_WITH(run("no/such/platform.xml"), Contains("no/such/platform.xml"));
  CHECK_THROWS_AS(run("no/such/platform.xml"), InputError);
  CHECK_THROWS_WITH(run("no_such_builtin"), Contains("unknown platform 'no_such_builtin'"));
}

TEST_CASE("a malformed platform file is an input error", "[sim][bad-input]") {
  const std::string path = "test_sim_malformed.xml";
  std::ofstream(path) << "<?xml version='1.0'?>\n<platform version=\"4.1\"><zone id=\"z\" routing=\"Full\">\n<host id=\n";
  CHECK_THROWS_AS(run(path), InputError);
  std::ofstream(path) << "not xml at all\n";
  CHECK_THROWS_WITH(run(path), Contains(path));
  std::remove(path.c_str());
  CHECK_THROWS_AS(run("parametric:nodes=two"), InputError);
  CHECK_THROWS_WITH(run("parametric:warp_drive=1"), Contains("warp_drive"));
}

TEST_CASE("a platform with fewer hosts than workers", "[sim][bad-input]") {
  CHECK_THROWS_WITH(run("parametric:nodes=1,gpus_per_node=2"), Contains("fewer than the 4 workers"));
  CHECK_THROWS_AS(run("parametric:nodes=1,gpus_per_node=2"), InputError);
}

TEST_CASE("an unknown GPU kind names itself", "[sim][bad-input]") {
  CHECK_THROWS_WITH(run("parametric:gpus_per_node=4", "TPUv9"), Contains("unknown GPU kind 'TPUv9'"));
  CHECK_THROWS_AS(run("parametric:gpus_per_node=4,gpu=K80x"), InputError);
}

TEST_CASE("a schedule whose hash does not match its content is refused", "[sim][bad-input]") {
  const std::string path = "test_sim_tampered.json";
  std::string text = schedule_to_string(test::small_schedule(Protocol::resist, 2));
  const auto at = text.find("\"steps\": 2");
  REQUIRE(at != std::string::npos);
  text.replace(at, 10, "\"steps\": 3");
  std::ofstream(path) << text;
  CHECK_THROWS_AS(read_schedule(path), InputError);
  std::remove(path.c_str());
}
