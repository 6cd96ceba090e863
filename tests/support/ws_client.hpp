// A real WebSocket client (Boost.Beast) for integration tests: every call
// is bounded in time.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace h2h::test {

/// How a test client connects.
struct ws_options {
  /// The server's IPv4 address (a node in a network namespace has its own).
  std::string host = "127.0.0.1";
  std::string target = "/message";
  std::map<std::string, std::string> headers;
  /// SO_RCVBUF before connecting (0 = the kernel's default).
  int receive_buffer_bytes = 0;
  /// False makes a client that reads nothing until recv() is called.
  bool read_at_once = true;
};

class ws_client {
public:
  using ms = std::chrono::milliseconds;

  /// Connects and completes the handshake; throws on failure.
  explicit ws_client(std::uint16_t port, ws_options options = {});
  ~ws_client();

  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  /// Sends a text frame; false when the connection is gone.
  bool send(const std::string& text, ms timeout = ms{5000});
  bool send_json(const nlohmann::json& j, ms timeout = ms{5000}) {
    return send(j.dump(), timeout);
  }
  bool send_binary(const std::string& bytes, ms timeout = ms{5000});

  /// The next text message, or nullopt on timeout or close.
  std::optional<std::string> recv(ms timeout = ms{5000});

  /// The next message as JSON; throws on timeout or close.
  nlohmann::json recv_json(ms timeout = ms{5000});

  /// The next JSON message that satisfies `pred`; the messages before it
  /// (also any that is not JSON) are dropped. nullopt on timeout or close.
  std::optional<nlohmann::json>
  recv_where(const std::function<bool(const nlohmann::json&)>& pred,
             ms timeout = ms{5000});

  /// Waits until the server closes; returns its close code (nullopt on
  /// timeout). Messages that arrive meanwhile are dropped.
  std::optional<std::uint16_t> wait_closed(ms timeout = ms{5000});

  /// Closes from the client side (bounded).
  void close(std::uint16_t code = 1000);

  bool closed() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Options that carry an access token in the URL (`?access_token=`, as
/// browsers must) or in an `Authorization: Bearer` header.
ws_options with_query_token(const std::string& token);
ws_options with_header_token(const std::string& token);

/// The next ERROR frame (see ws_client::recv_where).
std::optional<nlohmann::json> next_error(ws_client& c,
                                         std::chrono::milliseconds timeout
                                         = std::chrono::milliseconds{5000});

/// Frame builders for the raw JSON protocol.
nlohmann::json enter_frame(const std::string& room, const std::string& sender,
                           std::int64_t last_seq = -1);
nlohmann::json message_frame(const std::string& room, const std::string& sender,
                             const std::string& text,
                             const std::string& client_msg_id = {});
nlohmann::json exit_frame(const std::string& room, const std::string& sender);

} // namespace h2h::test
