// The message types and atoms of h2h (their type IDs: type_ids.hpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/vocabulary/errors.hpp"
#include "actors/vocabulary/event.hpp"
#include "persistence/record.hpp"
#include "persistence/registry/node_registry.hpp"
#include "persistence/store.hpp"

namespace h2h {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_event& x) {
  return f(caf::meta::type_name("room_event"), x.room_id, x.seq, x.kind,
           x.sender, x.sender_id, x.text, x.ts_ms, x.client_msg_id);
}

/// Events of one room for one receiver, in seq order. A room sends the same
/// batch (one shared message) to all its receivers; the events are shared
/// too. Serialized as the events' values, so it stays comparable in tests.
struct event_batch {
  std::vector<event_ptr> events;
};

inline bool operator==(const event_batch& x, const event_batch& y) {
  return std::equal(x.events.begin(), x.events.end(), y.events.begin(),
                    y.events.end(), [](const event_ptr& a, const event_ptr& b) {
                      return a == b || (a && b && a->data() == b->data());
                    });
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_batch& x) {
  std::vector<room_event> values;
  if constexpr (Inspector::reads_state) {
    values.reserve(x.events.size());
    for (auto& ev : x.events)
      values.push_back(ev ? ev->data() : room_event{});
  }
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x.events.clear();
    x.events.reserve(values.size());
    for (auto& v : values)
      x.events.push_back(make_event(std::move(v)));
    return caf::none;
  });
  return f(caf::meta::type_name("event_batch"), values, load);
}

/// Events as the store keeps them: what a room's commit hands the writer.
using stored_events = std::vector<room_event>;

/// What a client asked for in one frame, after decoding and validation.
enum class command_kind : std::uint8_t { enter = 0, message = 1, exit = 2 };

/// One decoded client frame.
struct client_command {
  command_kind kind = command_kind::message;
  std::string room_id;
  std::string sender;
  std::string text;
  std::string client_msg_id;
  /// Replay every message after this seq on ENTER; -1 = no replay.
  std::int64_t last_seq = -1;
  /// Echoed when the command completes (STOMP's receipt header); empty
  /// for raw JSON.
  std::string receipt;
};

inline bool operator==(const client_command& x, const client_command& y) {
  return x.kind == y.kind && x.room_id == y.room_id && x.sender == y.sender
         && x.text == y.text && x.client_msg_id == y.client_msg_id
         && x.last_seq == y.last_seq && x.receipt == y.receipt;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_command& x) {
  return f(caf::meta::type_name("client_command"), x.kind, x.room_id, x.sender,
           x.text, x.client_msg_id, x.last_seq, x.receipt);
}

/// The answer to a publish: the seq the message has in history.
using publish_ack = append_outcome;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_outcome& x) {
  return f(caf::meta::type_name("append_outcome"), x.seq, x.ts_ms, x.status);
}

inline bool operator==(const append_outcome& x, const append_outcome& y) {
  return x.seq == y.seq && x.ts_ms == y.ts_ms && x.status == y.status;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_snapshot& x) {
  return f(caf::meta::type_name("room_snapshot"), x.last_seq, x.recent,
           x.is_private, x.owner_id, x.members, x.exists, x.deleted);
}

inline bool operator==(const room_snapshot& x, const room_snapshot& y) {
  return x.last_seq == y.last_seq && x.recent == y.recent
         && x.is_private == y.is_private && x.owner_id == y.owner_id
         && x.members == y.members && x.exists == y.exists
         && x.deleted == y.deleted;
}

/// Which slice of a room's history to read.
enum class history_mode : std::uint8_t {
  after = 0,  // seq > cursor, oldest first
  before = 1, // seq < cursor, newest first
  page = 2,   // page `cursor` of `limit`, oldest first
};

struct history_query {
  std::string room_id;
  history_mode mode = history_mode::after;
  std::uint64_t cursor = 0;
  std::uint64_t limit = 50;
};

