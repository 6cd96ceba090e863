// The admin actor: checks each admin request, asks every node's part at
// once (each node through its directory, one deadline for all) and merges;
// answers this node's part from its sessions and its directory.
#include "actors/admin/admin_actor.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/admin/admin_results.hpp"
#include "actors/admin/gather.hpp"

namespace h2h {

namespace {

using admin::failure;

const std::string& node_id(const admin_state& st) {
  return st.view.self.empty() ? st.settings.node_id : st.view.self;
}

std::size_t utf8_chars(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool is_room_command(const admin_request& req) {
  const auto& c = req.command;
  return c == "rooms" || c == "room" || c == "close" || c == "broadcast"
         || (c == "kick" && !req.room.empty());
}

/// Why the request cannot be answered, or nullopt.
std::optional<admin_reply> check(const admin_state& st,
                                 const admin_request& req) {
  const auto& c = req.command;
  auto bad = [](std::string why) {
    return failure(admin::bad_request, std::move(why));
  };
  if (c == "nodes" || c == "stats" || c == "drain" || c == "sessions")
    return std::nullopt;
  if (c == "rooms")
    return admin::valid_sort(req.sort)
             ? std::nullopt
             : std::optional{bad("sort must be members, rate or mailbox")};
  if (c == "room" || c == "close")
    return req.room.empty() ? std::optional{bad(c + " needs a room")}
                            : std::nullopt;
  if (c == "member" || c == "kick" || c == "blocks")
    return req.member == 0 ? std::optional{bad(c + " needs a member id")}
                           : std::nullopt;
  if (c == "broadcast") {
    if (req.room.empty() || req.text.empty())
      return bad("broadcast needs a room and a text");
    if (utf8_chars(req.text) > st.settings.max_message_chars)
      return bad("text longer than "
                 + std::to_string(st.settings.max_message_chars)
                 + " characters");
    return std::nullopt;
  }
  if (c == "loglevel") {
    static const char* levels[]
      = {"trace", "debug", "info", "warning", "error"};
    for (auto* l : levels)
      if (req.text == l)
        return std::nullopt;
    return bad("level must be trace, debug, info, warning or error");
  }
  return bad("unknown command: " + c);
}

// -- this node's part ---------------------------------------------------------

admin_node this_node(const admin_state& st) {
  admin_node n;
  n.id = node_id(st);
  if (st.settings.address)
    n.address = st.settings.address();
  n.started_ms = st.settings.started_ms;
  n.rooms = static_cast<std::uint64_t>(std::max<std::int64_t>(
    0, st.settings.metrics->rooms_active.load(std::memory_order_relaxed)));
  n.sessions = st.sessions.size() + st.untracked;
  return n;
}

admin_reply stats(const admin_state& st) {
  admin_reply r;
  auto& m = *st.settings.metrics;
  auto add = [&r](const char* name, std::int64_t v) {
    r.counters.emplace_back(name, v);
  };
  auto u = [](const std::atomic<std::uint64_t>& x) {
    return static_cast<std::int64_t>(x.load(std::memory_order_relaxed));
  };
  add("rooms_active", m.rooms_active.load(std::memory_order_relaxed));
  add("rooms_started", u(m.rooms_started));
  add("sessions_active", m.sessions_active.load(std::memory_order_relaxed));
  add("sessions_listed", static_cast<std::int64_t>(st.sessions.size()));
  add("events", u(m.events));
  add("messages_in", u(m.messages_in));
  add("deliveries", u(m.deliveries));
  add("duplicates", u(m.duplicates));
  add("store_ok", m.store_ok.load(std::memory_order_relaxed) ? 1 : 0);
  add("persist_queue", m.persist_queue.load(std::memory_order_relaxed));
  add("batches", u(m.batches));
  add("batched_messages", u(m.batched_messages));
  add("commit_retries", u(m.commit_retries));
  add("refused_full", u(m.refused_full));
  if (st.settings.counters)
    for (auto& c : st.settings.counters())
      r.counters.push_back(std::move(c));
  return r;
}

/// Ends every session of the member on this node: how many.
admin_reply kick_member(admin_pointer self, std::int64_t member) {
  admin_reply r;
  for (auto& [addr, s] : self->state.sessions)
    if (s.member_id == member)
      if (auto h = caf::actor_cast<session_actor>(addr)) {
        self->send(h, kick_atom_v);
        ++r.count;
      }
  spdlog::info("admin: member {} kicked ({} session(s) on this node)", member,
               r.count);
  return r;
}

/// Tells every session of the member on this node whom it blocks now (the
/// REST API's block routes: blocks_request()): how many were told.
admin_reply tell_blocks(admin_pointer self, const admin_request& req) {
  auto ids = admin::block_ids(req.text);
  if (self->state.settings.blocks_changed)
    self->state.settings.blocks_changed(req.member);
  admin_reply r;
  for (auto& [addr, s] : self->state.sessions)
    if (s.member_id == req.member)
      if (auto h = caf::actor_cast<session_actor>(addr)) {
        self->send(h, block_atom_v, ids);
        ++r.count;
      }
  return r;
}

/// This node's sessions (of `member` when given), each asked for its rooms
/// (filtered by `room` when given), oldest first, at most the limit.
caf::result<admin_reply> list_sessions(admin_pointer self,
                                       const admin_request& req) {
  auto& st = self->state;
  struct candidate {
    caf::actor_addr addr;
    const admin_session_entry* entry;
  };
  std::vector<candidate> found;
  for (auto& [addr, s] : st.sessions)
    if (req.member == 0 || s.member_id == req.member)
      found.push_back({addr, &s});
  std::sort(found.begin(), found.end(),
            [](const candidate& x, const candidate& y) {
              return std::make_pair(x.entry->connected_ms, x.addr.id())
                     < std::make_pair(y.entry->connected_ms, y.addr.id());
            });
  // Without a room filter only the first `limit` matter; with one, at most
  // max_limit are asked (the listing says so when there were more).
  auto ask = req.room.empty() ? admin::limit_of(req) : admin::max_limit;
  bool more = found.size() > ask;
  if (more)
    found.resize(ask);
  std::vector<session_actor> targets;
  std::vector<admin_session> rows;
  for (auto& c : found) {
    targets.push_back(caf::actor_cast<session_actor>(c.addr));
    admin_session row;
    row.node = node_id(st);
    row.id = std::to_string(c.addr.id());
    row.member_id = c.entry->member_id;
    row.name = c.entry->name;
    row.protocol = c.entry->protocol;
    row.connected_ms = c.entry->connected_ms;
    rows.push_back(std::move(row));
  }
  gather_finish<std::vector<std::string>> finish
    = [req, rows = std::move(rows),
       more](std::vector<gathered<std::vector<std::string>>>& got) mutable {
        admin_reply out;
        for (std::size_t i = 0; i < got.size(); ++i) {
          if (!got[i].value)
            continue; // ended meanwhile, or too slow: left out
          auto& rooms = *got[i].value;
          if (!req.room.empty()
              && std::find(rooms.begin(), rooms.end(), req.room) == rooms.end())
            continue;
          rows[i].rooms = std::move(rooms);
          out.sessions.push_back(std::move(rows[i]));
          if (out.sessions.size() >= admin::limit_of(req))
            break;
        }
        if (more)
          out.message = "more sessions than listed";
        return out;
      };
  return gather_answers<std::vector<std::string>>(
    self, std::move(targets), self->state.settings.node_timeout / 2,
    std::move(finish), req, admin_atom_v);
}

caf::result<admin_reply> local_part(admin_pointer self,
                                    const admin_request& req) {
  auto& st = self->state;
  if (auto refusal = check(st, req))
    return *refusal;
  if (is_room_command(req))
    return self->delegate(st.settings.directory, admin_atom_v, req);
  const auto& c = req.command;
  if (c == "nodes") {
    admin_reply r;
    r.nodes.push_back(this_node(st));
    return r;
  }
  if (c == "sessions" || c == "member")
    return list_sessions(self, req);
  if (c == "kick")
    return kick_member(self, req.member);
  if (c == "blocks")
    return tell_blocks(self, req);
  if (c == "stats")
    return stats(st);
  return failure(admin::bad_request, c + " is not asked of other nodes");
}

// -- the whole cluster --------------------------------------------------------

caf::result<admin_reply> whole(admin_pointer self, const admin_request& req) {
  auto& st = self->state;
  if (auto refusal = check(st, req))
    return *refusal;
  const auto& c = req.command;
  if (c == "stats")
    return stats(st);
  if (c == "loglevel") {
    if (!st.settings.set_log_level)
      return failure(admin::unavailable, "this node cannot change its level");
    st.settings.set_log_level(req.text);
    spdlog::info("admin: log level set to {}", req.text);
    return admin_reply{};
  }
  if (c == "drain") {
    if (!st.settings.drain)
      return failure(admin::unavailable, "this node cannot drain");
    spdlog::warn("admin: drain requested");
    st.settings.drain();
    admin_reply r;
    r.count = 1;
    return r;
  }
  std::vector<directory_actor> targets;
  std::vector<std::string> names;
  if (st.view.self.empty() || st.view.ids.empty()) {
    targets.push_back(st.settings.directory);
    names.push_back(node_id(st));
  } else {
    for (std::size_t k = 0; k < st.view.ids.size(); ++k) {
      targets.push_back(k < st.view.entries.size() ? st.view.entries[k]
                                                   : directory_actor{});
      names.push_back(st.view.ids[k]);
    }
  }
  if (!req.node.empty()) {
    auto k = std::find(names.begin(), names.end(), req.node) - names.begin();
    if (static_cast<std::size_t>(k) == names.size())
      return failure(admin::not_found, "no such node: " + req.node);
    targets = {targets[static_cast<std::size_t>(k)]};
    names = {req.node};
  }
  gather_finish<admin_reply> finish
    = [req, names](std::vector<gathered<admin_reply>>& got) {
        std::vector<admin::node_answer> answers;
        for (std::size_t i = 0; i < got.size(); ++i)
          answers.push_back({names[i], std::move(got[i].value)});
        return admin::merge(req, answers);
      };
  return gather_answers<admin_reply>(self, std::move(targets),
                                     st.settings.node_timeout,
                                     std::move(finish), req, local_atom_v, req);
}

} // namespace

admin_actor::behavior_type node_admin(admin_pointer self,
                                      admin_settings settings) {
  auto& st = self->state;
  st.settings = std::move(settings);
  if (!st.settings.metrics)
    st.settings.metrics = std::make_shared<node_metrics>();
  self->set_down_handler([self](const caf::down_msg& dm) {
    auto& st = self->state;
    if (st.sessions.erase(dm.source) == 0 && st.untracked > 0)
      --st.untracked;
  });
  self->set_error_handler([](caf::error& err) {
    spdlog::warn("admin actor: {}", caf::to_string(err));
  });
  if (st.settings.directory)
    self->send(st.settings.directory, admin_atom_v,
               caf::actor_cast<admin_actor>(self));
  return {
    [self](admin_atom, const admin_request& req) { return whole(self, req); },
    [self](local_atom, const admin_request& req) {
      return local_part(self, req);
    },
    [self](caf::join_atom, const session_actor& s, std::int64_t member,
           std::string& name, std::string& protocol) {
      auto& st = self->state;
      if (!s)
        return;
      self->monitor(s);
      if (st.sessions.size() >= st.settings.sessions_max) {
        ++st.untracked;
        return;
      }
      auto now = st.settings.now_ms ? st.settings.now_ms() : 0;
      st.sessions.emplace(s.address(),
                          admin_session_entry{member, std::move(name),
                                              protocol_name(protocol), now});
    },
    [self](nodes_atom, cluster_view& view) {
      self->state.view = std::move(view);
    },
  };
}

admin_actor spawn_admin(caf::actor_system& sys, admin_settings settings) {
  return sys.spawn(node_admin, std::move(settings));
}

} // namespace h2h
