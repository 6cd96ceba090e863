// The node's wiring of Server-Sent Events (GET /chat/room/{roomId}/events)
// and of the HTTP send (POST /chat/room/{roomId}/message).
#pragma once

#include <functional>
#include <memory>

#include "actors/store/store_runner.hpp"
#include "net/protocol/raw_json/json_codec.hpp"
#include "net/server/upgrade_table.hpp"

namespace h2h::net {

/// What the stream endpoint needs from the node (called per stream, after
/// the node started everything).
struct stream_wiring {
  std::shared_ptr<const codec_limits> limits;
  session_factory make_session;
  /// The token check of a /message upgrade.
  std::function<void(const http_request&, std::function<void(ws_auth)>)>
    check_token;
  /// Where the room check runs (the store pool).
  std::function<store_runner&()> store;
};

/// The upgrade-table entry of the SSE stream: the request is read (room,
/// Last-Event-ID or ?lastEventId=, ?sender= in trusted mode), the token
/// checked, then the room: unknown 404 CHAT_001, private and not a member
/// 403 CHAT_002, so that every refusal is a plain HTTP error.
upgrade_entry events_endpoint(stream_wiring w);

} // namespace h2h::net
