// The WebSocket transport's limits against a real h2hd: what a hostile
// client sends never grows the server without bound, and the bytes that
// arrive behind the upgrade request are read like any others.
#include <gtest/gtest.h>

#include <poll.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"
#include "raw_ws.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> base_args(const temp_dir& dir) {
  return local_args(dir, {"--log-level", "info", "--auth.required", "false"});
}

/// Resident memory of a process in KiB (VmRSS of /proc/<pid>/status).
long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}

/// Under AddressSanitizer freed memory waits in a quarantine (256 MiB by
/// default) before it is reused, so a server that allocates and frees a
/// pong per ping grows by the quarantine's size whatever it keeps. The
/// servers this suite starts inherit a small quarantine: their RSS then
/// measures what h2hd holds.
void keep_asan_quarantine_small() {
#if defined(__SANITIZE_ADDRESS__)
  std::string opts = "quarantine_size_mb=8";
  if (const char* old = std::getenv("ASAN_OPTIONS"); old && *old)
    opts = std::string{old} + ":" + opts;
  ::setenv("ASAN_OPTIONS", opts.c_str(), 1);
#endif
}

std::string enter_text(const std::string& sender) {
  return json{{"type", "ENTER"}, {"roomId", "r1"}, {"sender", sender}}.dump();
}

} // namespace

TEST(ws_transport, a_ping_flood_that_never_reads_is_cut_and_memory_stays_flat) {
  keep_asan_quarantine_small();
  temp_dir dir;
  server_process srv{H2HD_PATH, base_args(dir)}; // 1 MiB outbound limit
  raw_ws_options opts;
  opts.receive_buffer_bytes = 4096;
  raw_ws flooder{srv.port(), opts};
  // The server must answer pings at first (this client is fine so far).
  ASSERT_TRUE(flooder.send_frame(op::ping, "hello"));
  auto pong = flooder.read_frame();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, op::pong);
  auto before = rss_kib(srv.pid());
  ASSERT_GT(before, 0);

  // From now on it only sends 125-byte pings and reads nothing.
  std::string burst;
  for (int i = 0; i < 64; ++i)
    burst += make_frame(op::ping, std::string(125, 'p'));
  auto t0 = std::chrono::steady_clock::now();
  auto deadline = t0 + 10s;
  long peak = before;
  std::size_t offset = 0;
  std::uint64_t sent_bytes = 0;
  bool cut = false;
  while (std::chrono::steady_clock::now() < deadline) {
    auto n = flooder.try_send(std::string_view{burst}.substr(offset));
    if (n < 0) {
      cut = true;
      break;
    }
    sent_bytes += static_cast<std::uint64_t>(n);
    offset = (offset + static_cast<std::size_t>(n)) % burst.size();
    if (n == 0) {
      // The server reads no more for now: wait a little, watch memory.
      pollfd p{-1, 0, 0};
      ::poll(&p, 0, 20);
      peak = std::max(peak, rss_kib(srv.pid()));
    }
    if ((sent_bytes & 0xFFFFF) < static_cast<std::uint64_t>(n))
      peak = std::max(peak, rss_kib(srv.pid()));
    if (peak - before > 256 * 1024)
      break; // failed already: spare the machine
  }
  peak = std::max(peak, rss_kib(srv.pid()));
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(cut)
    << "still connected after "
    << std::chrono::duration_cast<std::chrono::seconds>(took).count()
    << " s and " << sent_bytes / 1024 << " KiB of pings";
  EXPECT_LT(peak - before, 32 * 1024)
    << "h2hd grew from " << before << " KiB to " << peak << " KiB";
  EXPECT_NE(srv.log().find("closing with 4008"), std::string::npos);

  // Others are not affected.
  raw_ws other{srv.port()};
  ASSERT_TRUE(other.send_frame(op::text, enter_text("bob")));
  auto notice = other.read_frame();
  ASSERT_TRUE(notice);
  EXPECT_EQ(json::parse(notice->payload)["type"], "ENTER");
  EXPECT_EQ(srv.stop(), 0);
}

TEST(ws_transport, a_violation_behind_the_upgrade_request_ends_the_connection) {
  // The frame arrives with the request, so the server finds the violation
  // before it reads from the socket: it must close at once, as for any
  // violation, instead of reading on and feeding the failed parser.
  temp_dir dir;
  server_process srv{H2HD_PATH, base_args(dir)};
  raw_ws_options opts;
  opts.extra = make_frame(op::text, enter_text("mallory"), true, 0, false);
  raw_ws c{srv.port(), opts};
  auto code = c.read_close();
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1002);
  auto t0 = std::chrono::steady_clock::now();
  // No reply from us: the server does not wait for one (close timeout 2 s).
  EXPECT_TRUE(c.closed_within(5000ms));
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - t0);
  EXPECT_LT(waited.count(), 1000) << "ms from the close frame to the end";
  EXPECT_EQ(srv.stop(), 0);
}

TEST(ws_transport, frames_behind_the_upgrade_request_are_handled_in_order) {
  temp_dir dir;
  server_process srv{H2HD_PATH, base_args(dir)};
  raw_ws_options opts;
  opts.extra = make_frame(op::ping, "early") + make_frame(op::text, "{}")
               + make_frame(op::close, close_body(1000));
  raw_ws c{srv.port(), opts};
  auto pong = c.read_frame();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, op::pong);
  EXPECT_EQ(pong->payload, "early");
  auto err = c.read_frame();
  ASSERT_TRUE(err);
  EXPECT_EQ(json::parse(err->payload)["code"], "CHAT_004");
  auto code = c.read_close();
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1000);
  EXPECT_TRUE(c.closed_within(3000ms));
  EXPECT_EQ(srv.stop(), 0);
}

TEST(ws_transport, a_violation_while_the_server_waits_for_the_close_ends_it) {
  // The server closed (1003) and waits for the reply; what comes instead
  // breaks the framing: it reads no more and closes TCP at once.
  temp_dir dir;
  server_process srv{H2HD_PATH, base_args(dir)};
  raw_ws c{srv.port()};
  ASSERT_TRUE(c.send_frame(op::binary, "b"));
  auto code = c.read_close();
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1003);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.send_frame(op::text, "unmasked", true, 0, false));
  EXPECT_TRUE(c.closed_within(5000ms));
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - t0);
  EXPECT_LT(waited.count(), 1000) << "ms until the server closed TCP";
  EXPECT_EQ(srv.stop(), 0);
}
