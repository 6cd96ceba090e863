// Smoke test of h2h-push-bench (scripts/bench.sh push) at tiny sizes, so
// that the tool does not rot: it must start h2hd against its fake FCM, get
// pushes through and report the chat phase's latency. Never about speed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "run_child.hpp"

using h2h::test::run_child;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> tiny(std::vector<std::string> more) {
  std::vector<std::string> args{
    "--h2hd",        H2HD_PATH, "--bench",         H2H_BENCH_PATH,
    "--members",     "20",      "--coalesce-ms",   "100",
    "--push-rate",   "20",      "--push-warmup",   "0.5",
    "--push-duration", "1",     "--chat-push-rate", "5",
    "--conns",       "20",      "--rooms",         "2",
    "--publishers",  "2",       "--rate",          "40",
    "--chat-warmup", "0.5",     "--chat-duration", "1"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

} // namespace

TEST(push_bench_smoke, pushes_reach_the_fake_provider_and_the_chat_is_measured) {
  auto r = run_child(H2H_PUSH_BENCH_PATH, tiny({}), 60s);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  auto& push = j["push_phase"];
  EXPECT_GT(push["pushes"].get<double>(), 0) << j.dump(2);
  EXPECT_GT(push["pushes_per_s"].get<double>(), 0);
  EXPECT_GT(push["sent"].get<double>(), 0);
  EXPECT_EQ(j["provider"]["strays"], 0);
  EXPECT_GE(j["provider"]["tokens_issued"].get<int>(), 1);
  auto& fan = j["chat_phase"]["fanout"];
  ASSERT_TRUE(fan.is_object()) << j.dump(2);
  EXPECT_TRUE(fan["completed"].get<bool>()) << fan.dump(2);
  EXPECT_TRUE(fan["latency_p99_ms"].is_number()) << fan.dump(2);
  EXPECT_EQ(fan["lost"], 0);
  EXPECT_GT(j["publisher"]["acked"].get<int>(), 0);
}

TEST(push_bench_smoke, push_off_runs_the_chat_without_a_provider) {
  auto r = run_child(H2H_PUSH_BENCH_PATH,
                     tiny({"--push", "off", "--push-duration", "0"}), 60s);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_FALSE(j.contains("push_phase"));
  EXPECT_FALSE(j.contains("provider"));
  EXPECT_TRUE(j["chat_phase"]["fanout"]["latency_p99_ms"].is_number())
    << j.dump(2);
}

TEST(push_bench_smoke, bad_options_are_listed_with_the_usage) {
  auto r = run_child(H2H_PUSH_BENCH_PATH, {"--members", "0", "--push", "x"}, 10s);
  EXPECT_EQ(r.exit_code, 2);
}