inline bool operator==(const history_query& x, const history_query& y) {
  return x.room_id == y.room_id && x.mode == y.mode && x.cursor == y.cursor
         && x.limit == y.limit;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_query& x) {
  return f(caf::meta::type_name("history_query"), x.room_id, x.mode, x.cursor,
           x.limit);
}

/// A slice of history; `room_exists` is false for an unknown room.
struct history_page {
  bool room_exists = false;
  std::vector<room_event> events;
};

inline bool operator==(const history_page& x, const history_page& y) {
  return x.room_exists == y.room_exists && x.events == y.events;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_page& x) {
  return f(caf::meta::type_name("history_page"), x.room_exists, x.events);
}

/// A message to publish into a room.
struct publish_request {
  std::string sender;
  std::int64_t sender_id = 0;
  std::string text;
  std::string client_msg_id;
};

inline bool operator==(const publish_request& x, const publish_request& y) {
  return x.sender == y.sender && x.sender_id == y.sender_id && x.text == y.text
         && x.client_msg_id == y.client_msg_id;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, publish_request& x) {
  return f(caf::meta::type_name("publish_request"), x.sender, x.sender_id,
           x.text, x.client_msg_id);
}

/// Who an ENTER is for. Sessions enter the room of their node: its owner,
/// or in a cluster a relay for the room, which forwards the ENTER to the
/// owner as `relayed` and subscribes to the owner's stream once for all its
/// members as `relay`.
enum class enter_role : std::uint8_t {
  session = 0, ///< a session of the room's own node
  relay = 1,   ///< a relay's subscription: events, no notice, no admission
  relayed = 2, ///< a session of another node: admission and notices only;
               ///< its relay delivers the events
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_record& x) {
  return f(caf::meta::type_name("node_record"), x.id, x.host, x.cluster_port,
           x.public_port, x.admin_port, x.metrics_port, x.started_ms,
           x.leaving);
}

/// A change the REST API made to a room, for the room if it is running.
enum class room_change_kind : std::uint8_t {
  member_added = 0,
  member_removed = 1,
  deleted = 2,
  /// The member deleted their account (room_id empty: every room of every
  /// node): rooms show its events in their ring as the store has them now,
  /// under deleted_member_name with no member id.
  member_deleted = 3,
};

struct room_change {
  std::string room_id;
  room_change_kind kind = room_change_kind::member_added;
  std::int64_t member_id = 0;
};

inline bool operator==(const room_change& x, const room_change& y) {
  return x.room_id == y.room_id && x.kind == y.kind
         && x.member_id == y.member_id;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_change& x) {
  return f(caf::meta::type_name("room_change"), x.room_id, x.kind, x.member_id);
}

} // namespace h2h

// -- atoms
// --------------------------------------------------------------------- CAF
// 0.17.6's CAF_ADD_ATOM only defines the atom constant (it assigns no type ID:
// atom constants pass the type-ID check as they are), so the atoms come before
// the interfaces that use them; the type-ID block is type_ids.hpp.

