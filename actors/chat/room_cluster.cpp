// The room's part in a cluster: relays mirror rooms owned by other nodes,
// owners hand rooms over when the node set changes.
#include "actors/chat/room_cluster.hpp"

#include <algorithm>
#include <optional>

#include <spdlog/spdlog.h>

#include "actors/chat/room_fence.hpp"
#include "actors/chat/room_replay.hpp"

namespace h2h::room_cluster {

namespace {

using namespace room_internal;

/// Runs the idle handshake now: the relay stops once no ENTER is on its way.
void stop_soon(room_pointer self) {
  auto& st = self->state;
  self->send(self, idle_chk_atom_v, ++st.idle_generation);
}

/// A message forwarded to an owner that went away before it answered.
caf::error owner_lost_error(const room_state& st) {
  return caf::make_error(errc::owner_lost,
                         "room " + st.id
                           + " moved to another node before it answered: the "
                             "message may be stored (retry only with its "
                             "clientMsgId)");
}

/// The relayed ENTER `id`'s promise, unless it was refused already.
std::optional<room_detail::enter_promise> take_relaying(room_state& st,
                                                        std::uint64_t id) {
  auto i = st.relaying.find(id);
  if (i == st.relaying.end())
    return std::nullopt;
  auto promise = std::move(i->second);
  st.relaying.erase(i);
  return promise;
}

/// Every member of this node enters the room again where it lives now, from
/// the last seq it was handed; members still reading a replay are refused
/// (CHAT_006: their ENTER is retried by the client). The actor ends.
void send_members_away(room_pointer self, const caf::error& entering_why) {
  auto& st = self->state;
  // Messages on their way to an owner that is gone: the sender retries
  // (the same clientMsgId is never stored twice), after its session entered
  // the room again where it lives now.
  auto forwarded = std::move(st.forwarded);
  st.forwarded.clear();
  for (auto& [id, promise] : forwarded)
    promise.deliver(owner_lost_error(st));
  // ENTERs on their way to the owner: a session entering again retries by
  // itself; a client is told to ENTER again (its lastSeq still holds).
  auto relaying = std::move(st.relaying);
  st.relaying.clear();
  for (auto& [id, promise] : relaying)
    promise.deliver(caf::make_error(
      errc::room_moved, "room " + st.id
                          + " moved to another node while entering: ENTER it "
                            "again"));
  room_detail::drop_all_entering(self, entering_why);
  for (auto& [addr, m] : st.members) {
    self->demonitor(addr);
    if (m.role == enter_role::relay)
      self->send(m.handle, removed_atom_v, st.id,
                 caf::make_error(errc::unavailable, "room moved"));
    else if (m.role == enter_role::session)
      self->send(m.handle, moved_atom_v, st.id, m.sender, m.delivered);
    // A session of another node hears it from its relay.
  }
  st.members.clear();
  self->quit();
}

/// Answers a relay's ENTER with the outcome of the local part.
void enter_here(room_pointer self, enter_request& req,
                room_detail::enter_promise promise) {
  auto r = room_detail::enter(self, req, &promise);
  switch (r.flag) {
    case caf::rt_value:
      promise.deliver(r.value.get_as<enter_reply>(0));
      break;
    case caf::rt_error:
      promise.deliver(r.err);
      break;
    default: // waits for a replay: answered through `promise`
      break;
  }
}

} // namespace

void subscribe(room_pointer self, room_creator creator) {
  auto& st = self->state;
  enter_request req;
  req.session = caf::actor_cast<session_actor>(self);
  req.sender = creator.sender;
  req.sender_id = creator.member_id;
  req.role = enter_role::relay;
  self
    ->request(st.owner_directory, st.env->cluster_timeout, enter_atom_v, st.id,
              std::move(req))
    .await(
      [self](enter_reply& reply) {
        auto& st = self->state;
        st.upstream = std::move(reply.room);
        st.last_seq = st.committed_seq = reply.last_seq;
        self->monitor(st.upstream);
        spdlog::debug("relay of room {} subscribed at seq {}", st.id,
                      st.committed_seq);
      },
      [self](caf::error& err) {
        auto& st = self->state;
        spdlog::warn(
          "relay of room {}: the owner refused or did not answer: {}", st.id,
          self->system().render(err));
        st.refused = is_h2h_error(err)
                       ? std::move(err)
                       : caf::make_error(errc::unavailable,
                                         "room " + st.id
                                           + " unavailable (owner node "
                                             "unreachable), retry");
      });
}

caf::result<enter_reply> relay_enter(room_pointer self, enter_request& req) {
  auto& st = self->state;
  if (st.refused || req.role != enter_role::session || !st.upstream) {
    ++st.enters_seen;
    stop_soon(self);
    return st.refused
             ? st.refused
             : caf::make_error(errc::unavailable,
                               "room " + st.id + " unavailable, retry");
  }
  auto promise = self->make_response_promise<enter_reply>();
  auto id = ++st.last_relaying;
  st.relaying.emplace(id, promise);
  enter_request up;
  up.session = req.session;
  up.sender = req.sender;
  up.sender_id = req.sender_id;
  up.role = enter_role::relayed;
  up.via = caf::actor_cast<room_actor>(self);
  up.quiet = req.quiet;
  up.protocol = req.protocol;
  // A lastSeq above what the owner committed makes it catch up with the
  // store first (and hand the relay those events before it answers).
  up.last_seq = req.last_seq;
  self
    ->request(st.upstream, st.env->cluster_timeout, enter_atom_v, std::move(up))
    .then(
      [self, id, req = std::move(req)](enter_reply&) mutable {
        if (auto promise = take_relaying(self->state, id))
          enter_here(self, req, std::move(*promise));
      },
      [self, id](caf::error& err) mutable {
        auto promise = take_relaying(self->state, id);
        if (!promise)
          return; // refused already (the owner went away)
        ++self->state.enters_seen;
        room_detail::settle(self);
        promise->deliver(err);
      });
  return promise;
}

caf::result<publish_ack> relay_publish(room_pointer self, bool post,
                                       publish_request& req) {
  auto& st = self->state;
  if (!st.upstream)
    return caf::make_error(errc::unavailable,
                           "room " + st.id + " unavailable, retry");
  auto id = ++st.last_forwarded;
  auto promise = self->make_response_promise<publish_ack>();
  st.forwarded.emplace(id, promise);
  // No CAF timeout (0.17 keeps each until it fires): the session's deadline
  // bounds the wait, and the owner's loss ends it at once.
  auto handle = [self, id](caf::expected<publish_ack> r) {
    auto& st = self->state;
    auto i = st.forwarded.find(id);
    if (i == st.forwarded.end())
      return; // refused already (the owner went away)
    auto p = std::move(i->second);
    st.forwarded.erase(i);
    if (r)
      p.deliver(*r);
    else if (!is_h2h_error(r.error()))
      // It bounced off an owner that ended (a move) or its node failed: the
      // session sends it again once it entered the room anew.
      p.deliver(owner_lost_error(st));
    else
      p.deliver(r.error());
  };
  auto sent = post ? self->request(st.upstream, caf::infinite, post_atom_v,
                                   std::move(req))
                   : self->request(st.upstream, caf::infinite,
                                   caf::publish_atom_v, std::move(req));
  sent.then([handle](publish_ack& ack) { handle(ack); },
            [handle](caf::error& err) { handle(std::move(err)); });
  return promise;
}

void relay_events(room_pointer self, event_batch& batch) {
  auto& st = self->state;
  for (auto& ev : batch.events) {
    if (!ev || ev->data().seq <= st.committed_seq)
      continue; // a repeat (the owner sends each seq once; be sure)
    st.last_seq = st.committed_seq = ev->data().seq;
    fan_out_event(self, std::move(ev));
  }
}

void relay_dropped(room_pointer self, const caf::error& why) {
  auto& st = self->state;
  if (to_errc(why) != errc::no_such_room) {
    owner_lost(self);
    return;
  }
  room_detail::drop_all_entering(self, why);
  for (auto& [addr, m] : st.members) {
    self->demonitor(addr);
    self->send(m.handle, removed_atom_v, st.id, why);
  }
  st.members.clear();
  self->quit();
}

void relay_drop_member(room_pointer self, const session_actor& who,
                       const caf::error& why) {
  auto& st = self->state;
  auto i = st.members.find(who.address());
  if (i == st.members.end())
    return;
  if (i->second.replay != 0) {
    room_detail::drop_entering(self, who.address(), why);
    return;
  }
  self->demonitor(who.address());
  st.members.erase(i);
  self->send(who, removed_atom_v, st.id, why);
  idle_if_unused(self);
}

void owner_lost(room_pointer self) {
  spdlog::info("room {}: its owner moved or is gone; members enter again",
               self->state.id);
  send_members_away(self, caf::make_error(errc::unavailable,
                                          "room moved while entering, retry"));
}

std::vector<std::int64_t> presence(const room_state& st) {
  std::vector<std::int64_t> ids;
  for (auto& [addr, m] : st.members)
    if (m.role != enter_role::relay && m.replay == 0 && m.sender_id != 0)
      ids.push_back(m.sender_id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

void move(room_pointer self) {
  auto& st = self->state;
  if (st.is_relay) {
    owner_lost(self);
    return;
  }
  if (st.moving)
    return;
  st.moving = true;
  refuse_deferred(
    self,
    caf::make_error(errc::unavailable,
                    "room " + st.id + " is moving to another node, retry"));
  spdlog::info("room {} moves to another node ({} event(s) to commit first)",
               st.id, st.pending.size());
  if (st.pending.empty())
    finish_move(self);
}

void finish_move(room_pointer self) {
  send_members_away(self, caf::make_error(errc::unavailable,
                                          "room moved while entering, retry"));
}

} // namespace h2h::room_cluster
