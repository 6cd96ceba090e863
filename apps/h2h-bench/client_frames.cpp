// Reading server frames in the load generator.
#include "client_frames.hpp"

namespace h2h::bench {

std::pair<std::uint16_t, std::string_view>
parse_close_payload(std::string_view payload) {
  if (payload.size() < 2)
    return {std::uint16_t{1005}, std::string_view{}};
  auto hi = static_cast<std::uint8_t>(payload[0]);
  auto lo = static_cast<std::uint8_t>(payload[1]);
  return {static_cast<std::uint16_t>((hi << 8) | lo), payload.substr(2)};
}

int server_frame_reader::read_header(std::string_view data, header& h) {
  if (data.size() < 2)
    return 0;
  auto b0 = static_cast<std::uint8_t>(data[0]);
  auto b1 = static_cast<std::uint8_t>(data[1]);
  if ((b0 & 0x70) != 0) {
    error_ = "reserved bits set";
    return -1;
  }
  if ((b1 & 0x80) != 0) {
    error_ = "masked frame from the server";
    return -1;
  }
  h.fin = (b0 & 0x80) != 0;
  h.op = static_cast<ws_op>(b0 & 0x0F);
  std::uint64_t len = b1 & 0x7F;
  h.header_len = 2;
  if (len == 126) {
    if (data.size() < 4)
      return 0;
    len = (static_cast<std::uint64_t>(static_cast<std::uint8_t>(data[2])) << 8)
          | static_cast<std::uint8_t>(data[3]);
    h.header_len = 4;
  } else if (len == 127) {
    if (data.size() < 10)
      return 0;
    len = 0;
    for (std::size_t i = 2; i < 10; ++i)
      len = (len << 8) | static_cast<std::uint8_t>(data[i]);
    h.header_len = 10;
  }
  h.payload_len = len;
  auto op = static_cast<std::uint8_t>(h.op);
  bool known = op <= 0x2 || (op >= 0x8 && op <= 0xA);
  if (!known) {
    error_ = "unknown opcode " + std::to_string(op);
    return -1;
  }
  if (op >= 0x8 && (!h.fin || len > 125)) {
    error_ = "fragmented or oversized control frame";
    return -1;
  }
  if (len > max_message_) {
    error_ = "message over " + std::to_string(max_message_) + " bytes";
    return -1;
  }
  return 1;
}

bool server_frame_reader::accept_data(const header& h) {
  if (h.op == ws_op::continuation && !in_fragments_) {
    error_ = "continuation without a message";
    return false;
  }
  if (h.op != ws_op::continuation && in_fragments_) {
    error_ = "new message inside a fragmented one";
    return false;
  }
  if (h.op != ws_op::continuation && !h.fin)
    in_fragments_ = true;
  return true;
}

} // namespace h2h::bench
