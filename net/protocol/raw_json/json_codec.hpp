// The raw JSON protocol of /message (DESIGN.md §2.1): pure decode and encode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "actors/vocabulary/errors.hpp"
#include "actors/vocabulary/messages.hpp"

namespace h2h::net {

/// Limits applied while decoding client frames.
struct codec_limits {
  std::size_t max_message_chars = 4000;
  std::size_t max_client_msg_id = 64;
  std::size_t max_room_id = 64;
  std::size_t max_sender = 64;
};

/// Why a frame was refused; the connection stays open.
struct frame_error {
  errc code = errc::bad_frame;
  std::string message;
  /// Echoed back when the frame had a readable one.
  std::string client_msg_id;
};

using decode_result = std::variant<client_command, frame_error>;

/// Decodes one client text frame. Never throws.
decode_result decode_client_frame(std::string_view text,
                                  const codec_limits& limits);

/// True for ids of at most `max` letters, digits, '-' and '_'.
bool valid_room_id(std::string_view id, std::size_t max = 64);

/// `{"type":"MESSAGE"|"ENTER"|"EXIT",...}` as every receiver gets it.
std::string encode_event(const room_event& ev);

/// `{"type":"ACK","roomId":...,"clientMsgId":...,"seq":N}`
std::string encode_ack(std::string_view room_id, std::string_view client_msg_id,
                       std::uint64_t seq);

/// `{"type":"ERROR","code":...,"message":...[,"clientMsgId":...]}`; always
/// valid UTF-8: the message is cut at a code point (512 bytes at most) and
/// ill-formed text in it or in the id is replaced with U+FFFD.
std::string encode_error(errc code, std::string_view message,
                         std::string_view client_msg_id);

/// RFC 3339 UTC with milliseconds, e.g. 2026-11-27T21:40:00.123Z.
std::string format_timestamp(std::int64_t ms_since_epoch);

/// Appends `s` as a JSON string literal (with quotes) to `out`.
void append_json_string(std::string& out, std::string_view s);

/// The protocol name of an event kind ("MESSAGE", "ENTER", "EXIT").
std::string_view kind_name(event_kind k);

} // namespace h2h::net
