// The room actor: one per active room; assigns seqs, dedupes, fans out.
#include "actors/room_actor.hpp"

#include <spdlog/spdlog.h>

#include "actors/fan_out.hpp"

namespace h2h {

// -- dedupe_window ------------------------------------------------------------

std::string dedupe_window::key(const std::string& sender,
                               const std::string& id) {
  std::string k;
  k.reserve(sender.size() + id.size() + 1);
  k += sender;
  k += '\x1f';
  k += id;
  return k;
}

const publish_ack* dedupe_window::find(const std::string& sender,
                                       const std::string& id) const {
  auto i = seqs_.find(key(sender, id));
  return i == seqs_.end() ? nullptr : &i->second;
}

void dedupe_window::remember(const std::string& sender, const std::string& id,
                             const publish_ack& ack) {
  if (capacity_ == 0)
    return;
  auto k = key(sender, id);
  auto dup = ack;
  dup.duplicate = true;
  if (!seqs_.emplace(k, dup).second)
    return;
  order_.push_back(std::move(k));
  if (order_.size() > capacity_) {
    seqs_.erase(order_.front());
    order_.pop_front();
  }
}

// -- room behaviour
// -------------------------------------------------------------

namespace {

/// Builds the next event of the room (seq and time assigned here, once).
room_event next_event(room_state& st, event_kind kind, std::string sender,
                      std::int64_t sender_id, std::string text,
                      std::string client_msg_id) {
  room_event ev;
  ev.room_id = st.id;
  ev.seq = ++st.last_seq;
  ev.kind = kind;
  ev.sender = std::move(sender);
  ev.sender_id = sender_id;
  ev.text = std::move(text);
  ev.ts_ms = st.env->now_ms ? st.env->now_ms() : 0;
  ev.client_msg_id = std::move(client_msg_id);
  if (st.env->encode)
    ev.wire = st.env->encode(ev);
  return ev;
}

/// Keeps the event for replay and sends it to every member, sharing one
/// message between all of them.
void commit_and_fan_out(room_pointer self, room_event ev) {
  auto& st = self->state;
  if (st.env->replay_ring > 0) {
    st.ring.push_back(ev);
    if (st.ring.size() > st.env->replay_ring)
      st.ring.pop_front();
  }
  event_batch batch;
  batch.events.push_back(std::move(ev));
  auto msg = caf::make_message(std::move(batch));
  for (auto& [addr, m] : st.members)
    send_shared(self, m.handle, msg);
  auto& metrics = *st.env->metrics;
  metrics.events.fetch_add(1, std::memory_order_relaxed);
  metrics.deliveries.fetch_add(st.members.size(), std::memory_order_relaxed);
}

/// Sends the member every kept event after `after`, in order.
void replay(room_pointer self, const session_actor& to, std::int64_t after) {
  event_batch batch;
  for (auto& ev : self->state.ring)
    if (static_cast<std::int64_t>(ev.seq) > after)
      batch.events.push_back(ev);
  if (!batch.events.empty())
    self->send(to, std::move(batch));
}

void arm_idle_timer(room_pointer self) {
  auto& st = self->state;
  auto gen = ++st.idle_generation;
  self->delayed_send(self, st.env->idle_timeout, idle_chk_atom_v, gen);
}

void remove_member(room_pointer self, const caf::actor_addr& who) {
  auto& st = self->state;
  auto i = st.members.find(who);
  if (i == st.members.end())
    return;
  auto sender = std::move(i->second.sender);
  auto sender_id = i->second.sender_id;
  self->demonitor(who);
  st.members.erase(i);
  commit_and_fan_out(self, next_event(st, event_kind::exit, sender, sender_id,
                                      sender + " left.", {}));
  if (st.members.empty())
    arm_idle_timer(self);
}

} // namespace

room_actor::behavior_type room(room_pointer self, std::string id,
                               room_env_ptr env, directory_actor directory) {
  auto& st = self->state;
  st.id = std::move(id);
  st.env = std::move(env);
  st.directory = std::move(directory);
  st.recent = dedupe_window{st.env->dedupe_window};
  st.env->metrics->rooms_active.fetch_add(1, std::memory_order_relaxed);
  st.env->metrics->rooms_started.fetch_add(1, std::memory_order_relaxed);
  self->attach_functor([metrics = st.env->metrics] {
    metrics->rooms_active.fetch_sub(1, std::memory_order_relaxed);
  });
  self->set_down_handler(
    [self](const caf::down_msg& dm) { remove_member(self, dm.source); });
  self->set_error_handler([self](caf::error& err) {
    spdlog::warn("room {}: {}", self->state.id, self->system().render(err));
  });
  // No idle timer yet: the directory spawns a room only to forward an ENTER.
  return {
    [self](enter_atom, enter_request& req) -> enter_reply {
      auto& st = self->state;
      ++st.enters_seen;
      ++st.idle_generation;
      auto addr = req.session.address();
      bool is_new = st.members.count(addr) == 0;
      if (is_new) {
        self->monitor(req.session);
        st.members.emplace(addr,
                           room_member{req.session, req.sender, req.sender_id});
      }
      if (req.last_seq >= 0)
        replay(self, req.session, req.last_seq);
      if (is_new)
        commit_and_fan_out(self, next_event(st, event_kind::enter, req.sender,
                                            req.sender_id,
                                            req.sender + " entered.", {}));
      return {caf::actor_cast<room_actor>(self), st.last_seq};
    },
    [self](caf::publish_atom, publish_request& req) -> publish_ack {
      auto& st = self->state;
      if (!req.client_msg_id.empty()) {
        if (auto* ack = st.recent.find(req.sender, req.client_msg_id)) {
          st.env->metrics->duplicates.fetch_add(1, std::memory_order_relaxed);
          return *ack;
        }
      }
      st.env->metrics->messages_in.fetch_add(1, std::memory_order_relaxed);
      auto ev = next_event(st, event_kind::message, std::move(req.sender),
                           req.sender_id, std::move(req.text),
                           std::move(req.client_msg_id));
      publish_ack ack{ev.seq, ev.ts_ms, false};
      if (!ev.client_msg_id.empty())
        st.recent.remember(ev.sender, ev.client_msg_id, ack);
      commit_and_fan_out(self, std::move(ev));
      return ack;
    },
    [self](exit_atom, const session_actor& who) {
      remove_member(self, who.address());
    },
    [self](idle_chk_atom, std::uint64_t gen) {
      auto& st = self->state;
      if (gen != st.idle_generation || !st.members.empty())
        return;
      self
        ->request(st.directory, std::chrono::seconds(10), idle_atom_v, st.id,
                  st.enters_seen)
        .then(
          [self](bool stop) {
            if (stop) {
              spdlog::debug("room {} stops after idle timeout", self->state.id);
              self->quit();
            }
          },
          [self](caf::error&) {
            // The directory is gone (shutdown): nothing routes here any more.
            self->quit();
          });
    },
    [self](stop_atom) { self->quit(); },
  };
}

} // namespace h2h
