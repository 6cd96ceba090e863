// Smoke test: the real h2h-bench against a real h2hd; checks correctness, not
// speed.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct child_result {
  int exit_code = -1; ///< -1: killed at the timeout
  std::string out;
};

/// Runs h2h-bench with `args`, collecting stdout (stderr passes through to
/// the test log); kills it if it outlives `timeout`.
child_result run_bench(const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout = 60s) {
  int out[2];
  if (pipe(out) != 0)
    throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv{const_cast<char*>(H2H_BENCH_PATH)};
    for (auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(H2H_BENCH_PATH, argv.data());
    _exit(127);
  }
  close(out[1]);
  child_result r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
    pollfd p{out[0], POLLIN, 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) {
      kill(pid, SIGKILL);
      break;
    }
    char buf[4096];
    auto n = read(out[0], buf, sizeof(buf));
    if (n <= 0)
      break;
    r.out.append(buf, static_cast<std::size_t>(n));
  }
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status))
    r.exit_code = WEXITSTATUS(status);
  return r;
}

std::vector<std::string> server_args(const temp_dir& dir) {
  // Trusted-network mode without tokens, and no per-connection send limit:
  // the bench's publishers send 100 messages/s each.
  return trusted_mode(local_args(dir, {"--log-level", "warn"}));
}

std::string url_of(const server_process& srv) {
  return "ws://127.0.0.1:" + std::to_string(srv.port()) + "/message";
}

/// One fanout run with the smoke-test load; returns its parsed report.
/// `proto` "stomp" speaks STOMP at /ws instead of raw JSON at /message.
json fanout(const server_process& srv, const std::string& proto = "raw") {
  auto url = proto == "stomp"
               ? "ws://127.0.0.1:" + std::to_string(srv.port()) + "/ws"
               : url_of(srv);
  auto r = run_bench({"fanout",
                      "--url",
                      url,
                      "--proto",
                      proto,
                      "--conns",
                      "40",
                      "--rooms",
                      "4",
                      "--publishers",
                      "4",
                      "--rate",
                      "400",
                      "--duration",
                      "2",
                      "--warmup",
                      "1",
                      "--server-pid",
                      std::to_string(srv.pid()),
                      "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "stdout is not one JSON object: " << r.out;
  return j;
}

void expect_clean_fanout(const json& j) {
  ASSERT_TRUE(j.is_object());
  EXPECT_TRUE(j["completed"].get<bool>()) << j.dump(2);
  EXPECT_EQ(j["connected"], 40);
  EXPECT_GT(j["publishes"].get<std::uint64_t>(), 0u);
  EXPECT_GT(j["deliveries"].get<std::uint64_t>(), 0u);
  // Every member of a 10-member room gets every window message.
  EXPECT_EQ(j["expected_deliveries"], j["publishes"].get<std::uint64_t>() * 10);
  EXPECT_EQ(j["lost"], 0) << j.dump(2);
  EXPECT_EQ(j["duplicated"], 0);
  EXPECT_EQ(j["out_of_order"], 0);
  EXPECT_EQ(j["server_errors"], 0) << j["first_server_error"];
  EXPECT_TRUE(j["server_cpu_s"].is_number()) << j.dump(2);
  EXPECT_TRUE(j["server_rss_kb"].is_number());
  EXPECT_TRUE(j["latency_p99_ms"].is_number());
  EXPECT_TRUE(j["ack_latency_p99_ms"].is_number());
  // Every window message reached all 10 members: each is timed per message,
  // and its first member never gets it later than the slowest delivery.
  EXPECT_EQ(j["spread_samples"], j["publishes"]) << j.dump(2);
  EXPECT_EQ(j["spread_untimed"], 0);
  EXPECT_LE(j["first_latency_p99_ms"].get<double>(),
            j["latency_max_ms"].get<double>());
  EXPECT_TRUE(j["spread_p99_ms"].is_number());
}

} // namespace

TEST(bench_smoke, fanout_against_h2hd_loses_nothing_twice_in_a_row) {
  temp_dir dir;
  server_process srv{H2HD_PATH, server_args(dir)};
  // The second run reuses room names, senders and message numbers: the
  // server's idempotency (sender, roomId, clientMsgId) must not swallow it.
  for (int run = 0; run < 2; ++run) {
    SCOPED_TRACE("run " + std::to_string(run + 1));
    expect_clean_fanout(fanout(srv));
  }
}

// The same load over STOMP (DESIGN.md §2.2): CONNECT, SUBSCRIBE, SEND with
// receipts, MESSAGE frames counted like raw deliveries.
TEST(bench_smoke, fanout_over_stomp_loses_nothing) {
  temp_dir dir;
  server_process srv{H2HD_PATH, server_args(dir)};
  auto j = fanout(srv, "stomp");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["proto"], "stomp");
  expect_clean_fanout(j);
  // Every SEND carried a receipt: RECEIPTs are STOMP's ACKs.
  EXPECT_EQ(j["acks"], j["publishes_total"]) << j.dump(2);
}

TEST(bench_smoke, idle_opens_fifty_connections_and_reads_rss) {
  temp_dir dir;
  server_process srv{H2HD_PATH, server_args(dir)};
  auto r = run_bench({"idle", "--url", url_of(srv), "--conns", "50",
                      "--server-pid", std::to_string(srv.pid()), "--hold",
                      "0.2", "--sources", "127.0.0.2-127.0.0.4", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = json::parse(r.out);
  EXPECT_TRUE(j["completed"].get<bool>()) << j.dump(2);
  EXPECT_EQ(j["conns"], 50);
  EXPECT_EQ(j["opened"], 50);
  EXPECT_EQ(j["sources"], 3);
  EXPECT_GT(j["server_rss_before_kb"].get<std::uint64_t>(), 0u);
  EXPECT_GT(j["server_rss_after_kb"].get<std::uint64_t>(), 0u);
  EXPECT_TRUE(j["rss_per_conn_kb"].is_number());
  EXPECT_TRUE(j["rss_per_idle_conn_kb"].is_number());
  // The set-up's CPU on both sides, apart from holding and closing.
  EXPECT_TRUE(j["open_server_cpu_s"].is_number()) << j.dump(2);
  EXPECT_GE(j["open_generator_cpu_s"].get<double>(), 0.0);
  EXPECT_LE(j["open_generator_cpu_s"].get<double>(),
            j["generator_cpu_s"].get<double>());
}

TEST(bench_smoke, usage_and_argument_errors_have_their_exit_codes) {
  auto help = run_bench({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("fanout"), std::string::npos);
  EXPECT_NE(help.out.find("idle"), std::string::npos);
  auto sub_help = run_bench({"fanout", "--help"});
  EXPECT_EQ(sub_help.exit_code, 0);
  EXPECT_NE(sub_help.out.find("--publishers"), std::string::npos);
  EXPECT_EQ(run_bench({"fanout", "--conns", "10"}).exit_code, 2);
  EXPECT_EQ(
    run_bench({"idle", "--url", "ws://10.1.2.3:80/", "--conns", "1"}).exit_code,
    2);
  EXPECT_EQ(run_bench({"nosuch"}).exit_code, 2);
  EXPECT_EQ(run_bench({}).exit_code, 2);
  // Nothing listens on port 1: a connection failure, not a usage error.
  auto refused = run_bench(
    {"idle", "--url", "ws://127.0.0.1:1/message", "--conns", "3", "--json"});
  EXPECT_EQ(refused.exit_code, 1);
  auto j = json::parse(refused.out);
  EXPECT_FALSE(j["completed"].get<bool>());
  EXPECT_EQ(j["connect_failures"], 3);
}
