// A raw WebSocket client for conformance tests, on raw_conn: writes any
// bytes (unmasked, reserved bits, bad opcodes, split frames) and reads the
// server's frames as they are. Every call is bounded in time.
#include "raw_ws.hpp"

#include <stdexcept>

namespace h2h::test {

namespace {

using clock_type = std::chrono::steady_clock;

// The key of RFC 6455 §1.3's example and the answer it must get.
constexpr const char* handshake_key = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr const char* handshake_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

} // namespace

std::uint16_t raw_frame::close_code() const {
  if (payload.size() < 2)
    return 1005;
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8)
                                    | static_cast<std::uint8_t>(payload[1]));
}

std::string raw_frame::close_reason() const {
  return payload.size() <= 2 ? std::string{} : payload.substr(2);
}

std::string make_frame(std::uint8_t opcode, std::string_view payload, bool fin,
                       std::uint8_t rsv, bool masked, std::uint32_t mask_key) {
  std::string out;
  out
    += static_cast<char>((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0F));
  auto n = payload.size();
  auto mask_bit = masked ? 0x80 : 0;
  if (n < 126) {
    out += static_cast<char>(mask_bit | static_cast<int>(n));
  } else if (n <= 0xFFFF) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i)
      out
        += static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF);
  }
  if (!masked) {
    out.append(payload);
    return out;
  }
  char key[4]
    = {static_cast<char>(mask_key >> 24), static_cast<char>(mask_key >> 16),
       static_cast<char>(mask_key >> 8), static_cast<char>(mask_key)};
  out.append(key, 4);
  for (std::size_t i = 0; i < n; ++i)
    out += static_cast<char>(payload[i] ^ key[i & 3]);
  return out;
}

std::string close_body(std::uint16_t code, std::string_view reason) {
  std::string out;
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xFF);
  out.append(reason);
  return out;
}

raw_ws::raw_ws(std::uint16_t port, raw_ws_options options)
  : raw_conn(port, options.receive_buffer_bytes) {
  std::string req = "GET " + options.target
                    + " HTTP/1.1\r\n"
                      "Host: 127.0.0.1\r\n"
                      "Upgrade: websocket\r\n"
                      "Connection: Upgrade\r\n"
                      "Sec-WebSocket-Key: "
                    + handshake_key
                    + "\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n"
                    + options.extra;
  if (!send_raw(req, std::chrono::seconds{10}))
    throw std::runtime_error("sending the upgrade request failed");
  // Frames the server sent right behind its answer stay in in_.
  auto head = read_response(false, std::chrono::seconds{10});
  if (head.rfind("HTTP/1.1 101", 0) != 0
      || header_value(head, "Sec-WebSocket-Accept") != handshake_accept)
    throw std::runtime_error("upgrade refused: " + head);
}

std::optional<raw_frame> raw_ws::read_frame(ms timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    if (in_.size() >= 2) {
      auto b0 = static_cast<std::uint8_t>(in_[0]);
      auto b1 = static_cast<std::uint8_t>(in_[1]);
      std::size_t pos = 2;
      std::uint64_t len = b1 & 0x7F;
      bool complete = true;
      if (len == 126) {
        complete = in_.size() >= 4;
        if (complete)
          len = (static_cast<std::uint64_t>(static_cast<std::uint8_t>(in_[2]))
                 << 8)
                | static_cast<std::uint8_t>(in_[3]);
        pos = 4;
      } else if (len == 127) {
        complete = in_.size() >= 10;
        len = 0;
        for (int i = 0; complete && i < 8; ++i)
          len = (len << 8) | static_cast<std::uint8_t>(in_[2 + i]);
        pos = 10;
      }
      bool masked = (b1 & 0x80) != 0;
      if (masked)
        pos += 4;
      if (complete && in_.size() >= pos + len) {
        raw_frame f;
        f.fin = (b0 & 0x80) != 0;
        f.rsv = static_cast<std::uint8_t>((b0 >> 4) & 7);
        f.opcode = b0 & 0x0F;
        f.masked = masked;
        f.payload = in_.substr(pos, static_cast<std::size_t>(len));
        if (masked)
          for (std::size_t i = 0; i < f.payload.size(); ++i)
            f.payload[i]
              = static_cast<char>(f.payload[i] ^ in_[pos - 4 + (i & 3)]);
        in_.erase(0, pos + static_cast<std::size_t>(len));
        return f;
      }
    }
    if (!fill(deadline))
      return std::nullopt;
  }
}

std::optional<std::uint16_t> raw_ws::read_close(ms timeout, int* skipped) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    auto f = read_frame(
      std::chrono::duration_cast<ms>(deadline - clock_type::now()));
    if (!f)
      return std::nullopt;
    if (f->opcode == op::close)
      return f->close_code();
    if (skipped)
      ++*skipped;
  }
}

} // namespace h2h::test