// clang-format off
CAF_ADD_ATOM(h2h, h2h, enter_atom, "enter")
CAF_ADD_ATOM(h2h, h2h, exit_atom, "exit")
CAF_ADD_ATOM(h2h, h2h, deliver_atom, "deliver")
CAF_ADD_ATOM(h2h, h2h, disconn_atom, "disconn")
CAF_ADD_ATOM(h2h, h2h, idle_atom, "idle")
CAF_ADD_ATOM(h2h, h2h, stop_atom, "stop")
CAF_ADD_ATOM(h2h, h2h, info_atom, "info")
CAF_ADD_ATOM(h2h, h2h, append_atom, "append")
CAF_ADD_ATOM(h2h, h2h, commit_atom, "commit")
CAF_ADD_ATOM(h2h, h2h, load_atom, "load")
CAF_ADD_ATOM(h2h, h2h, history_atom, "history")
CAF_ADD_ATOM(h2h, h2h, flush_atom, "flush")
CAF_ADD_ATOM(h2h, h2h, ping_atom, "ping")
CAF_ADD_ATOM(h2h, h2h, change_atom, "change")
CAF_ADD_ATOM(h2h, h2h, removed_atom, "removed")
CAF_ADD_ATOM(h2h, h2h, create_atom, "create")
// A message sent without a session (HTTP send), routed by the directory.
CAF_ADD_ATOM(h2h, h2h, post_atom, "post")
// Cluster: a room's owner changed (its members enter again where it lives
// now); the live node set for a directory; who is online in a room.
CAF_ADD_ATOM(h2h, h2h, moved_atom, "moved")
CAF_ADD_ATOM(h2h, h2h, nodes_atom, "nodes")
CAF_ADD_ATOM(h2h, h2h, presence_atom, "presence")
// The cluster actor and its registry workers.
CAF_ADD_ATOM(h2h, h2h, scan_atom, "scan")         // announce this node, list all
CAF_ADD_ATOM(h2h, h2h, withdraw_atom, "withdraw") // this node leaves
CAF_ADD_ATOM(h2h, h2h, changed_atom, "changed")   // the registry saw a change
// The admin actor (issue 16): a command for the whole cluster (admin) or for
// this node's part (local); a member's sessions end or leave a room (kick);
// an operator stops a room (close).
CAF_ADD_ATOM(h2h, h2h, admin_atom, "admin")
CAF_ADD_ATOM(h2h, h2h, local_atom, "local")
CAF_ADD_ATOM(h2h, h2h, kick_atom, "kick")
CAF_ADD_ATOM(h2h, h2h, close_atom, "close")
// Blocking (issue 19): whom a member blocks now, for its sessions and rooms.
CAF_ADD_ATOM(h2h, h2h, block_atom, "block")

// Timers: each actor sends these to itself only. They are in no public
// interface (see the `*_impl` interfaces of the actors' headers).
CAF_ADD_ATOM(h2h, h2h, sess_due_atom, "sessdue")   // session: a deadline is due
CAF_ADD_ATOM(h2h, h2h, idle_chk_atom, "idlechk")   // room: may it stop?
CAF_ADD_ATOM(h2h, h2h, replay_chk_atom, "replaychk") // room: replay deadline
CAF_ADD_ATOM(h2h, h2h, window_atom, "window")      // persistence: batch window
CAF_ADD_ATOM(h2h, h2h, commit_due_atom, "commitdue") // persistence: commit deadline
CAF_ADD_ATOM(h2h, h2h, retry_atom, "retry")        // persistence: back-off over
CAF_ADD_ATOM(h2h, h2h, run_atom, "run")            // periodic job: start a run
CAF_ADD_ATOM(h2h, h2h, run_end_atom, "runend")     // periodic job: a run ended
CAF_ADD_ATOM(h2h, h2h, rejoin_atom, "rejoin")      // session: enter a moved room again
CAF_ADD_ATOM(h2h, h2h, beat_atom, "beat")          // cluster: heartbeat
CAF_ADD_ATOM(h2h, h2h, watch_atom, "watch")        // registry watch: wait again
CAF_ADD_ATOM(h2h, h2h, gather_due_atom, "gatherdue") // admin: answers' deadline
CAF_ADD_ATOM(h2h, h2h, tick_due_atom, "tickdue")   // session ticker: a period ended
// The node's session ticker (actors/chat/session_ticker.hpp): a session asks
// for the next tick; the tick, sent to each session that asked.
CAF_ADD_ATOM(h2h, h2h, tick_ask_atom, "tickask")
CAF_ADD_ATOM(h2h, h2h, sess_tick_atom, "sesstick")
// clang-format on

CAF_ERROR_CODE_ENUM(h2h::errc, "h2h")

namespace h2h {

/// The error category atom of `errc` inside a `caf::error`.
inline bool is_h2h_error(const caf::error& e) {
  return e.category() == caf::atom("h2h");
}

/// Maps any error to the client-visible `errc` (`unavailable` when it did not
/// come from h2h, e.g. a dead room or a timed-out request).
inline errc to_errc(const caf::error& e) {
  if (!e)
    return errc::none;
  if (is_h2h_error(e))
    return static_cast<errc>(e.code());
  return errc::unavailable;
}

} // namespace h2h
