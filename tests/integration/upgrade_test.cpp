// The upgrade table of a real h2hd: /message ignores Sec-WebSocket-Protocol
// (upgrades and echoes none, as before the table existed); an unknown path
// is a 404.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "process.hpp"
#include "raw_conn.hpp"

using namespace h2h::test;
using json = nlohmann::json;

namespace {

std::string upgrade_request(const std::string& target,
                            const std::string& extra_headers) {
  return "GET " + target
         + " HTTP/1.1\r\n"
           "Host: 127.0.0.1\r\n"
           "Upgrade: websocket\r\n"
           "Connection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\n"
         + extra_headers + "\r\n";
}

} // namespace

TEST(upgrade,
     message_with_an_unknown_subprotocol_still_upgrades_and_echoes_none) {
  temp_dir dir;
  server_process srv{H2HD_PATH, trusted_mode(local_args(dir, {}))};
  raw_conn c{srv.port()};
  c.send(
    upgrade_request("/message", "Sec-WebSocket-Protocol: v12.stomp, chat\r\n"));
  auto head = c.read_response();
  EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
  EXPECT_EQ(header_value(head, "Sec-WebSocket-Accept"),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(header_value(head, "Sec-WebSocket-Protocol"), "") << head;
  EXPECT_EQ(head.find("Sec-WebSocket-Protocol"), std::string::npos) << head;
  EXPECT_EQ(srv.stop(), 0);
}

TEST(upgrade, ws_negotiates_the_clients_first_stomp_version_or_none) {
  temp_dir dir;
  server_process srv{H2HD_PATH, trusted_mode(local_args(dir, {}))};
  {
    raw_conn c{srv.port()};
    c.send(upgrade_request(
      "/ws", "Sec-WebSocket-Protocol: mqtt, v11.stomp, v12.stomp\r\n"));
    auto head = c.read_response();
    EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
    EXPECT_EQ(header_value(head, "Sec-WebSocket-Protocol"), "v11.stomp");
  }
  {
    // No token at the upgrade: STOMP's CONNECT carries it.
    raw_conn c{srv.port()};
    c.send(upgrade_request("/ws", ""));
    auto head = c.read_response();
    EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
    EXPECT_EQ(head.find("Sec-WebSocket-Protocol"), std::string::npos) << head;
  }
  EXPECT_EQ(srv.stop(), 0);
}

TEST(upgrade, an_unknown_path_is_a_404_with_unknown_path) {
  temp_dir dir;
  server_process srv{H2HD_PATH, trusted_mode(local_args(dir, {}))};
  raw_conn c{srv.port()};
  // (/ws speaks STOMP now: a path nobody serves.)
  c.send(upgrade_request("/topic", "Sec-WebSocket-Protocol: v12.stomp\r\n"));
  auto res = c.read_response();
  EXPECT_EQ(res.rfind("HTTP/1.1 404", 0), 0u) << res;
  auto body = res.substr(res.find("\r\n\r\n") + 4);
  EXPECT_EQ(json::parse(body)["code"], "GLOBAL_001") << body;
  EXPECT_EQ(srv.stop(), 0);
}
