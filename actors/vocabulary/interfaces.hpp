// The public typed interfaces of h2h's actors and the messages that carry
// handles (their type IDs: type_ids.hpp). Timers an actor sends itself are
// not part of these: see the `*_impl` interface in each actor's header.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/vocabulary/admin.hpp"
#include "actors/vocabulary/blocks.hpp"
#include "actors/vocabulary/messages.hpp"

namespace h2h {

struct enter_request;
struct enter_reply;
struct cluster_view;
class client_link;

// clang-format off

/// One client connection, whatever its transport.
using session_actor = caf::typed_actor<
  caf::reacts_to<client_command>, // a decoded frame from the connection
  caf::reacts_to<event_batch>,    // events from a room
  caf::reacts_to<disconn_atom>,   // the connection is gone
  // The room (id) dropped this session, for the reason given.
  caf::reacts_to<removed_atom, std::string, caf::error>,
  // The room (id) moved to another node (cluster): enter it again, quietly,
  // as the sender named, after the seq given (the last one it was handed).
  caf::reacts_to<moved_atom, std::string, std::string, std::uint64_t>,
  // Admin: the rooms it entered; end the session (the member was kicked).
  caf::replies_to<admin_atom>::with<std::vector<std::string>>,
  caf::reacts_to<kick_atom>,
  // Whom its member blocks now (ascending ids; empty: nobody).
  caf::reacts_to<block_atom, std::vector<std::int64_t>>>;

/// One active room on its owner node.
using room_actor = caf::typed_actor<
  caf::replies_to<enter_atom, enter_request>::with<enter_reply>,
  caf::replies_to<caf::publish_atom, publish_request>::with<publish_ack>,
  // A publish without a session (HTTP send), forwarded by the directory:
  // allowed to any member of the room (a public room's: anyone, who then
  // becomes a member, as by ENTER).
  caf::replies_to<post_atom, publish_request>::with<publish_ack>,
  caf::reacts_to<exit_atom, session_actor>,
  caf::reacts_to<change_atom, room_change>,
  caf::reacts_to<stop_atom>,
  // Member ids with a live session in the room (for push notifications).
  caf::replies_to<presence_atom>::with<std::vector<std::int64_t>>,
  // The owner of the room is another node now: hand over (an owner commits
  // what it has, then its members enter again where the room lives) or, for
  // a relay, send the members there.
  caf::reacts_to<moved_atom>,
  // Relays only, from the owner: committed events (in seq order); the owner
  // dropped this relay (room id, why); the owner dropped one member.
  caf::reacts_to<event_batch>,
  caf::reacts_to<removed_atom, std::string, caf::error>,
  caf::reacts_to<removed_atom, session_actor, caf::error>,
  // Admin: the room's state (answered from it, never waiting); a system
  // message (broadcast); drop a member's sessions (how many); drop every
  // session and stop (how many were dropped).
  caf::replies_to<admin_atom>::with<admin_room>,
  caf::replies_to<admin_atom, publish_request>::with<publish_ack>,
  caf::replies_to<kick_atom, std::int64_t>::with<std::uint64_t>,
  caf::replies_to<close_atom>::with<std::uint64_t>,
  // A member session's member now blocks these (ascending ids; empty:
  // nobody): their messages are not delivered to it from now on.
  caf::reacts_to<block_atom, session_actor, std::vector<std::int64_t>>>;

/// One node's admin actor (actors/admin/admin_actor.hpp).
using admin_actor = caf::typed_actor<
  // From the admin port: the whole cluster (or only request.node).
  caf::replies_to<admin_atom, admin_request>::with<admin_reply>,
  // From a peer node: this node's part only.
  caf::replies_to<local_atom, admin_request>::with<admin_reply>,
  // A session of this node started (member id, name, protocol); the admin
  // actor monitors it until it ends.
  caf::reacts_to<caf::join_atom, session_actor, std::int64_t, std::string,
                 std::string>,
  // The live nodes, from this node's directory.
  caf::reacts_to<nodes_atom, cluster_view>>;

/// The only owner of the map room id -> room actor on a node.
using directory_actor = caf::typed_actor<
  caf::replies_to<enter_atom, std::string, enter_request>::with<enter_reply>,
  caf::replies_to<idle_atom, std::string, std::uint64_t>::with<bool>,
  caf::replies_to<info_atom>::with<std::vector<std::string>>,
  // Routes an HTTP send to room (id); never creates the room (CHAT_001).
  caf::replies_to<post_atom, std::string, publish_request>::with<publish_ack>,
  caf::reacts_to<change_atom, room_change>,
  // May (member id, sender) create the room (id) that an ENTER named? True,
  // or the error for the ENTER (CHAT_001 off, GLOBAL_429 too many).
  caf::replies_to<create_atom, std::string, std::int64_t, std::string>
    ::with<bool>,
  // Member ids with a live session in room (id), asked of its owner.
  caf::replies_to<presence_atom, std::string>
    ::with<std::vector<std::int64_t>>,
  // The live nodes of the cluster (from the cluster actor).
  caf::reacts_to<nodes_atom, cluster_view>,
  // Admin: this node's part of a room command (rooms, room, close, kick
  // with a room, broadcast), asked by this node's admin actor.
  caf::replies_to<admin_atom, admin_request>::with<admin_reply>,
  // Admin: a peer's admin actor asks for this node's part of a command
  // (handed to this node's admin actor; peers know only directories).
  caf::replies_to<local_atom, admin_request>::with<admin_reply>,
  // This node's admin actor (it announces itself when it starts).
  caf::reacts_to<admin_atom, admin_actor>>;

/// Owns one store connection; blocking calls happen only here (detached).
using store_worker_actor = caf::typed_actor<
  caf::replies_to<commit_atom, stored_events>::with<std::vector<publish_ack>>,
  caf::replies_to<load_atom, std::string, std::uint64_t>::with<room_snapshot>,
  caf::replies_to<history_atom, history_query>::with<history_page>,
  caf::replies_to<ping_atom>::with<bool>,
  // Records first entries: member members[i] entered public room rooms[i];
  // one transaction for them all. Answers how many were new.
  caf::replies_to<caf::join_atom, std::vector<std::string>,
                  std::vector<std::int64_t>>::with<std::uint64_t>,
  // Creates a public room (id) owned by a member (0: nobody), then loads it.
  caf::replies_to<create_atom, std::string, std::int64_t, std::uint64_t>
    ::with<room_snapshot>>;

/// Batches appends into transactions; serves reads through its workers.
using persistence_actor = caf::typed_actor<
  caf::replies_to<append_atom, room_event>::with<publish_ack>,
  // A room's state (recent events); `exists` is false when nobody created it.
  caf::replies_to<load_atom, std::string, std::uint64_t>::with<room_snapshot>,
  // Creates a public room (id) owned by a member (0: nobody), then loads it.
  caf::replies_to<create_atom, std::string, std::int64_t, std::uint64_t>
    ::with<room_snapshot>,
  caf::replies_to<history_atom, history_query>::with<history_page>,
  // A round trip to the store (for /readyz).
  caf::replies_to<ping_atom>::with<bool>,
  // Records that a member entered a public room (makes them a member).
  caf::reacts_to<caf::join_atom, std::string, std::int64_t>,
  // Answers true once everything queued is committed (shutdown).
  caf::replies_to<flush_atom>::with<bool>>;

// clang-format on

/// A session asks to enter a room.
struct enter_request {
  session_actor session;
  std::string sender;
  std::int64_t sender_id = 0;
  /// Replay every event after this seq first; -1 = no replay.
  std::int64_t last_seq = -1;
  /// The session's connection on this node: the room hands broadcasts to
  /// it directly (one shared frame, no extra actor hop per receiver). Not
  /// serialized; without it the room sends events to the session actor.
  std::shared_ptr<client_link> sink;
  enter_role role = enter_role::session;
  /// For `relayed`: the relay that delivers to the session.
  room_actor via{};
  /// No ENTER notice: the session enters again after its room moved.
  bool quiet = false;
  /// The session's wire protocol (session_identity::protocol), counted by
  /// the room's admin answer.
  std::string protocol{};
  /// Whom the session's member blocks (null: nobody): the room does not
  /// deliver their messages to it. Not serialized: a relayed session's
  /// relay, on its own node, filters for it.
  block_list blocked{};
};

inline bool operator==(const enter_request& x, const enter_request& y) {
  return x.session == y.session && x.sender == y.sender
         && x.sender_id == y.sender_id && x.last_seq == y.last_seq
         && x.role == y.role && x.via == y.via && x.quiet == y.quiet
         && x.protocol == y.protocol;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, enter_request& x) {
  return f(caf::meta::type_name("enter_request"), x.session, x.sender,
           x.sender_id, x.last_seq, x.role, x.via, x.quiet, x.protocol);
}

/// The room answers an ENTER with its handle and its latest committed seq,
/// once the replay asked for is delivered (or refuses it: CHAT_006).
struct enter_reply {
  room_actor room;
  std::uint64_t last_seq = 0;
};

inline bool operator==(const enter_reply& x, const enter_reply& y) {
  return x.room == y.room && x.last_seq == y.last_seq;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, enter_reply& x) {
  return f(caf::meta::type_name("enter_reply"), x.room, x.last_seq);
}

/// The live nodes of a cluster as one node sees them: ids (sorted) and
/// each node's directory (the cluster entry of that node; this node's own
/// directory for `self`). `leaving` (sorted, a subset of `ids`): nodes that
/// drain; they are still connected and serve their last clients through
/// relays, but own no room while another node can.
struct cluster_view {
  std::string self;
  std::vector<std::string> ids;
  std::vector<directory_actor> entries;
  std::vector<std::string> leaving;
};

inline bool operator==(const cluster_view& x, const cluster_view& y) {
  return x.self == y.self && x.ids == y.ids && x.entries == y.entries
         && x.leaving == y.leaving;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_view& x) {
  return f(caf::meta::type_name("cluster_view"), x.self, x.ids, x.entries,
           x.leaving);
}

/// The nodes of `view` that may own rooms: its ids but the leaving ones,
/// or all of them when every node leaves (someone must own each room).
inline std::vector<std::string> room_owners(const cluster_view& view) {
  std::vector<std::string> out;
  for (const auto& id : view.ids)
    if (!std::binary_search(view.leaving.begin(), view.leaving.end(), id))
      out.push_back(id);
  return out.empty() ? view.ids : out;
}

} // namespace h2h
