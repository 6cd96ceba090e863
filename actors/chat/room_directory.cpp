// The room directory: the only owner of the map room id -> room actor.
#include "actors/chat/room_directory.hpp"

#include <spdlog/spdlog.h>

namespace h2h {

directory_actor::behavior_type room_directory(directory_pointer self,
                                              room_env_ptr env) {
  self->state.env = std::move(env);
  self->state.creators = creation_limiter{
    self->state.env->rooms_created_per_hour, self->state.env->creators_tracked};
  self->set_down_handler([self](const caf::down_msg& dm) {
    auto& rooms = self->state.rooms;
    for (auto i = rooms.begin(); i != rooms.end(); ++i) {
      if (i->second.room.address() == dm.source) {
        if (dm.reason && dm.reason != caf::exit_reason::user_shutdown)
          spdlog::error("room {} died: {}", i->first,
                        self->system().render(dm.reason));
        rooms.erase(i);
        return;
      }
    }
  });
  self->set_error_handler([](caf::error& err) {
    spdlog::warn("room directory: {}", caf::to_string(err));
  });
  // Shutting down the directory shuts down every room it owns.
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    for (auto& [id, entry] : self->state.rooms)
      self->send_exit(entry.room, msg.reason);
    self->state.rooms.clear();
    self->quit(msg.reason);
  });
  return {
    [self](enter_atom, const std::string& room_id,
           enter_request& req) -> caf::delegated<enter_reply> {
      auto& st = self->state;
      auto i = st.rooms.find(room_id);
      if (i == st.rooms.end()) {
        auto r = self->spawn(room, room_id, st.env,
                             caf::actor_cast<directory_actor>(self),
                             room_creator{req.sender_id, req.sender});
        self->monitor(r);
        spdlog::debug("room {} started", room_id);
        i = st.rooms.emplace(room_id, directory_entry{r, 0}).first;
      }
      ++i->second.enters_forwarded;
      return self->delegate(i->second.room, enter_atom_v, std::move(req));
    },
    [self](post_atom, const std::string& room_id,
           publish_request& req) -> caf::delegated<publish_ack> {
      // Counted like an ENTER: the room may not stop while it is on its way.
      auto& st = self->state;
      auto i = st.rooms.find(room_id);
      if (i == st.rooms.end()) {
        auto r = self->spawn(room, room_id, st.env,
                             caf::actor_cast<directory_actor>(self),
                             room_creator{req.sender_id, req.sender, false});
        self->monitor(r);
        i = st.rooms.emplace(room_id, directory_entry{r, 0}).first;
      }
      ++i->second.enters_forwarded;
      return self->delegate(i->second.room, post_atom_v, std::move(req));
    },
    [self](idle_atom, const std::string& room_id, std::uint64_t seen) {
      auto& st = self->state;
      auto i = st.rooms.find(room_id);
      if (i == st.rooms.end()
          || i->second.room.address() != self->current_sender())
        return true; // not ours (any more): let it go
      if (i->second.enters_forwarded != seen)
        return false; // an ENTER is on its way to this room
      self->demonitor(i->second.room.address());
      st.rooms.erase(i);
      return true;
    },
    [self](change_atom, room_change& change) {
      auto& rooms = self->state.rooms;
      auto i = rooms.find(change.room_id);
      if (i == rooms.end())
        return; // not running: it reads the store when it starts
      self->send(i->second.room, change_atom_v, change);
      if (change.kind == room_change_kind::deleted) {
        self->demonitor(i->second.room.address());
        rooms.erase(i);
      }
    },
    [self](create_atom, const std::string& room_id, std::int64_t member,
           const std::string& sender) -> caf::result<bool> {
      // Asked by a room that found itself missing from the store.
      auto& st = self->state;
      if (!st.env->create_on_enter)
        return caf::make_error(errc::no_such_room, "no such room " + room_id);
      if (!st.creators.take(room_creator{member, sender}.key(),
                            self->clock().now()))
        return caf::make_error(errc::rate_limited,
                               "creating rooms too fast, retry later");
      return true;
    },
    [self](info_atom) {
      std::vector<std::string> ids;
      ids.reserve(self->state.rooms.size());
      for (auto& [id, entry] : self->state.rooms)
        ids.push_back(id);
      return ids;
    },
  };
}

} // namespace h2h
