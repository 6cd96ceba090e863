// RFC 6455 framing for the server side: an incremental parser for client
// frames and the encoder for server frames. Pure: no sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace h2h::net::ws {

enum class opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

/// One complete message (data messages reassembled from their fragments).
struct message {
  opcode op = opcode::text;
  std::string payload;
  /// For close: the code (1005 when the frame carried none) and reason.
  std::uint16_t close_code = 0;
  std::string close_reason;
};

/// A violation: the connection must close with `close_code`.
struct violation {
  std::uint16_t close_code;
  std::string reason;
};

/// Incremental parser of masked client frames. Feed it bytes as they arrive,
/// in pieces of any size.
class parser {
public:
  explicit parser(std::size_t max_message_bytes)
    : max_message_(max_message_bytes) {
  }

  /// Consumes all of `data`, appending each completed message to `out`.
  /// Returns a violation as soon as the bytes show one (invalid UTF-8 as
  /// soon as the offending byte arrives, not at the end of the message).
  /// After a violation the parser stays failed: later calls parse nothing
  /// and return the same violation.
  std::optional<violation> feed(const std::uint8_t* data, std::size_t size,
                                std::vector<message>& out) {
    if (failed_code_ == 0)
      if (auto f = parse(data, size, out)) {
        failed_code_ = f.code;
        failed_reason_ = f.reason;
      }
    if (failed_code_ != 0)
      return violation{failed_code_, failed_reason_};
    return std::nullopt;
  }

  std::optional<violation> feed(std::string_view data,
                                std::vector<message>& out) {
    return feed(reinterpret_cast<const std::uint8_t*>(data.data()), data.size(),
                out);
  }

  /// True when no partial frame or message is buffered.
  bool at_boundary() const {
    return state_ == state::header && header_len_ == 0 && !in_message_;
  }

  /// Gives back buffer memory while the connection is idle.
  void release_memory();

private:
  enum class state : std::uint8_t { header, payload };

  /// A violation found while parsing; the reason is a string literal.
  struct fault {
    std::uint16_t code = 0;
    const char* reason = nullptr;
    explicit operator bool() const {
      return code != 0;
    }
  };

  fault parse(const std::uint8_t* data, std::size_t size,
              std::vector<message>& out);
  fault on_header();
  fault check_utf8(bool final);
  fault on_frame_complete(std::vector<message>& out);

  // Ordered to pack: every connection holds a parser.
  std::size_t max_message_;
  std::uint64_t remaining_ = 0; // of the current frame's payload
  std::string frame_payload_;   // of the current control frame
  std::string message_;         // the current (fragmented) data message
  const char* failed_reason_ = nullptr;
  /// Bytes of a text message_ known to be whole, well-formed code points
  /// (messages are at most limits.max_frame_bytes, 64 MiB).
  std::uint32_t utf8_checked_ = 0;
  std::uint16_t failed_code_ = 0; // 0 until a violation
  std::uint8_t header_[14];
  std::uint8_t mask_[4];
  std::uint8_t header_len_ = 0;
  std::uint8_t mask_pos_ = 0;
  state state_ = state::header;
  bool fin_ = false;
  opcode op_ = opcode::text;
  bool in_message_ = false;
  opcode message_op_ = opcode::text;
};

/// Writes the header of an unmasked server frame into `out` (at least 10
/// bytes) and returns its length.
std::size_t encode_header(opcode op, std::size_t payload_size,
                          std::uint8_t* out, bool fin = true);

/// A whole server frame (header + payload), for control frames and tests.
std::string encode_frame(opcode op, std::string_view payload);

/// The payload of a close frame: the code in network order and the reason
/// (cut at a code point to fit the 125-byte limit of control frames; any
/// ill-formed UTF-8 in it replaced, so the peer never fails on it).
std::string close_payload(std::uint16_t code, std::string_view reason);

/// A masked client frame, for tests and the load generator.
std::string encode_client_frame(opcode op, std::string_view payload,
                                std::uint32_t mask_key, bool fin = true);

/// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2).
std::string accept_key(std::string_view client_key);

} // namespace h2h::net::ws
