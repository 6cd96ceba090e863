// The admin port's wire form (docs/admin.md), pure: one request line into
// an admin_request (or why not), an admin_reply into one answer line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "actors/vocabulary/admin.hpp"

namespace h2h::net {

/// The error codes of docs/admin.md.
namespace admin_code {
inline constexpr const char* bad_request = "ADMIN_BAD_REQUEST";
inline constexpr const char* unknown_command = "ADMIN_UNKNOWN_COMMAND";
inline constexpr const char* unauthorized = "ADMIN_UNAUTHORIZED";
inline constexpr const char* not_found = "ADMIN_NOT_FOUND";
inline constexpr const char* timeout = "ADMIN_TIMEOUT";
inline constexpr const char* unavailable = "ADMIN_UNAVAILABLE";
} // namespace admin_code

/// Limits of the parser that come from the configuration.
struct admin_parse_limits {
  /// Longest broadcast text, in characters (limits.max_message_chars).
  std::size_t max_text_chars = 4000;
};

/// One request line, parsed.
struct admin_parse_result {
  /// The request when error is empty. `auth` is a request too: command
  /// "auth", the token in `text` (the port answers it, never the actor).
  admin_request request;
  /// The line's `cmd` as far as it could be read ("" when none), for the
  /// answer's envelope; at most 64 bytes of it.
  std::string cmd;
  /// Empty: a valid request. Else ADMIN_BAD_REQUEST or
  /// ADMIN_UNKNOWN_COMMAND, and `message` names the field that is wrong.
  std::string error;
  std::string message;

  bool ok() const {
    return error.empty();
  }
};

/// Parses one line (without its '\n'; a trailing '\r' is ignored): a JSON
/// object with `cmd` and the fields of that command, each of its type and
/// range, no other field. Never throws.
admin_parse_result parse_admin_request(std::string_view line,
                                       const admin_parse_limits& limits = {});

/// What the renderer needs besides the reply.
struct admin_render_context {
  /// Wall clock in ms since the epoch (uptime_s = now - started_ms).
  std::int64_t now_ms = 0;
  /// This node's id (the `node` of a `stats` result).
  std::string node_id;
};

/// The answer line (no '\n') to `req`: `{"ok":true,"cmd":...,"result":...}`
/// in the shape of the command, plus `unanswered` when some node did not
/// answer; or, when reply.error is set, the error envelope. Always valid
/// UTF-8 (ill-formed text from a reply is replaced with U+FFFD).
std::string render_admin_reply(const admin_request& req,
                               const admin_reply& reply,
                               const admin_render_context& ctx);

/// `{"ok":false,"cmd":...,"error":{"code":...,"message":...}}`
std::string render_admin_error(std::string_view cmd, std::string_view code,
                               std::string_view message);

/// `{"ok":true,"cmd":"auth"}`
std::string render_admin_auth_ok();

} // namespace h2h::net
