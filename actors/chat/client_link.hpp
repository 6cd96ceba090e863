// The session actor's only door to its connection, whatever the transport
// and the wire protocol: events, the completion of each command, notices
// and the end of the session, in protocol-neutral terms.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "actors/vocabulary/errors.hpp"
#include "actors/vocabulary/type_ids.hpp"

namespace h2h {

/// What a command's answer refers to, as the protocol needs it echoed back:
/// raw JSON echoes the room id and clientMsgId in ACK/ERROR; STOMP the
/// receipt id; an HTTP send (later) its request.
struct reply_to {
  command_kind kind = command_kind::message;
  std::string room_id;
  std::string client_msg_id;
  /// The client's STOMP receipt header (client_command::receipt); empty
  /// for raw JSON.
  std::string receipt;
};

/// Why the server ends a session; transport and protocol choose the bytes
/// (a WebSocket close code, a STOMP ERROR, the end of an SSE stream).
enum class end_reason : std::uint8_t {
  normal,
  going_away,     ///< the server stops
  slow_consumer,  ///< the client does not read its events
  token_expired,  ///< the access token behind the connection expired
  session_ended,  ///< the login session ended (logout)
  refused,        ///< authentication failed at the upgrade
  internal_error, ///< the session actor ended for another reason
  kicked,         ///< an operator ended the member's sessions (admin kick)
};

/// Implemented by the network layer for each connection (a transport joined
/// with a wire protocol). Every member is thread-safe and never blocks.
///
/// Contract:
/// - Every command the link hands to the session is completed by exactly
///   one acknowledge() or refuse(). The link releases its inbound window on
///   each, so reading goes on; no other call does (a path that completes
///   nothing stops the connection's reading, one that completes twice
///   widens its window).
/// - Ordering: everything a link is told is queued in one FIFO, in call
///   order. A room delivers a committed event to its members' links during
///   fan-out, before it answers the publish, so a sender sees its own
///   broadcast before its acknowledgement.
/// - After end() nothing more reaches the client except what was queued.
class client_link {
public:
  virtual ~client_link() = default;

  /// Room events for the client, in seq order.
  virtual void deliver(const event_batch& batch) = 0;

  /// deliver() for events in no hurry (other members' ENTER and EXIT
  /// notices): they keep their
  /// place in the FIFO but may wait a moment (server.presence_delay_ms) for the
  /// connection's next write, so that a storm of entries costs a few writes per
  /// client instead of one per notice.
  virtual void deliver_presence(const event_batch& batch) {
    deliver(batch);
  }

  /// Command `to` succeeded (`seq`: the message's seq; 0 for ENTER and
  /// EXIT). Completes the command: the connection may read one more.
  virtual void acknowledge(const reply_to& to, std::uint64_t seq) = 0;

  /// Command `to` was refused. Completes the command.
  virtual void refuse(const reply_to& to, errc code, std::string_view text) = 0;

  /// Something the client must hear that answers no command (e.g. a room
  /// dropped it). Completes nothing.
  virtual void notify(errc code, std::string_view text) = 0;

  /// Ends the session: the transport closes after what is queued.
  virtual void end(end_reason why) = 0;

  /// What room `room_id` should deliver to, asked by the session as it
  /// enters the room: null for this link itself, or a view of it bound to
  /// the room (STOMP: the room's subscription, so that a delivery needs no
  /// lookup). The view's calls other than deliver() go to this link.
  virtual std::shared_ptr<client_link> room_sink(const std::string& room_id) {
    (void)room_id;
    return nullptr;
  }
};

using client_link_ptr = std::shared_ptr<client_link>;

} // namespace h2h
