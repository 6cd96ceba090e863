// A raw WebSocket client for conformance tests, on raw_conn: writes any
// bytes (unmasked, reserved bits, bad opcodes, split frames) and reads the
// server's frames as they are. Every call is bounded in time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "raw_conn.hpp"

namespace h2h::test {

/// Opcodes by number, so that tests can also use the reserved ones.
namespace op {
constexpr std::uint8_t continuation = 0x0;
constexpr std::uint8_t text = 0x1;
constexpr std::uint8_t binary = 0x2;
constexpr std::uint8_t close = 0x8;
constexpr std::uint8_t ping = 0x9;
constexpr std::uint8_t pong = 0xA;
} // namespace op

/// One frame as the server sent it.
struct raw_frame {
  bool fin = false;
  bool masked = false;
  std::uint8_t rsv = 0; ///< the three reserved bits, 0..7
  std::uint8_t opcode = 0;
  std::string payload;

  /// The code of a close frame (1005 when it carries none).
  std::uint16_t close_code() const;
  /// The reason of a close frame.
  std::string close_reason() const;
};

/// The bytes of one client frame. `rsv` goes into bits 4..6 of the first
/// byte; unmasked frames are for testing refusals.
std::string make_frame(std::uint8_t opcode, std::string_view payload,
                       bool fin = true, std::uint8_t rsv = 0,
                       bool masked = true, std::uint32_t mask_key = 0x5a1c93e7);

/// A close frame's payload: the code in network order, then the reason.
std::string close_body(std::uint16_t code, std::string_view reason = {});

struct raw_ws_options {
  std::string target = "/message";
  /// Bytes written in the same write as the upgrade request (they reach
  /// the server behind the request).
  std::string extra;
  /// SO_RCVBUF before connecting (0 = the kernel's default).
  int receive_buffer_bytes = 0;
};

/// A raw connection after a completed WebSocket upgrade: frames go out as
/// any bytes (send_raw, try_send) and come back as the server sent them.
class raw_ws : public raw_conn {
public:
  /// Connects and completes the handshake; throws on failure.
  explicit raw_ws(std::uint16_t port, raw_ws_options options = {});

  /// Writes one frame (see make_frame).
  bool send_frame(std::uint8_t opcode, std::string_view payload,
                  bool fin = true, std::uint8_t rsv = 0, bool masked = true) {
    return send_raw(make_frame(opcode, payload, fin, rsv, masked));
  }

  /// The next frame, or nullopt on timeout or when the server closed TCP.
  std::optional<raw_frame> read_frame(ms timeout = ms{5000});

  /// Reads frames until a close frame and returns its code; nullopt on
  /// timeout or end of stream. `skipped` counts the other frames.
  std::optional<std::uint16_t> read_close(ms timeout = ms{5000},
                                          int* skipped = nullptr);
};

} // namespace h2h::test
