// Push end to end: a real h2hd with FCM credentials, its FCM and OAuth2
// token endpoint played by a fake server on 127.0.0.1. A message reaches the
// phone of the member with no session in the room, never the present one or
// the sender; a burst is one push per coalescing window.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "../net/outbound/fake_google.hpp"
#include "accounts.hpp"
#include "process.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr int window_ms = 1000;

struct push_node {
  temp_dir dir;
  fake_google google;
  std::unique_ptr<server_process> srv;

  push_node() {
    auto creds = dir.path() + "/fcm.json";
    std::ofstream{creds} << service_account_json(
      fake_google::email, google.keys.private_pem, google.token_uri(),
      fake_google::project);
    std::vector<std::string> args{"--auth.require_email_verification",
                                  "false",
                                  "--push.fcm_credentials",
                                  creds,
                                  "--push.fcm_endpoint",
                                  google.server.url(),
                                  "--push.fcm_token_uri",
                                  google.token_uri(),
                                  "--push.coalesce_ms",
                                  std::to_string(window_ms)};
    srv = std::make_unique<server_process>(
      H2HD_PATH, with_accounts(local_args(dir, args)));
  }

  std::uint16_t port() const {
    return srv->port();
  }

  void add_device(const member& m, const std::string& token) {
    auto r
      = rest(port(), "POST", "/member/device",
             json{{"token", token}, {"platform", "android"}}, m.access_token);
    ASSERT_EQ(r.status, 201) << r.raw;
  }

  /// The FCM messages received so far, as JSON ("message" objects).
  std::vector<json> pushes() const {
    std::vector<json> out;
    for (auto& r : google.server.requests_to(google.fcm_path()))
      out.push_back(json::parse(r.body, nullptr, false)["message"]);
    return out;
  }

  std::vector<json> pushes_to(const std::string& device) const {
    std::vector<json> out;
    for (auto& p : pushes())
      if (p.value("token", "") == device)
        out.push_back(p);
    return out;
  }

  bool wait_pushes(std::size_t n, std::chrono::milliseconds limit) const {
    // The predicate sees the requests under the server's lock: it must not
    // ask the server again.
    auto path = google.fcm_path();
    return google.server.wait_for(
      [path, n](const auto& rs) {
        return static_cast<std::size_t>(
                 std::count_if(rs.begin(), rs.end(),
                               [&](auto& r) { return r.target == path; }))
               >= n;
      },
      limit);
  }
};

/// Enters `room` over /message and waits for the own ENTER notice.
void enter(ws_client& ws, const std::string& room, const std::string& name) {
  ASSERT_TRUE(ws.send_json(enter_frame(room, name)));
  ASSERT_TRUE(ws.recv_where(
    [](const json& j) { return j.value("type", "") == "ENTER"; }));
}

/// Sends a message over /message and waits for its ACK; the seq.
std::uint64_t say(ws_client& ws, const std::string& room,
                  const std::string& name, const std::string& text) {
  static int next = 0; // an ACK needs a clientMsgId
  EXPECT_TRUE(ws.send_json(
    message_frame(room, name, text, "c-" + std::to_string(++next))));
  auto ack
    = ws.recv_where([](const json& j) { return j.value("type", "") == "ACK"; });
  EXPECT_TRUE(ack);
  return ack ? (*ack)["seq"].get<std::uint64_t>() : 0;
}

} // namespace

