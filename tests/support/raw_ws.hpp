// A raw WebSocket client for conformance tests: writes any bytes (unmasked,
// reserved bits, bad opcodes, split frames) and reads the server's frames as
// they are. Every call is bounded in time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

class raw_ws {
public:
  using ms = std::chrono::milliseconds;

  /// Connects and completes the handshake; throws on failure.
  explicit raw_ws(std::uint16_t port, raw_ws_options options = {});
  ~raw_ws();

  raw_ws(const raw_ws&) = delete;
  raw_ws& operator=(const raw_ws&) = delete;

  /// Writes `bytes` completely; false when the connection is gone or the
  /// timeout passed.
  bool send_raw(std::string_view bytes, ms timeout = ms{5000});

  /// Writes one frame (see make_frame).
  bool send_frame(std::uint8_t opcode, std::string_view payload,
                  bool fin = true, std::uint8_t rsv = 0, bool masked = true) {
    return send_raw(make_frame(opcode, payload, fin, rsv, masked));
  }

  /// Writes what fits without waiting: the bytes taken, 0 when the socket
  /// is full, -1 when the connection is gone (reset, closed).
  long try_send(std::string_view bytes);

  /// The next frame, or nullopt on timeout or when the server closed TCP.
  std::optional<raw_frame> read_frame(ms timeout = ms{5000});

  /// Reads frames until a close frame and returns its code; nullopt on
  /// timeout or end of stream. `skipped` counts the other frames.
  std::optional<std::uint16_t> read_close(ms timeout = ms{5000},
                                          int* skipped = nullptr);

  /// True when the server closes TCP within `timeout` (frames that arrive
  /// meanwhile are dropped).
  bool wait_eof(ms timeout = ms{5000});

  /// True once the server closed TCP (seen by a read).
  bool eof() const {
    return eof_;
  }

private:
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string in_;
  bool eof_ = false;
};

} // namespace h2h::test
