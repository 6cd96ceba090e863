// A STOMP client for integration tests, over the test WebSocket client;
// frames are parsed with the server's codec (the interop suite uses
// @stomp/stompjs instead). Header-only: link h2h_codec.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/protocol/stomp/stomp_frame.hpp"
#include "ws_client.hpp"

namespace h2h::test {

namespace stomp = h2h::net::stomp;

/// A STOMP client over the test WebSocket client; frames are parsed with
/// the server's codec (the interop suite uses @stomp/stompjs instead).
struct stomp_client {
  ws_client ws;
  stomp::parser parser;
  std::deque<stomp::frame> frames;
  int heartbeats = 0;

  explicit stomp_client(std::uint16_t port,
                        const std::string& subprotocol = "v12.stomp")
    : ws{port, options(subprotocol)} {
  }

  static ws_options options(const std::string& subprotocol) {
    ws_options o;
    o.target = "/ws";
    if (!subprotocol.empty())
      o.headers["Sec-WebSocket-Protocol"] = subprotocol;
    return o;
  }

  bool send(const std::string& command, std::vector<stomp::header> headers = {},
            std::string body = {}) {
    return ws.send(stomp::serialize(
      {command, std::move(headers), std::move(body)}, stomp::version::v1_2));
  }

  /// The next frame (heart-beats are counted, not returned).
  std::optional<stomp::frame> next(std::chrono::milliseconds timeout = std::chrono::milliseconds{5000}) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (frames.empty()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return std::nullopt;
      auto text = ws.recv(left);
      if (!text)
        return std::nullopt;
      std::vector<stomp::parsed> out;
      parser.feed(*text, out);
      for (auto& p : out) {
        if (std::holds_alternative<stomp::heartbeat>(p))
          ++heartbeats;
        else if (auto* f = std::get_if<stomp::frame>(&p))
          frames.push_back(std::move(*f));
        else
          ADD_FAILURE() << "unparsable from server: " << *text;
      }
    }
    auto f = std::move(frames.front());
    frames.pop_front();
    return f;
  }

  /// The next frame, which must be `command`.
  stomp::frame expect(const std::string& command,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds{5000}) {
    auto f = next(timeout);
    if (!f) {
      ADD_FAILURE() << "no " << command << " frame";
      return {};
    }
    EXPECT_EQ(f->command, command)
      << "body: " << f->body
      << " message: " << (f->find("message") ? *f->find("message") : "");
    return *f;
  }

  stomp::frame connect(const std::string& token,
                       const std::string& heart_beat = "0,0") {
    send("CONNECT", {{"accept-version", "1.0,1.1,1.2"},
                     {"host", "localhost"},
                     {"Authorization", "Bearer " + token},
                     {"heart-beat", heart_beat}});
    return expect("CONNECTED");
  }

  void subscribe(const std::string& id, const std::string& room,
                 const std::string& receipt, std::int64_t last_seq = -1) {
    std::vector<stomp::header> h{{"id", id},
                                 {"destination", "/subscribe/room/" + room},
                                 {"receipt", receipt}};
    if (last_seq >= 0)
      h.push_back({"last-seq", std::to_string(last_seq)});
    ASSERT_TRUE(send("SUBSCRIBE", h));
  }

  bool talk(const std::string& room, const std::string& text,
            const std::string& receipt, std::int64_t sender_id) {
    nlohmann::json body{{"type", "TALK"},
              {"roomId", room},
              {"senderId", sender_id},
              {"message", text}};
    std::vector<stomp::header> h{{"destination", "/publish/message"},
                                 {"content-type", "application/json"}};
    if (!receipt.empty())
      h.push_back({"receipt", receipt});
    return send("SEND", h, body.dump());
  }
};

inline std::string header(const stomp::frame& f, const std::string& name) {
  auto* v = f.find(name);
  return v ? *v : std::string{"<none>"};
}

/// Reads until the RECEIPT `id`; returns the MESSAGE frames before it.
inline std::vector<stomp::frame> until_receipt(stomp_client& c,
                                        const std::string& id) {
  std::vector<stomp::frame> messages;
  for (;;) {
    auto f = c.next();
    if (!f) {
      ADD_FAILURE() << "no RECEIPT " << id;
      return messages;
    }
    if (f->command == "RECEIPT" && header(*f, "receipt-id") == id)
      return messages;
    if (f->command != "MESSAGE") {
      ADD_FAILURE() << "unexpected " << f->command << ": "
                    << header(*f, "message");
      return messages;
    }
    messages.push_back(*f);
  }
}

} // namespace h2h::test
