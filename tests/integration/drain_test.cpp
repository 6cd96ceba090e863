// Integration: a real h2hd drains on SIGTERM: /readyz turns 503 first, new
// requests are refused, clients are closed with 1001 in batches spread over
// server.drain_window_ms, the process exits 0 and every acknowledged
// message is in history.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <set>
#include <thread>

#include "process.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

std::vector<std::string> drain_args(const temp_dir& dir, int window_ms) {
  return trusted_mode(
    local_args(dir, {"--log-level", "info", "--server.drain_window_ms",
                     std::to_string(window_ms)}));
}

/// Reads until the ACK of `cmid` arrives; false on timeout.
bool await_ack(ws_client& c, const std::string& cmid) {
  auto deadline = clock_type::now() + 5s;
  while (clock_type::now() < deadline) {
    auto text = c.recv(1000ms);
    if (!text)
      continue;
    auto j = json::parse(*text);
    if (j["type"] == "ACK" && j.value("clientMsgId", "") == cmid)
      return true;
  }
  return false;
}

/// The status of GET `target`, or -1 when the connection is refused.
int status_of(std::uint16_t port, const std::string& target) {
  try {
    return http_request(port, "GET", target).status;
  } catch (const std::exception&) {
    return -1;
  }
}

} // namespace

TEST(drain, sigterm_flips_readyz_then_closes_clients_1001_in_batches) {
  constexpr int window_ms = 1500;
  constexpr int clients = 6;
  temp_dir dir;
  std::set<std::string> acked;
  {
    server_process srv{H2HD_PATH, drain_args(dir, window_ms)};
    ASSERT_EQ(http_request(srv.port(), "GET", "/readyz").status, 200);
    std::vector<std::unique_ptr<ws_client>> cs;
    for (int i = 0; i < clients; ++i) {
      cs.push_back(std::make_unique<ws_client>(srv.port()));
      auto name = "u" + std::to_string(i);
      ASSERT_TRUE(cs.back()->send_json(enter_frame("r1", name)));
      for (int m = 0; m < 3; ++m) {
        auto cmid = name + "-" + std::to_string(m);
        ASSERT_TRUE(
          cs.back()->send_json(message_frame("r1", name, cmid, cmid)));
        ASSERT_TRUE(await_ack(*cs.back(), cmid)) << cmid;
        acked.insert(cmid);
      }
    }
    // Each client waits for its close on a thread of its own, so that the
    // moment of each close is seen.
    std::vector<std::optional<std::uint16_t>> codes(clients);
    std::vector<clock_type::time_point> closed_at(clients);
    auto t0 = clock_type::now();
    srv.signal(SIGTERM);
    std::vector<std::thread> waiters;
    for (int i = 0; i < clients; ++i)
      waiters.emplace_back([&, i] {
        // Frames still in flight (other clients' messages) are skipped.
        auto deadline = clock_type::now() + 5s;
        while (clock_type::now() < deadline && !cs[i]->closed()) {
          codes[i] = cs[i]->wait_closed(100ms);
          if (codes[i])
            break;
        }
        closed_at[i] = clock_type::now();
      });
    // Readiness flips at once, before the first batch closes.
    int ready = 0;
    while (clock_type::now() - t0 < 1000ms) {
      ready = status_of(srv.port(), "/readyz");
      if (ready == 503)
        break;
      std::this_thread::sleep_for(5ms);
    }
    auto flipped_at = clock_type::now();
    EXPECT_EQ(ready, 503);
    EXPECT_EQ(status_of(srv.port(), "/healthz"), 200);
    // New work is refused while the window lasts.
    EXPECT_EQ(status_of(srv.port(), "/chat/rooms"), 503);
    EXPECT_THROW(ws_client late{srv.port()}, std::exception)
      << "an upgrade during the drain must be refused";
    for (auto& w : waiters)
      w.join();
    // Moments in ms after the SIGTERM, for readable failures.
    auto at = [&](clock_type::time_point tp) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(tp - t0)
        .count();
    };
    auto first = at(*std::min_element(closed_at.begin(), closed_at.end()));
    auto last = at(*std::max_element(closed_at.begin(), closed_at.end()));
    for (int i = 0; i < clients; ++i) {
      ASSERT_TRUE(codes[i].has_value()) << "client " << i << " not closed";
      EXPECT_EQ(*codes[i], 1001) << "client " << i;
    }
    EXPECT_LT(at(flipped_at), first) << "readiness must flip before any close";
    EXPECT_GE(last - first, window_ms / 2)
      << "the closes are spread over the window, not all at once";
    EXPECT_LE(last, window_ms + 1000)
      << "every client is closed within the window";
    auto rc = srv.wait(10s);
    ASSERT_TRUE(rc.has_value()) << "h2hd did not exit after the drain";
    EXPECT_EQ(*rc, 0);
    EXPECT_NE(srv.log().find("persistence flushed"), std::string::npos);
  }
  // Every acknowledged message is in history after a restart.
  server_process again{H2HD_PATH, drain_args(dir, 0)};
  auto h
    = http_request(again.port(), "GET", "/messages/room/r1?page=0&size=100");
  ASSERT_EQ(h.status, 200) << h.body;
  std::multiset<std::string> stored;
  for (auto& m : json::parse(h.body))
    if (m["type"] == "MESSAGE")
      stored.insert(m["message"].get<std::string>());
  EXPECT_EQ(std::set<std::string>(stored.begin(), stored.end()), acked);
  EXPECT_EQ(stored.size(), acked.size()) << "no message stored twice";
  EXPECT_EQ(again.stop(), 0);
}

TEST(drain, a_zero_window_closes_every_client_at_once_and_exits) {
  temp_dir dir;
  server_process srv{H2HD_PATH, drain_args(dir, 0)};
  ws_client a{srv.port()}, b{srv.port()};
  ASSERT_TRUE(a.send_json(enter_frame("r1", "alice")));
  ASSERT_TRUE(b.send_json(enter_frame("r1", "bob")));
  ASSERT_TRUE(a.recv(5000ms).has_value());
  srv.signal(SIGTERM);
  std::optional<std::uint16_t> ca, cb;
  for (int i = 0; i < 50 && !ca; ++i)
    ca = a.wait_closed(100ms);
  for (int i = 0; i < 50 && !cb; ++i)
    cb = b.wait_closed(100ms);
  ASSERT_TRUE(ca && cb);
  EXPECT_EQ(*ca, 1001);
  EXPECT_EQ(*cb, 1001);
  auto rc = srv.wait(10s);
  ASSERT_TRUE(rc.has_value());
  EXPECT_EQ(*rc, 0);
}

TEST(drain, a_node_without_clients_does_not_wait_for_the_window) {
  temp_dir dir;
  server_process srv{H2HD_PATH, drain_args(dir, 20000)};
  auto t0 = clock_type::now();
  srv.signal(SIGTERM);
  auto rc = srv.wait(10s);
  ASSERT_TRUE(rc.has_value()) << "still draining after 10 s";
  EXPECT_EQ(*rc, 0);
  EXPECT_LT(clock_type::now() - t0, 5s);
}
