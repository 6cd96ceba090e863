// STOMP 1.2 for the load generator (--proto stomp): the client frames it
// sends into reused buffers, and an incremental reader of the server's
// frames. No sockets, so it is tested without a server.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "payload.hpp"

namespace h2h::bench {

/// The destination every SEND goes to (DESIGN.md §2.2).
inline constexpr std::string_view stomp_publish_destination
  = "/publish/message";
/// The receipt id of a connection's SUBSCRIBE: its RECEIPT says "in".
inline constexpr std::string_view stomp_subscribe_receipt = "sub";

/// `CONNECT` for version 1.2 without heart-beats (the bench measures
/// deliveries, not keep-alives), with `Authorization:Bearer <token>` when
/// `token` is not empty and `login:<login>` when `login` is not empty (the
/// sender's name in trusted mode). Clears `out` first.
void build_stomp_connect(std::string& out, std::string_view token,
                         std::string_view login);

/// `SUBSCRIBE` to `/subscribe/room/<prefix><room>` with id 0 and the
/// receipt stomp_subscribe_receipt.
void build_stomp_subscribe(std::string& out, std::string_view room_prefix,
                           std::size_t room);

/// `SEND` to /publish/message of the JSON body
/// `{"type":"TALK","roomId":"<prefix><room>","sender":"p<i>","message":
/// "<payload>"}` (without "sender" when `named` is false), with the receipt
/// `<publisher>-<seq>-<run_tag>`: its RECEIPT is the message's ACK.
void build_stomp_send(std::string& out, std::string_view room_prefix,
                      std::size_t room, const payload& p, std::size_t size,
                      std::string_view run_tag, bool named = true);

/// One server frame; the views are valid during the reader's callback only.
struct stomp_frame_view {
  std::string_view command;
  std::string_view headers; ///< the header lines, each ended by its EOL
  std::string_view body;

  /// The first value of header `name` (STOMP 1.2: the first one wins), as
  /// it is on the wire: the bench's own values need no unescaping.
  std::optional<std::string_view> header(std::string_view name) const;
};

/// Splits what the server sends into frames: EOLs between frames
/// (heart-beats) are skipped, a frame may span several WebSocket messages
/// and one message may hold several frames; `content-length` is honoured.
class stomp_frame_reader {
public:
  explicit stomp_frame_reader(std::size_t max_frame_bytes)
    : max_frame_(max_frame_bytes) {
  }

  /// Consumes all of `data`, calling `on_frame(const stomp_frame_view&)` for
  /// each complete frame. Returns false on a malformed frame or one over
  /// the limit (see error()); the reader must not be fed after that.
  template <class OnFrame>
  bool feed(std::string_view data, OnFrame&& on_frame) {
    if (partial_.empty()) {
      auto used = parse(data, on_frame);
      if (!error_.empty())
        return false;
      partial_.assign(data.substr(used));
    } else {
      partial_.append(data);
      auto used = parse(partial_, on_frame);
      if (!error_.empty())
        return false;
      partial_.erase(0, used);
    }
    if (partial_.size() > max_frame_) {
      error_ = "frame over " + std::to_string(max_frame_) + " bytes";
      return false;
    }
    return true;
  }

  const std::string& error() const {
    return error_;
  }

  /// Bytes of an incomplete frame held back.
  std::size_t buffered() const {
    return partial_.size();
  }

private:
  /// The frame at the start of `data`: its length (through the NUL) when
  /// complete, 0 when more bytes are needed; sets error_ when malformed.
  std::size_t one_frame(std::string_view data, stomp_frame_view& f);

  template <class OnFrame>
  std::size_t parse(std::string_view data, OnFrame& on_frame) {
    std::size_t pos = 0;
    for (;;) {
      while (pos < data.size() && (data[pos] == '\n' || data[pos] == '\r'))
        ++pos; // heart-beats and EOLs after a frame's NUL
      if (pos == data.size())
        return pos;
      stomp_frame_view f;
      auto used = one_frame(data.substr(pos), f);
      if (used == 0)
        return pos;
      on_frame(static_cast<const stomp_frame_view&>(f));
      pos += used;
    }
  }

  std::size_t max_frame_;
  std::string partial_;
  std::string error_;
};

} // namespace h2h::bench
