// What the admin actor is asked and answers (DESIGN.md §5): plain records,
// no JSON. The admin port (net/admin/) turns request lines into
// admin_request and admin_reply into JSON; docs/admin.md has the wire form.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

namespace h2h {

/// One admin command, parsed and checked by the admin port.
struct admin_request {
  /// nodes, rooms, room, sessions, member, kick, close, broadcast, stats,
  /// loglevel, drain, reports (answered by the node from the store, never
  /// by the admin actor).
  std::string command;
  /// rooms --node N: only that node; empty: every node.
  std::string node;
  /// room <id>, sessions --room R, kick <member> [room], close <room>,
  /// broadcast <room> <text>.
  std::string room;
  /// member <id>, sessions --member M, kick <member>, reports --target M;
  /// 0: none given.
  std::int64_t member = 0;
  /// broadcast: the text; loglevel: the level.
  std::string text;
  /// rooms --sort members|rate|mailbox (empty: by id).
  std::string sort;
  /// rooms --limit K, sessions: most entries in the answer (0: default).
  std::uint32_t limit = 0;
};

inline bool operator==(const admin_request& x, const admin_request& y) {
  return x.command == y.command && x.node == y.node && x.room == y.room
         && x.member == y.member && x.text == y.text && x.sort == y.sort
         && x.limit == y.limit;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, admin_request& x) {
  return f(caf::meta::type_name("admin_request"), x.command, x.node, x.room,
           x.member, x.text, x.sort, x.limit);
}

/// One node of the cluster (or the only node).
struct admin_node {
  std::string id;
  /// host:cluster-port (single node: the public address).
  std::string address;
  std::int64_t started_ms = 0;
  std::uint64_t rooms = 0;
  std::uint64_t sessions = 0;
};

inline bool operator==(const admin_node& x, const admin_node& y) {
  return x.id == y.id && x.address == y.address && x.started_ms == y.started_ms
         && x.rooms == y.rooms && x.sessions == y.sessions;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, admin_node& x) {
  return f(caf::meta::type_name("admin_node"), x.id, x.address, x.started_ms,
           x.rooms, x.sessions);
}

/// A room as one node's room actor (owner or relay) sees it, from its state.
struct admin_room {
  std::string id;
  /// The node that answered, and the node that owns the room.
  std::string node;
  std::string owner;
  bool relay = false;
  /// Highest committed seq.
  std::uint64_t seq = 0;
  /// Members of the room (private: the allowed list; public: those
  /// recorded) and distinct members with a live session in it.
  std::uint64_t members_total = 0;
  std::uint64_t members_online = 0;
  /// Subscribers on the answering node by protocol ("raw", "stomp", "sse",
  /// ...) and, on the owner, subscribers per relaying node ("node:<id>").
  std::vector<std::pair<std::string, std::uint64_t>> subscribers;
  /// Messages waiting in the room actor's mailbox when it answered.
  std::uint64_t mailbox = 0;
  /// Messages committed per second, averaged over the last minute.
  double rate = 0;
  /// Seqs handed out and not committed yet (last seq - committed seq).
  std::uint64_t persistence_lag = 0;
  /// Wall-clock ms of the last event or ENTER (0: none since it started).
  std::int64_t last_activity_ms = 0;
};

inline bool operator==(const admin_room& x, const admin_room& y) {
  return x.id == y.id && x.node == y.node && x.owner == y.owner
         && x.relay == y.relay && x.seq == y.seq
         && x.members_total == y.members_total
         && x.members_online == y.members_online
         && x.subscribers == y.subscribers && x.mailbox == y.mailbox
         && x.rate == y.rate && x.persistence_lag == y.persistence_lag
         && x.last_activity_ms == y.last_activity_ms;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, admin_room& x) {
  return f(caf::meta::type_name("admin_room"), x.id, x.node, x.owner, x.relay,
           x.seq, x.members_total, x.members_online, x.subscribers, x.mailbox,
           x.rate, x.persistence_lag, x.last_activity_ms);
}

/// One client session (connection) on a node.
struct admin_session {
  std::string node;
  /// A node-local id of the session (stable while it lives).
  std::string id;
  std::int64_t member_id = 0;
  std::string name;
  /// "raw", "stomp", "sse", ...
  std::string protocol;
  /// Rooms it has entered.
  std::vector<std::string> rooms;
  std::int64_t connected_ms = 0;
};

inline bool operator==(const admin_session& x, const admin_session& y) {
  return x.node == y.node && x.id == y.id && x.member_id == y.member_id
         && x.name == y.name && x.protocol == y.protocol && x.rooms == y.rooms
         && x.connected_ms == y.connected_ms;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, admin_session& x) {
  return f(caf::meta::type_name("admin_session"), x.node, x.id, x.member_id,
           x.name, x.protocol, x.rooms, x.connected_ms);
}

/// A member's report of another, as `reports` lists it (the node reads it
/// from the store; it never crosses between nodes).
struct admin_report {
  std::int64_t id = 0;
  std::int64_t reporter_id = 0;
  std::int64_t target_id = 0;
  std::string reason;
  std::int64_t created_ms = 0;
  /// The target's messages copied at report time: a JSON array (text).
  std::string context;
};

inline bool operator==(const admin_report& x, const admin_report& y) {
  return x.id == y.id && x.reporter_id == y.reporter_id
         && x.target_id == y.target_id && x.reason == y.reason
         && x.created_ms == y.created_ms && x.context == y.context;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, admin_report& x) {
  return f(caf::meta::type_name("admin_report"), x.id, x.reporter_id,
           x.target_id, x.reason, x.created_ms, x.context);
}

/// The answer to one admin_request. Which fields are filled depends on the
/// command (docs/admin.md); `error` non-empty means it failed.
struct admin_reply {
  /// Empty: success. Else a code (ADMIN_...) and `message` says why.
  std::string error;
  std::string message;
  std::vector<admin_node> nodes;
  std::vector<admin_room> rooms;
  std::vector<admin_session> sessions;
  /// stats: the node's counters (name, value), per node "<node>.<name>"
  /// when several nodes answer.
  std::vector<std::pair<std::string, std::int64_t>> counters;
  /// kick: sessions ended or removed; close: 1 when a room was stopped;
  /// broadcast: the seq of the stored message.
  std::uint64_t count = 0;
  /// Nodes asked that did not answer within the timeout.
  std::vector<std::string> unanswered;
  /// reports: newest first.
  std::vector<admin_report> reports;
};

inline bool operator==(const admin_reply& x, const admin_reply& y) {
  return x.error == y.error && x.message == y.message && x.nodes == y.nodes
         && x.rooms == y.rooms && x.sessions == y.sessions
         && x.counters == y.counters && x.count == y.count
         && x.unanswered == y.unanswered && x.reports == y.reports;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, admin_reply& x) {
  return f(caf::meta::type_name("admin_reply"), x.error, x.message, x.nodes,
           x.rooms, x.sessions, x.counters, x.count, x.unanswered, x.reports);
}

} // namespace h2h
