// The room directory's part of admin commands: this node's rooms, asked
// each with one deadline for all, and the commands about one room.
#include "actors/chat/directory_admin.hpp"

#include <spdlog/spdlog.h>

#include "actors/admin/admin_results.hpp"
#include "actors/admin/gather.hpp"

namespace h2h::directory_detail {

namespace {

using admin::failure;

/// The h2h node id of each relaying node's CAF node, to name the owner's
/// "relay:<caf node>" subscribers "node:<id>".
std::vector<std::pair<std::string, std::string>>
node_names(const directory_state& st) {
  std::vector<std::pair<std::string, std::string>> out;
  auto n = std::min(st.view.ids.size(), st.view.entries.size());
  for (std::size_t k = 0; k < n; ++k)
    if (st.view.entries[k])
      out.emplace_back("relay:" + caf::to_string(st.view.entries[k].node()),
                       "node:" + st.view.ids[k]);
  return out;
}

void name_relays(
  admin_room& r,
  const std::vector<std::pair<std::string, std::string>>& names) {
  for (auto& [key, count] : r.subscribers)
    for (auto& [caf_name, id] : names)
      if (key == caf_name) {
        key = id;
        break;
      }
}

caf::result<admin_reply> list_rooms(directory_pointer self,
                                    const admin_request& req) {
  auto& st = self->state;
  std::vector<room_actor> targets;
  for (auto& [id, entry] : st.rooms) {
    if (!entry.owner_node.empty())
      continue; // relays: the owner node lists the room
    if (targets.size() >= st.env->admin_scan_max)
      break;
    targets.push_back(entry.room);
  }
  auto names = node_names(st);
  auto self_id = st.view.self;
  auto skipped = st.rooms.size() > st.env->admin_scan_max;
  gather_finish<admin_room> finish
    = [req, names, self_id, skipped](std::vector<gathered<admin_room>>& got) {
        admin_reply out;
        std::size_t silent = 0;
        for (auto& g : got) {
          if (!g.value) {
            silent += g.answered ? 0 : 1;
            continue;
          }
          g.value->node = g.value->owner = self_id;
          name_relays(*g.value, names);
          out.rooms.push_back(std::move(*g.value));
        }
        admin::sort_rooms(out.rooms, req.sort, admin::limit_of(req));
        if (silent > 0)
          out.message = std::to_string(silent) + " room(s) did not answer";
        if (skipped)
          out.message += std::string{out.message.empty() ? "" : "; "}
                         + "more rooms than asked";
        return out;
      };
  return gather_answers<admin_room>(self, std::move(targets),
                                    st.env->admin_timeout, std::move(finish),
                                    req, admin_atom_v);
}

caf::result<admin_reply> one_room(directory_pointer self,
                                  const admin_request& req,
                                  directory_entry& entry) {
  auto& st = self->state;
  auto names = node_names(st);
  auto self_id = st.view.self;
  auto owner = entry.owner_node;
  gather_finish<admin_room> finish
    = [names, self_id, owner](std::vector<gathered<admin_room>>& got) {
        auto& g = got.front();
        if (!g.answered)
          return failure(admin::timeout, "the room did not answer in time");
        if (!g.value)
          return failure(admin::not_found, "the room ended");
        g.value->node = self_id;
        g.value->owner = owner.empty() ? self_id : owner;
        name_relays(*g.value, names);
        admin_reply out;
        out.rooms.push_back(std::move(*g.value));
        return out;
      };
  return gather_answers<admin_room>(self, std::vector<room_actor>{entry.room},
                                    st.env->admin_timeout, std::move(finish),
                                    req, admin_atom_v);
}

/// A count the room answers (kick, close).
gather_finish<std::uint64_t> count_of(bool closed) {
  return [closed](std::vector<gathered<std::uint64_t>>& got) {
    auto& g = got.front();
    if (!g.answered)
      return failure(admin::timeout, "the room did not answer in time");
    if (!g.value)
      return failure(admin::not_found, "the room ended");
    admin_reply out;
    out.count = closed ? 1 : *g.value;
    return out;
  };
}

caf::result<admin_reply> broadcast(directory_pointer self,
                                   const admin_request& req) {
  auto& st = self->state;
  if (owned_elsewhere(st, req.room))
    return failure(admin::not_found, "room " + req.room + " is not owned here");
  // Never creates the room: one nobody created refuses (CHAT_001).
  auto& entry = serve_here(self, req.room, room_creator{0, "system", false});
  ++entry.enters_forwarded; // the room counts it like an ENTER
  gather_finish<publish_ack> finish
    = [room = req.room](std::vector<gathered<publish_ack>>& got) {
        auto& g = got.front();
        if (!g.answered)
          return failure(admin::timeout, "the room did not answer in time");
        if (!g.value) {
          if (to_errc(g.error) == errc::no_such_room)
            return failure(admin::not_found, "no such room: " + room);
          return failure(admin::unavailable,
                         "room " + room + " refused the message: "
                           + std::string{describe(to_errc(g.error)).code});
        }
        admin_reply out;
        out.count = g.value->seq;
        return out;
      };
  publish_request msg{"system", 0, req.text, {}};
  return gather_answers<publish_ack>(self, std::vector<room_actor>{entry.room},
                                     st.env->admin_timeout, std::move(finish),
                                     req, admin_atom_v, std::move(msg));
}

} // namespace

caf::result<admin_reply> admin_part(directory_pointer self,
                                    const admin_request& req) {
  auto& st = self->state;
  const auto& cmd = req.command;
  if (cmd == "rooms")
    return list_rooms(self, req);
  if (cmd == "broadcast")
    return broadcast(self, req);
  auto i = st.rooms.find(req.room);
  if (cmd == "room") {
    if (i == st.rooms.end())
      return failure(admin::not_found, "room " + req.room + " is not active");
    return one_room(self, req, i->second);
  }
  if (cmd != "close" && cmd != "kick")
    return failure(admin::bad_request, "not a room command: " + cmd);
  // Only the owner closes or kicks: it drops the sessions of every node.
  if (i == st.rooms.end() || !i->second.owner_node.empty())
    return failure(admin::not_found, "room " + req.room + " is not active");
  auto room = i->second.room;
  if (cmd == "close") {
    // Forgotten at once: an ENTER after this starts the room afresh.
    self->demonitor(room.address());
    st.rooms.erase(i);
    spdlog::info("admin: closing room {}", req.room);
    return gather_answers<std::uint64_t>(self, std::vector<room_actor>{room},
                                         st.env->admin_timeout, count_of(true),
                                         req, close_atom_v);
  }
  return gather_answers<std::uint64_t>(self, std::vector<room_actor>{room},
                                       st.env->admin_timeout, count_of(false),
                                       req, kick_atom_v, req.member);
}

} // namespace h2h::directory_detail
