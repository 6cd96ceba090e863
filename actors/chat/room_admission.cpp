// What an ENTER costs a room: the room's start-up loads it, or creates it
// when the directory allows; ENTERs a room cannot take are refused early.
#include "actors/chat/room_admission.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "actors/chat/room_replay.hpp"

namespace h2h {

namespace {

using apply_fn = std::function<void(room_snapshot&)>;

/// Longest wait for the directory's permission to create the room (the
/// store's load and creation wait `room_env::read_timeout` each).
constexpr auto permit_timeout_max = std::chrono::milliseconds{10000};

std::chrono::milliseconds permit_timeout(const room_state& st) {
  return std::min(st.env->read_timeout, permit_timeout_max);
}

void cannot_load(room_pointer self, const caf::error& err) {
  spdlog::error("room {} cannot load its state: {}", self->state.id,
                self->system().render(err));
  self->quit(err);
}

/// Runs the idle handshake with the directory now, not after
/// rooms.idle_timeout_ms: the room stops once no ENTER is on its way to it.
void stop_soon(room_pointer self) {
  auto& st = self->state;
  self->send(self, idle_chk_atom_v, ++st.idle_generation);
}

void create(room_pointer self, const room_creator& creator, apply_fn apply,
            std::uint64_t window) {
  auto& st = self->state;
  self
    ->request(st.env->persistence, st.env->read_timeout, create_atom_v, st.id,
              creator.member_id, window)
    .await(
      [self, apply](room_snapshot& snap) {
        spdlog::debug("room {} created by ENTER", self->state.id);
        apply(snap);
      },
      [self](caf::error& err) { cannot_load(self, err); });
}

/// The room does not exist: the directory decides whether `creator` may
/// create it (and charges the creation when yes).
void ask_to_create(room_pointer self, room_creator creator, apply_fn apply,
                   std::uint64_t window) {
  auto& st = self->state;
  self
    ->request(st.directory, permit_timeout(st), create_atom_v, st.id,
              creator.member_id, creator.sender)
    .await(
      [self, creator, apply, window](bool allowed) {
        if (allowed) {
          create(self, creator, apply, window);
          return;
        }
        self->state.refused = caf::make_error(errc::no_such_room,
                                              "no such room " + self->state.id);
      },
      [self](caf::error& err) {
        // The directory's refusal, or no answer: then CHAT_006, which the
        // client reads as "room unavailable, retry".
        auto& st = self->state;
        if (is_h2h_error(err))
          st.refused = std::move(err);
        else
          st.refused = caf::make_error(errc::unavailable);
        spdlog::debug("room {} not created: {}", st.id,
                      self->system().render(st.refused));
      });
}

} // namespace

void load_or_create(room_pointer self, room_creator creator, apply_fn apply) {
  auto& st = self->state;
  auto window = static_cast<std::uint64_t>(
    std::max(st.env->replay_ring, st.env->dedupe_window));
  // Load without creating: entering a room that exists is never charged as
  // a creation, and the directory cannot know which idle rooms exist.
  self
    ->request(st.env->persistence, st.env->read_timeout, load_atom_v, st.id,
              window)
    .await(
      [self, creator, apply, window](room_snapshot& snap) {
        if (snap.exists)
          apply(snap);
        else if (!creator.may_create)
          self->state.refused = caf::make_error(
            errc::no_such_room, "no such room " + self->state.id);
        else
          ask_to_create(self, creator, apply, window);
      },
      [self](caf::error& err) { cannot_load(self, err); });
}

std::optional<caf::error> refuse_enter(room_pointer self,
                                       const enter_request& req) {
  auto& st = self->state;
  if (st.refused) {
    // Whoever enters meanwhile gets the same answer; the next ENTER after
    // the room stopped starts a fresh room that asks again.
    stop_soon(self);
    return st.refused;
  }
  if (req.role != enter_role::relay
      && st.members.count(req.session.address()) == 0 && st.store_full) {
    // A new member means an ENTER notice: refuse rather than grow the queue.
    st.env->metrics->refused_full.fetch_add(1, std::memory_order_relaxed);
    if (st.members.empty() && st.pending.empty())
      self->delayed_send(self, st.env->idle_timeout, idle_chk_atom_v,
                         ++st.idle_generation);
    return caf::make_error(errc::unavailable, "store busy, retry later");
  }
  return std::nullopt;
}

std::optional<caf::error> refuse_post(room_pointer self,
                                      const publish_request& req) {
  auto& st = self->state;
  ++st.enters_seen;
  if (st.refused) {
    stop_soon(self);
    return st.refused;
  }
  if (st.is_private
      && (req.sender_id == 0 || st.allowed.count(req.sender_id) == 0)) {
    room_detail::settle(self);
    return caf::make_error(errc::not_member, "not a member of room " + st.id);
  }
  if (!st.is_private && req.sender_id != 0
      && st.recorded.insert(req.sender_id).second)
    self->send(st.env->persistence, caf::join_atom_v, st.id, req.sender_id);
  return std::nullopt;
}

} // namespace h2h
