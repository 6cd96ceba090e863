// The one error vocabulary of h2h and its mapping to HTTP statuses, error
// codes and WebSocket close codes (DESIGN.md §3.4).
#pragma once

#include <cstdint>
#include <string_view>

namespace h2h {

/// Every error a client can see. Values are stable: they cross the wire
/// between nodes as CAF error codes.
enum class errc : std::uint8_t {
  none = 0,
  unknown_path,       // GLOBAL_001
  invalid_field,      // GLOBAL_002
  method_not_allowed, // GLOBAL_003
  unreadable_json,    // GLOBAL_004
  invalid_token,      // GLOBAL_103
  expired_token,      // GLOBAL_104
  forbidden,          // GLOBAL_105
  rate_limited,       // GLOBAL_429
  member_exists,      // AUTH_000
  wrong_code,         // AUTH_003
  expired_code,       // AUTH_004
  no_such_member,     // AUTH_005
  wrong_password,     // AUTH_006
  invalid_refresh,    // AUTH_007
  expired_refresh,    // AUTH_008
  invalid_member_id,  // MEMBER_005
  no_such_room,       // CHAT_001
  not_member,         // CHAT_002
  not_in_room,        // CHAT_003
  bad_frame,          // CHAT_004
  message_too_long,   // CHAT_005
  unavailable,        // CHAT_006
  internal,           // GLOBAL_500
  seq_conflict,       // CHAT_006: another writer holds the room's seqs
  wrong_media_type,   // GLOBAL_002 with 415: the body is not JSON
  // Cluster: the room moves to another node and refused the message before
  // giving it a seq; a session sends it again where the room lives now.
  room_moved, // CHAT_006
  // Cluster: the node that owns the room went away before it answered; the
  // message may be stored. A session sends it again only when it carries a
  // clientMsgId (the store then keeps it once).
  owner_lost,       // CHAT_006
  not_an_image,     // MEMBER_004: an upload whose bytes are no known image
  upload_too_large, // GLOBAL_008
  missing_part,     // GLOBAL_009: a required multipart part is absent
  already_blocking, // MEMBER_006
  block_list_full,  // MEMBER_007: limits.blocks_per_member reached
};

/// How one error looks to a client.
struct error_info {
  std::string_view code;
  int http_status;
};

/// The one table from errors to client-visible codes.
constexpr error_info describe(errc e) {
  switch (e) {
    case errc::none:
      return {"OK", 200};
    case errc::unknown_path:
      return {"GLOBAL_001", 404};
    case errc::invalid_field:
      return {"GLOBAL_002", 400};
    case errc::method_not_allowed:
      return {"GLOBAL_003", 405};
    case errc::unreadable_json:
      return {"GLOBAL_004", 400};
    case errc::invalid_token:
      return {"GLOBAL_103", 400};
    case errc::expired_token:
      return {"GLOBAL_104", 400};
    case errc::forbidden:
      return {"GLOBAL_105", 403};
    case errc::rate_limited:
      return {"GLOBAL_429", 429};
    case errc::member_exists:
      return {"AUTH_000", 400};
    case errc::wrong_code:
      return {"AUTH_003", 401};
    case errc::expired_code:
      return {"AUTH_004", 401};
    case errc::no_such_member:
      return {"AUTH_005", 400};
    case errc::wrong_password:
      return {"AUTH_006", 400};
    case errc::invalid_refresh:
      return {"AUTH_007", 401};
    case errc::expired_refresh:
      return {"AUTH_008", 401};
    case errc::invalid_member_id:
      return {"MEMBER_005", 400};
    case errc::no_such_room:
      return {"CHAT_001", 404};
    case errc::not_member:
      return {"CHAT_002", 403};
    case errc::not_in_room:
      return {"CHAT_003", 409};
    case errc::bad_frame:
      return {"CHAT_004", 400};
    case errc::message_too_long:
      return {"CHAT_005", 413};
    case errc::unavailable:
      return {"CHAT_006", 503};
    case errc::internal:
      return {"GLOBAL_500", 500};
    case errc::seq_conflict:
      return {"CHAT_006", 503};
    case errc::wrong_media_type:
      return {"GLOBAL_002", 415};
    case errc::room_moved:
    case errc::owner_lost:
      return {"CHAT_006", 503};
    case errc::not_an_image:
      return {"MEMBER_004", 400};
    case errc::upload_too_large:
      return {"GLOBAL_008", 400};
    case errc::missing_part:
      return {"GLOBAL_009", 400};
    case errc::already_blocking:
      return {"MEMBER_006", 400};
    case errc::block_list_full:
      return {"MEMBER_007", 400};
  }
  return {"GLOBAL_500", 500};
}

/// WebSocket close codes used by h2h (RFC 6455 §7.4 plus our 4008).
namespace close_code {
constexpr std::uint16_t normal = 1000;
constexpr std::uint16_t going_away = 1001;
constexpr std::uint16_t protocol_error = 1002;
constexpr std::uint16_t unsupported_data = 1003;
constexpr std::uint16_t invalid_payload = 1007;
constexpr std::uint16_t policy = 1008;
constexpr std::uint16_t too_big = 1009;
constexpr std::uint16_t internal_error = 1011;
constexpr std::uint16_t slow_consumer = 4008;
} // namespace close_code

} // namespace h2h
