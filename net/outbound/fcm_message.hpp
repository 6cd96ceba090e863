// FCM HTTP v1 as pure functions: the message body for one device and what
// an answer means for that push.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "actors/vocabulary/push.hpp"

namespace h2h::net {

/// Code points of the message text a notification shows at most.
inline constexpr std::size_t push_body_max_chars = 200;

/// `text` cut to at most `max_chars` code points (never inside a UTF-8
/// sequence), with "…" appended when something was cut.
std::string cut_text(std::string_view text, std::size_t max_chars);

/// The JSON body of `POST /v1/projects/{id}/messages:send` for `req`:
/// notification (title = room name or sender, body = the cut text), data
/// (roomId, seq, senderId, sender, type: all strings), android
/// (collapse_key and notification tag = the room, ttl).
std::string fcm_body(const push_request& req, std::int64_t ttl_s);

/// `{endpoint}/v1/projects/{project_id}/messages:send`.
std::string fcm_send_url(std::string_view endpoint,
                         std::string_view project_id);

/// What an answer means: 200 ok; 429 and 5xx retry (with Retry-After in
/// seconds or as an HTTP date, relative to `now_s`); 404 or UNREGISTERED,
/// and 400 INVALID_ARGUMENT about the token, token gone; 401/403 auth;
/// anything else failed. `status` 0 means no answer (network): retry.
push_outcome classify_fcm_answer(long status, std::string_view retry_after,
                                 std::string_view body, std::int64_t now_s);

/// Retry-After as milliseconds from `now_s`; -1 when absent or unreadable.
std::int64_t parse_retry_after(std::string_view value, std::int64_t now_s);

} // namespace h2h::net
