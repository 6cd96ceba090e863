// The client side of RFC 6455 for the load generator: an incremental reader
// of the unmasked frames a server sends (the server's own parser in
// net/ws/ws_frame.hpp reads masked client frames; the encoder there writes
// ours). No sockets, so it is tested without a server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "net/ws/ws_frame.hpp"

namespace h2h::bench {

using ws_op = net::ws::opcode;

/// Reads a close frame's payload: code (1005 when absent) and reason.
std::pair<std::uint16_t, std::string_view>
parse_close_payload(std::string_view payload);

/// Incremental reader of server frames. Reassembles fragmented data
/// messages; hands control frames over as they come.
class server_frame_reader {
public:
  explicit server_frame_reader(std::size_t max_message_bytes)
    : max_message_(max_message_bytes) {
  }

  /// Consumes all of `data`, calling `on_message(ws_op, std::string_view)`
  /// for each complete message; the view is valid during the call only.
  /// Returns false on a protocol violation (see error()); the reader must
  /// not be fed after that.
  template <class OnMessage>
  bool feed(std::string_view data, OnMessage&& on_message) {
    if (partial_.empty()) {
      auto used = parse(data, on_message);
      if (!error_.empty())
        return false;
      partial_.assign(data.substr(used));
      return true;
    }
    partial_.append(data);
    auto used = parse(partial_, on_message);
    if (!error_.empty())
      return false;
    partial_.erase(0, used);
    return true;
  }

  /// What was wrong, after feed() returned false.
  const std::string& error() const {
    return error_;
  }

  /// Bytes of an incomplete frame held back.
  std::size_t buffered() const {
    return partial_.size() + fragments_.size();
  }

private:
  /// One frame's header, once enough bytes are there to know it.
  struct header {
    bool fin;
    ws_op op;
    std::size_t header_len;
    std::uint64_t payload_len;
  };

  /// Decodes the header at the start of `data`: 0 when incomplete, 1 when
  /// complete, -1 on a violation (error_ set).
  int read_header(std::string_view data, header& h);

  /// Whether a data frame of `op` may start or continue here.
  bool accept_data(const header& h);

  template <class OnMessage>
  std::size_t parse(std::string_view data, OnMessage& on_message) {
    std::size_t pos = 0;
    for (;;) {
      header h{};
      auto got = read_header(data.substr(pos), h);
      if (got <= 0)
        return pos;
      if (data.size() - pos - h.header_len < h.payload_len)
        return pos;
      auto payload = data.substr(pos + h.header_len,
                                 static_cast<std::size_t>(h.payload_len));
      pos += h.header_len + payload.size();
      if (static_cast<std::uint8_t>(h.op) >= 0x8) {
        on_message(h.op, payload);
        continue;
      }
      if (!accept_data(h))
        return pos;
      if (h.op != ws_op::continuation && h.fin) {
        on_message(h.op, payload);
        continue;
      }
      if (h.op != ws_op::continuation)
        fragment_op_ = h.op;
      fragments_.append(payload);
      if (fragments_.size() > max_message_) {
        error_ = "message over " + std::to_string(max_message_) + " bytes";
        return pos;
      }
      if (h.fin) {
        on_message(fragment_op_, std::string_view{fragments_});
        fragments_.clear();
        in_fragments_ = false;
      }
    }
  }

  std::size_t max_message_;
  std::string partial_;
  std::string fragments_;
  ws_op fragment_op_ = ws_op::text;
  bool in_fragments_ = false;
  std::string error_;
};

} // namespace h2h::bench