TEST(push_e2e,
     only_the_absent_member_gets_a_push_and_a_burst_is_one_per_window) {
  push_node node;
  auto alice = sign_up_unverified(node.port(), "alice"); // connected
  auto bob = sign_up_unverified(node.port(), "bob");     // not connected
  node.add_device(alice, "dev-alice");
  node.add_device(bob, "dev-bob");
  auto made = rest(node.port(), "POST", "/chat/room", json{{"name", "Lobby"}},
                   alice.access_token);
  ASSERT_EQ(made.status, 201) << made.raw;
  auto room = made.body.value("roomId", "");
  auto added = rest(node.port(), "POST", "/chat/room/" + room + "/members",
                    json{{"member_id", bob.id}}, alice.access_token);
  ASSERT_EQ(added.status, 201) << added.raw;

  ws_client ws{node.port(), with_header_token(alice.access_token)};
  enter(ws, room, "alice");
  auto seq = say(ws, room, "alice", "hello bob");
  ASSERT_TRUE(node.wait_pushes(1, 10s)) << node.srv->log();
  // Another window passes: nothing else arrives.
  std::this_thread::sleep_for(std::chrono::milliseconds{2 * window_ms});
  auto all = node.pushes();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]["token"], "dev-bob");
  EXPECT_EQ(all[0]["data"]["roomId"], room);
  EXPECT_EQ(all[0]["data"]["seq"], std::to_string(seq));
  EXPECT_EQ(all[0]["data"]["sender"], "alice");
  EXPECT_EQ(all[0]["notification"]["title"], "Lobby");
  EXPECT_EQ(all[0]["notification"]["body"], "alice: hello bob");
  EXPECT_TRUE(node.pushes_to("dev-alice").empty());

  // A burst of 20: one push per window it spans, carrying the latest.
  auto started = std::chrono::steady_clock::now();
  std::uint64_t last = 0;
  for (int i = 1; i <= 20; ++i)
    last = say(ws, room, "alice", "burst " + std::to_string(i));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - started);
  std::size_t windows = 1 + static_cast<std::size_t>(took.count() / window_ms);
  ASSERT_TRUE(node.wait_pushes(2, 10s));
  std::this_thread::sleep_for(std::chrono::milliseconds{2 * window_ms});
  auto burst = node.pushes_to("dev-bob");
  ASSERT_GE(burst.size(), 2u);
  burst.erase(burst.begin());
  EXPECT_LE(burst.size(), windows) << "burst took " << took.count() << " ms";
  if (took.count() < window_ms) {
    EXPECT_EQ(burst.size(), 1u);
  }
  EXPECT_EQ(burst.back()["data"]["seq"], std::to_string(last));
  EXPECT_EQ(burst.back()["notification"]["body"], "alice: burst 20");
  EXPECT_TRUE(node.pushes_to("dev-alice").empty());

  // The counters on /metrics.
  auto metrics = rest(node.srv->metrics_port(), "GET", "/metrics").raw;
  EXPECT_NE(
    metrics.find("h2h_push_sent_total " + std::to_string(1 + burst.size())),
    std::string::npos)
    << metrics;
  EXPECT_NE(metrics.find("h2h_push_coalesced_total"), std::string::npos);
  EXPECT_NE(metrics.find("h2h_push_failed_total{reason=\"retries\"} 0"),
            std::string::npos);
  EXPECT_NE(metrics.find("h2h_push_queue 0"), std::string::npos);
}

TEST(push_e2e, a_sender_without_a_session_is_not_notified) {
  push_node node;
  auto alice = sign_up_unverified(node.port(), "alice"); // connected
  auto carol = sign_up_unverified(node.port(), "carol"); // sends over HTTP
  node.add_device(alice, "dev-alice");
  node.add_device(carol, "dev-carol");
  auto made = rest(node.port(), "POST", "/chat/room", json{{"name", "Lobby"}},
                   alice.access_token);
  ASSERT_EQ(made.status, 201) << made.raw;
  auto room = made.body.value("roomId", "");
  ws_client ws{node.port(), with_header_token(alice.access_token)};
  enter(ws, room, "alice");
  auto r = rest(node.port(), "POST", "/chat/room/" + room + "/message",
                json{{"message", "from http"}}, carol.access_token);
  ASSERT_EQ(r.status, 201) << r.raw;
  ASSERT_TRUE(ws.recv_where(
    [](const json& j) { return j.value("type", "") == "MESSAGE"; }));
  // Alice is present, carol is the sender: nobody is pushed.
  std::this_thread::sleep_for(std::chrono::milliseconds{2 * window_ms + 500});
  EXPECT_TRUE(node.pushes().empty()) << node.pushes().size();
}

TEST(push_e2e, push_off_shows_no_push_metrics) {
  temp_dir dir;
  server_process srv{H2HD_PATH, with_accounts(local_args(dir))};
  auto metrics = rest(srv.metrics_port(), "GET", "/metrics").raw;
  EXPECT_NE(metrics.find("h2h_room_events_total"), std::string::npos);
  EXPECT_EQ(metrics.find("h2h_push_"), std::string::npos);
}
