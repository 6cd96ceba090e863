// RFC 6455 framing for the server side: an incremental parser for client
// frames and the encoder for server frames. Pure: no sockets.
#include "net/ws/ws_frame.hpp"

#include <algorithm>
#include <cstring>

#include "net/security/crypto.hpp"
#include "net/protocol/utf8.hpp"

namespace h2h::net::ws {

namespace {

constexpr std::uint16_t protocol_error = 1002;
constexpr std::uint16_t invalid_payload = 1007;
constexpr std::uint16_t too_big = 1009;

bool is_control(opcode op) {
  return static_cast<std::uint8_t>(op) >= 0x8;
}

bool known_opcode(std::uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

/// Close codes a peer may send (RFC 6455 §7.4.1, §7.4.2).
bool valid_close_code(std::uint16_t code) {
  if (code >= 3000 && code <= 4999)
    return true;
  switch (code) {
    case 1000:
    case 1001:
    case 1002:
    case 1003:
    case 1007:
    case 1008:
    case 1009:
    case 1010:
    case 1011:
    case 1012:
    case 1013:
    case 1014:
      return true;
    default:
      return false;
  }
}

/// Size of the whole header once its first two bytes are known.
std::size_t header_size(std::uint8_t second_byte) {
  std::size_t n = 2 + 4; // clients always mask
  auto len7 = second_byte & 0x7F;
  if (len7 == 126)
    n += 2;
  else if (len7 == 127)
    n += 8;
  return n;
}

} // namespace

parser::fault parser::parse(const std::uint8_t* data, std::size_t size,
                            std::vector<message>& out) {
  while (size > 0) {
    if (state_ == state::header) {
      std::size_t need = header_len_ < 2 ? 2 : header_size(header_[1]);
      auto n = std::min(need - header_len_, size);
      std::memcpy(header_ + header_len_, data, n);
      header_len_ = static_cast<std::uint8_t>(header_len_ + n);
      data += n;
      size -= n;
      if (header_len_ == 2) {
        // Check what can be checked before the rest arrives.
        if ((header_[1] & 0x80) == 0)
          return fault{protocol_error, "client frames must be masked"};
        need = header_size(header_[1]);
      }
      if (header_len_ < need)
        continue;
      if (auto v = on_header())
        return v;
      if (remaining_ == 0)
        if (auto v = on_frame_complete(out))
          return v;
      continue;
    }
    // Payload: unmask into the frame or message buffer.
    auto n = static_cast<std::size_t>(
      std::min<std::uint64_t>(remaining_, static_cast<std::uint64_t>(size)));
    auto& dst = is_control(op_) ? frame_payload_ : message_;
    auto offset = dst.size();
    dst.resize(offset + n);
    auto* p = reinterpret_cast<std::uint8_t*>(&dst[offset]);
    for (std::size_t i = 0; i < n; ++i)
      p[i] = data[i] ^ mask_[(mask_pos_ + i) & 3];
    mask_pos_ = static_cast<std::uint8_t>((mask_pos_ + n) & 3);
    data += n;
    size -= n;
    remaining_ -= n;
    // Text is checked as it arrives: a client learns of bad UTF-8 at once,
    // not after a message that may never end.
    if (!is_control(op_) && message_op_ == opcode::text)
      if (auto v = check_utf8(false))
        return v;
    if (remaining_ == 0)
      if (auto v = on_frame_complete(out))
        return v;
  }
  return {};
}

parser::fault parser::on_header() {
  auto b0 = header_[0];
  auto b1 = header_[1];
  fin_ = (b0 & 0x80) != 0;
  if ((b0 & 0x70) != 0)
    return fault{protocol_error, "reserved bits set"};
  auto raw_op = static_cast<std::uint8_t>(b0 & 0x0F);
  if (!known_opcode(raw_op))
    return fault{protocol_error, "unknown opcode"};
  op_ = static_cast<opcode>(raw_op);
  std::uint64_t len = b1 & 0x7F;
  std::size_t pos = 2;
  if (len == 126) {
    len = (std::uint64_t{header_[2]} << 8) | header_[3];
    pos = 4;
  } else if (len == 127) {
    len = 0;
    for (int i = 0; i < 8; ++i)
      len = (len << 8) | header_[2 + i];
    pos = 10;
    if (len >> 63)
      return fault{protocol_error, "invalid payload length"};
  }
  std::memcpy(mask_, header_ + pos, 4);
  header_len_ = 0;
  mask_pos_ = 0;
  remaining_ = len;
  if (is_control(op_)) {
    if (!fin_)
      return fault{protocol_error, "fragmented control frame"};
    if (len > 125)
      return fault{protocol_error, "control frame too long"};
    frame_payload_.clear();
  } else {
    if (op_ == opcode::continuation) {
      if (!in_message_)
        return fault{protocol_error, "continuation without a message"};
    } else {
      if (in_message_)
        return fault{protocol_error, "new message inside a fragmented one"};
      in_message_ = true;
      message_op_ = op_;
      message_.clear();
      utf8_checked_ = 0;
    }
    if (len > max_message_ || message_.size() + len > max_message_)
      return fault{too_big, "message too big"};
  }
  state_ = len == 0 ? state::header : state::payload;
  return {};
}

parser::fault parser::on_frame_complete(std::vector<message>& out) {
  state_ = state::header;
  switch (op_) {
    case opcode::ping:
    case opcode::pong: {
      message m;
      m.op = op_;
      m.payload = std::move(frame_payload_);
      frame_payload_.clear();
      out.push_back(std::move(m));
      return {};
    }
    case opcode::close: {
      message m;
      m.op = opcode::close;
      if (frame_payload_.empty()) {
        m.close_code = 1005;
      } else if (frame_payload_.size() == 1) {
        return fault{protocol_error, "close frame with a 1-byte payload"};
      } else {
        auto hi = static_cast<std::uint8_t>(frame_payload_[0]);
        auto lo = static_cast<std::uint8_t>(frame_payload_[1]);
        m.close_code = static_cast<std::uint16_t>((hi << 8) | lo);
        if (!valid_close_code(m.close_code))
          return fault{protocol_error, "invalid close code"};
        m.close_reason = frame_payload_.substr(2);
        if (!valid_utf8(m.close_reason))
          return fault{invalid_payload, "close reason is not UTF-8"};
      }
      frame_payload_.clear();
      out.push_back(std::move(m));
      return {};
    }
    default:
      break;
  }
  if (!fin_)
    return {};
  in_message_ = false;
  if (message_op_ == opcode::text)
    if (auto v = check_utf8(true))
      return v;
  message m;
  m.op = message_op_;
  m.payload = std::move(message_);
  message_ = std::string{};
  out.push_back(std::move(m));
  return {};
}

parser::fault parser::check_utf8(bool final) {
  auto r = scan_utf8(std::string_view{message_}.substr(utf8_checked_));
  utf8_checked_ += static_cast<std::uint32_t>(r.valid);
  if (utf8_checked_ == message_.size() || (r.incomplete && !final))
    return {};
  return fault{invalid_payload, "text message is not UTF-8"};
}

void parser::release_memory() {
  if (!in_message_) {
    std::string{}.swap(message_);
  }
  if (state_ == state::header)
    std::string{}.swap(frame_payload_);
}

std::size_t encode_header(opcode op, std::size_t n, std::uint8_t* out,
                          bool fin) {
  out[0] = static_cast<std::uint8_t>((fin ? 0x80 : 0x00)
                                     | static_cast<std::uint8_t>(op));
  if (n < 126) {
    out[1] = static_cast<std::uint8_t>(n);
    return 2;
  }
  if (n <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(n >> 8);
    out[3] = static_cast<std::uint8_t>(n);
    return 4;
  }
  out[1] = 127;
  auto len = static_cast<std::uint64_t>(n);
  for (int i = 0; i < 8; ++i)
    out[2 + i] = static_cast<std::uint8_t>(len >> (56 - 8 * i));
  return 10;
}

std::string encode_frame(opcode op, std::string_view payload) {
  std::uint8_t hdr[10];
  auto n = encode_header(op, payload.size(), hdr);
  std::string out(reinterpret_cast<const char*>(hdr), n);
  out.append(payload);
  return out;
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  std::string out;
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xFF);
  // Control frames carry at most 125 bytes; a reason the peer could not
  // decode would make it fail the connection (1007) instead of closing.
  if (valid_utf8(reason)) {
    out.append(reason.substr(0, utf8_cut(reason, 123)));
  } else {
    auto repaired = utf8_repair(reason);
    out.append(repaired, 0, utf8_cut(repaired, 123));
  }
  return out;
}

std::string encode_client_frame(opcode op, std::string_view payload,
                                std::uint32_t mask_key, bool fin) {
  std::uint8_t hdr[14];
  auto n = encode_header(op, payload.size(), hdr, fin);
  hdr[1] |= 0x80;
  std::uint8_t mask[4] = {static_cast<std::uint8_t>(mask_key >> 24),
                          static_cast<std::uint8_t>(mask_key >> 16),
                          static_cast<std::uint8_t>(mask_key >> 8),
                          static_cast<std::uint8_t>(mask_key)};
  std::memcpy(hdr + n, mask, 4);
  std::string out(reinterpret_cast<const char*>(hdr), n + 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    out += static_cast<char>(payload[i] ^ mask[i & 3]);
  return out;
}

std::string accept_key(std::string_view client_key) {
  static constexpr std::string_view guid
    = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input;
  input.reserve(client_key.size() + guid.size());
  input.append(client_key);
  input.append(guid);
  return crypto::base64(crypto::sha1(input));
}

} // namespace h2h::net::ws
