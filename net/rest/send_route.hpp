// POST /chat/room/{roomId}/message: an HTTP send (DESIGN.md §2.3). No
// session actor: the room is asked directly (through the directory) and the
// answer, 201 {roomId, seq, ts}, comes once the message is committed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "actors/vocabulary/type_ids.hpp"
#include "net/http/router.hpp"
#include "net/protocol/raw_json/json_codec.hpp"
#include "net/security/authenticator.hpp"
#include "net/security/rate_limit.hpp"

namespace h2h::net {

/// What a send's body asks for, validated as a raw JSON MESSAGE is.
struct send_body {
  std::string message;
  std::string client_msg_id;
  /// Trusted mode only (no token): the display name to send as.
  std::string sender;
};

/// Reads `{"message":"…","clientMsgId":"…"}` (and `sender` in trusted mode).
/// Errors: CHAT_004 for a missing or mistyped field or a clientMsgId that is
/// too long, CHAT_005 (413) for a message over `limits.max_message_chars`.
std::variant<send_body, frame_error>
parse_send_body(const nlohmann::json& body, const codec_limits& limits);

/// `{"roomId":"r1","seq":42,"ts":"2026-…Z"}`.
std::string send_answer(const std::string& room_id, const publish_ack& ack);

/// What the route needs from the node.
struct send_route_deps {
  /// Checks the request's token (as a /message upgrade does) and calls
  /// back once, from any thread, with who it is.
  std::function<void(const http_request&, std::function<void(ws_auth)>)>
    authenticate;
  /// Hands `req` to room `room_id` and calls back once with its answer.
  std::function<void(const std::string& room_id, publish_request req,
                     std::function<void(caf::expected<publish_ack>)>)>
    post;
  codec_limits limits;
  /// Messages per member (sends of all its connections and HTTP sends
  /// are not pooled: this bounds the HTTP path alone).
  std::shared_ptr<window_limiter> rate;
  std::function<std::int64_t()> now_ms;
};

void add_send_route(router& r, std::shared_ptr<const send_route_deps> deps);

} // namespace h2h::net
