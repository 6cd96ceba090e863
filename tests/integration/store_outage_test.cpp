// Integration: MariaDB stops while clients send and starts again. Every
// message gets an ACK or an ERROR; every acknowledged one is in history
// exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "mariadb.hpp"
#include "process.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

/// Polls /readyz until it answers `status` (bounded).
bool wait_ready_status(std::uint16_t port, int status,
                       std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (http_request(port, "GET", "/readyz").status == status)
      return true;
    std::this_thread::sleep_for(50ms); // polling an HTTP status
  }
  return false;
}

} // namespace

TEST(store_outage, acknowledged_messages_survive_a_database_restart) {
  mariadb_instance db;
  auto url = fresh_mysql_database(db.url());
  server_process srv{
    H2HD_PATH,
    trusted_mode({"--port", "0", "--bind", "127.0.0.1", "--log-level", "warn",
                  "--store.kind", "mysql", "--store.mysql_url", url})};
  ASSERT_TRUE(wait_ready_status(srv.port(), 200, 5s));
  constexpr int total = 300;
  std::atomic<int> sent{0};
  std::map<std::string, std::uint64_t> acked;
  std::map<std::string, std::string> refused;
  std::string failure;
  // The sender runs on its own thread with its own client: a steady stream
  // of messages, reading ACKs and ERRORs as they come.
  std::thread sender([&] {
    try {
      ws_client c{srv.port()};
      c.send_json(enter_frame("r1", "alice"));
      auto drain = [&](std::chrono::milliseconds wait) {
        while (auto text = c.recv(wait)) {
          auto j = json::parse(*text);
          if (j["type"] == "ACK")
            acked[j["clientMsgId"]] = j["seq"];
          else if (j["type"] == "ERROR")
            refused[j.value("clientMsgId", std::string{})] = j["code"];
          wait = 0ms;
        }
      };
      for (int i = 0; i < total; ++i) {
        auto cmid = "c" + std::to_string(i);
        if (!c.send_json(message_frame("r1", "alice", "msg " + cmid, cmid)))
          throw std::runtime_error("send failed");
        sent = i + 1;
        drain(10ms); // also paces the sender
      }
      auto deadline = std::chrono::steady_clock::now() + 60s;
      while (acked.size() + refused.size() < total
             && std::chrono::steady_clock::now() < deadline)
        drain(200ms);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  // Let some messages through, then take the database away for a while.
  while (sent < 60)
    std::this_thread::sleep_for(5ms); // waiting for the other thread
  db.stop();
  EXPECT_TRUE(wait_ready_status(srv.port(), 503, 10s));
  while (sent < 200)
    std::this_thread::sleep_for(5ms);
  db.start();
  sender.join();
  ASSERT_TRUE(failure.empty()) << failure;
  EXPECT_TRUE(wait_ready_status(srv.port(), 200, 10s));
  // Every message was answered.
  EXPECT_EQ(acked.size() + refused.size(), static_cast<std::size_t>(total));
  for (auto& [cmid, code] : refused)
    EXPECT_EQ(code, "CHAT_006") << cmid;
  // Every acknowledged message is in history exactly once, under its seq.
  std::map<std::string, int> seen;
  std::map<std::string, std::uint64_t> seq_of;
  for (std::uint64_t page = 0; page < 10; ++page) {
    auto r
      = http_request(srv.port(), "GET",
                     "/messages/room/r1?size=100&page=" + std::to_string(page));
    ASSERT_EQ(r.status, 200) << r.body;
    auto list = json::parse(r.body);
    for (auto& m : list)
      if (m.contains("clientMsgId")) {
        ++seen[m["clientMsgId"]];
        seq_of[m["clientMsgId"]] = m["seq"];
      }
    if (list.size() < 100)
      break;
  }
  for (auto& [cmid, seq] : acked) {
    EXPECT_EQ(seen[cmid], 1) << cmid;
    EXPECT_EQ(seq_of[cmid], seq) << cmid;
  }
  for (auto& [cmid, n] : seen)
    EXPECT_EQ(n, 1) << cmid;
  EXPECT_NE(srv.log().find("store unavailable"), std::string::npos);
  EXPECT_EQ(srv.stop(), 0);
}
