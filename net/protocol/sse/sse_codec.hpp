// Server-Sent Events (DESIGN.md §2.3), pure: the request that opens a stream,
// the response head, and the text of each event. No sockets, no actors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "actors/vocabulary/messages.hpp"
#include "net/protocol/raw_json/json_codec.hpp"

namespace h2h::net {

/// What a `GET /chat/room/{roomId}/events` asks for.
struct sse_open {
  std::string room_id;
  /// Resume after this seq (Last-Event-ID or ?lastEventId=); -1: live only.
  std::int64_t last_seq = -1;
  /// `?sender=`: the display name in trusted mode (auth.required = false);
  /// ignored when a token names the member.
  std::string sender;
};

/// The raw parts of a stream request, as the HTTP layer found them.
struct sse_request_parts {
  /// From the path.
  std::string_view room_id;
  /// The Last-Event-ID header (empty when absent); it wins over the query.
  std::string_view last_event_id;
  /// `?lastEventId=` (decoded), when present.
  const std::string* query_last_event_id = nullptr;
  /// `?sender=` (decoded), when present.
  const std::string* query_sender = nullptr;
};

/// Reads a stream request. Bad values: GLOBAL_002.
std::variant<sse_open, frame_error> parse_sse_open(const sse_request_parts& in,
                                                   const codec_limits& limits);

/// The response head that opens a stream (200, text/event-stream, no
/// caching, no proxy buffering; the body ends when the connection closes).
const std::string& sse_head();

/// `id: <seq>\nevent: <TYPE>\ndata: <the §2.1 broadcast>\n\n`.
std::string encode_sse_event(const room_event& ev);

/// `event: error\ndata: {"type":"ERROR",...}\n\n` (the §2.1 ERROR frame).
std::string encode_sse_error(errc code, std::string_view message);

/// A comment line that keeps proxies and clients from timing the stream
/// out: `: keep-alive\n\n`.
const std::string& sse_keepalive();

} // namespace h2h::net
