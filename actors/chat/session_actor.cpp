// The session actor: one per client connection, the only user of its link.
#include "actors/chat/session_actor.hpp"

#include "actors/chat/session_detail.hpp"

#include <algorithm>
#include <optional>

#include <spdlog/spdlog.h>

namespace h2h {

namespace session_detail {

/// The sender name a frame may use, or an error for the client.
caf::expected<std::string> sender_of(const session_state& st,
                                     const client_command& cmd) {
  if (st.identity.authenticated) {
    if (!cmd.sender.empty() && cmd.sender != st.identity.name)
      return caf::make_error(errc::forbidden,
                             "sender does not match the authenticated member");
    return st.identity.name;
  }
  if (cmd.sender.empty())
    return caf::make_error(errc::bad_frame, "sender is required");
  return cmd.sender;
}

/// The text of an error for a client (its context, or a generic line).
std::string error_text(const caf::error& err) {
  auto& ctx = err.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  switch (to_errc(err)) {
    case errc::unavailable:
      return "room unavailable, retry";
    default:
      return std::string{describe(to_errc(err)).code};
  }
}

/// What a command's answer refers to.
reply_to reply_of(const client_command& cmd) {
  return reply_to{cmd.kind, cmd.room_id, cmd.client_msg_id, cmd.receipt};
}

/// Completes command `to`: acknowledged with its seq (0 for ENTER/EXIT) or
/// refused with the error for the client. The only caller of acknowledge()
/// and refuse(): each command comes here exactly once, and the link then
/// reads one more.
void complete(session_pointer self, const reply_to& to,
              const caf::expected<std::uint64_t>& result) {
  auto& link = *self->state.link;
  if (result)
    link.acknowledge(to, *result);
  else
    link.refuse(to, to_errc(result.error()), error_text(result.error()));
}

void entered(session_pointer self);
void on_entered(session_pointer self, std::uint64_t id,
                const std::string& room_id, room_actor room);
void on_enter_failed(session_pointer self, std::uint64_t id,
                     const caf::error& err);
void on_message(session_pointer self, client_command& cmd);
void publish_failed(session_pointer self, const pending_publish& p,
                    const caf::error& err);
void arm_deadline_timer(session_pointer self);
void on_exit(session_pointer self, client_command& cmd);

/// What an ENTER or EXIT costs the connection: a token of its send bucket,
/// and an ENTER of a new room a place among its `rooms_per_session`. False
/// when the command was refused (and is complete). These refusals are about
/// the connection's budget, not about the frame: they name no clientMsgId.
bool charge(session_pointer self, const client_command& cmd) {
  auto& st = self->state;
  reply_to budget{cmd.kind, cmd.room_id, {}, cmd.receipt};
  if (cmd.kind == command_kind::enter && !st.rooms.find(cmd.room_id)
      && st.rooms.size() >= st.env->rooms_per_session) {
    // Not GLOBAL_429: waiting does not help, only an EXIT does.
    complete(self, budget,
             caf::make_error(errc::bad_frame,
                             "too many rooms on this connection (at most "
                               + std::to_string(st.env->rooms_per_session)
                               + "): EXIT one first"));
    return false;
  }
  if (!st.sends.take(self->clock().now(), st.env->message_rate,
                     st.env->message_burst)) {
    complete(
      self, budget,
      caf::make_error(errc::rate_limited, "sending too fast, slow down"));
    return false;
  }
  return true;
}

void on_enter(session_pointer self, client_command& cmd) {
  auto& st = self->state;
  auto sender = sender_of(st, cmd);
  if (!sender) {
    complete(self, reply_of(cmd), sender.error());
    return;
  }
  if (!charge(self, cmd))
    return;
  auto sink = st.link->room_sink(cmd.room_id);
  enter_request req{caf::actor_cast<session_actor>(self), *sender,
                    st.identity.member_id, cmd.last_seq,
                    sink ? std::move(sink) : st.link};
  req.protocol = st.identity.protocol;
  req.blocked = st.identity.blocked;
  auto room_id = cmd.room_id;
  // Later frames of this client (e.g. a MESSAGE right after the ENTER) wait
  // in `backlog` until the room answers, so they find the room entered.
  // (Not `await`: that keeps a deque chunk in every session actor.)
  st.entering = true;
  auto id = ++st.last_publish;
  st.enters.push_back(
    {id, self->clock().now() + st.env->request_timeout, reply_of(cmd), false});
  arm_deadline_timer(self);
  // No request timeout: CAF 0.17 would drop an answer that comes after it
  // (the room would keep a member the session does not know) and keep the
  // timeout for its whole span. The deadline tick gives the ENTER up.
  self
    ->request(st.directory, caf::infinite, enter_atom_v, room_id,
              std::move(req))
    .then(
      [self, id, room_id](enter_reply& reply) {
        on_entered(self, id, room_id, std::move(reply.room));
      },
      [self, id](caf::error& err) { on_enter_failed(self, id, err); });
}

/// The ENTER `id` in flight or given up; nullptr when it is not kept.
pending_enter* find_enter(session_state& st, std::uint64_t id) {
  for (auto& e : st.enters)
    if (e.id == id)
      return &e;
  return nullptr;
}

void forget_enter(session_state& st, std::uint64_t id) {
  st.enters.erase(
    std::remove_if(st.enters.begin(), st.enters.end(),
                   [id](const pending_enter& e) { return e.id == id; }),
    st.enters.end());
  if (st.enters.empty())
    std::vector<pending_enter>{}.swap(st.enters);
}

bool is_current(const session_state& st, std::uint64_t id) {
  return st.entering && !st.enters.empty() && st.enters.back().id == id;
}

/// The answer to an ENTER given up at its deadline: the room has the member
/// now. Session and room must agree, so the session adopts it (a retried
/// ENTER then repeats nothing, and the client sees its own ENTER notice) or,
/// when the client left the room meanwhile, tells the room so.
void late_entered(session_pointer self, const std::string& room_id,
                  const room_actor& room, bool exit_wanted) {
  auto& st = self->state;
  auto me = caf::actor_cast<session_actor>(self);
  if (auto* known = st.rooms.find(room_id)) {
    if (*known != room)
      self->send(room, exit_atom_v, me); // an older instance of the room
    return;
  }
  if (st.entering && !st.enters.empty()
      && st.enters.back().to.room_id == room_id)
    return; // the ENTER in flight reaches the same member and settles it
  // Adopting must not take the connection past its room cap either.
  if (exit_wanted || st.rooms.size() >= st.env->rooms_per_session)
    self->send(room, exit_atom_v, me);
  else {
    st.rooms.set(room_id, room);
    tell_blocks(self, room);
  }
}

void on_entered(session_pointer self, std::uint64_t id,
                const std::string& room_id, room_actor room) {
  auto& st = self->state;
  auto* e = find_enter(st, id);
  // Not kept any more (too many given up): undo, the side that is safe.
  bool exit_wanted = e == nullptr || e->exit_wanted;
  bool current = is_current(st, id);
  if (!current) {
    forget_enter(st, id);
    late_entered(self, room_id, room, exit_wanted);
    return;
  }
  auto to = std::move(e->to);
  forget_enter(st, id);
  tell_blocks(self, room);
  st.rooms.set(room_id, std::move(room));
  complete(self, to, std::uint64_t{0});
  entered(self);
}

void on_enter_failed(session_pointer self, std::uint64_t id,
                     const caf::error& err) {
  auto& st = self->state;
  if (!is_current(st, id)) {
    forget_enter(st, id);
    return; // given up already, and the room did not add the member
  }
  auto to = std::move(st.enters.back().to);
  forget_enter(st, id);
  complete(self, to, err);
  entered(self);
}

/// Gives up the ENTER in flight at its deadline: the client hears CHAT_006
/// and what waited behind the ENTER runs. Its answer may still come.
void expire_enter(session_pointer self, caf::actor_clock::time_point now) {
  auto& st = self->state;
  if (!st.entering || st.enters.empty() || st.enters.back().deadline > now)
    return;
  auto to = st.enters.back().to; // the ENTER stays kept for a late answer
  if (st.enters.size() > session_state::max_late_enters)
    st.enters.erase(st.enters.begin());
  complete(self, to, caf::make_error(caf::sec::request_timeout));
  entered(self);
}

/// Commands wait while an ENTER is in flight or a moved room is entered
/// again: they must find the room where the client expects it.
bool holding(const session_state& st) {
  return st.entering || !st.rejoins.empty();
}

void dispatch(session_pointer self, client_command& cmd) {
  auto& st = self->state;
  if (holding(st)) {
    st.backlog.push_back(std::move(cmd));
    return;
  }
  switch (cmd.kind) {
    case command_kind::enter:
      on_enter(self, cmd);
      break;
    case command_kind::message:
      on_message(self, cmd);
      break;
    case command_kind::exit:
      on_exit(self, cmd);
      break;
  }
}

/// The ENTER in flight is answered: what arrived meanwhile runs now, in
/// order, until the next ENTER.
void entered(session_pointer self) {
  auto& st = self->state;
  st.entering = false;
  std::size_t i = 0;
  for (; i < st.backlog.size() && !holding(st); ++i)
    dispatch(self, st.backlog[i]);
  st.backlog.erase(st.backlog.begin(),
                   st.backlog.begin() + static_cast<long>(i));
  if (st.backlog.empty())
    std::vector<client_command>{}.swap(st.backlog);
}

void on_message(session_pointer self, client_command& cmd) {
  auto& st = self->state;
  auto* room = st.rooms.find(cmd.room_id);
  if (!room) {
    complete(self, reply_of(cmd),
             caf::make_error(errc::not_in_room, "not in room " + cmd.room_id));
    return;
  }
  auto sender = sender_of(st, cmd);
  if (!sender) {
    complete(self, reply_of(cmd), sender.error());
    return;
  }
  if (!st.sends.take(self->clock().now(), st.env->message_rate,
                     st.env->message_burst)) {
    complete(
      self, reply_of(cmd),
      caf::make_error(errc::rate_limited, "sending too fast, slow down"));
    return;
  }
  publish_request req{*sender, st.identity.member_id, std::move(cmd.text),
                      cmd.client_msg_id};
  // The connection reads on only when earlier sends are answered, which
  // bounds the sends in flight per connection.
  auto id = ++st.last_publish;
  st.publishing.push_back({id, self->clock().now() + st.env->publish_timeout,
                           reply_of(cmd), std::move(req), room->address()});
  arm_deadline_timer(self);
  send_publish(self, id, *room);
}

pending_publish* find_publish(session_state& st, std::uint64_t id) {
  auto i = std::lower_bound(
    st.publishing.begin(), st.publishing.end(), id,
    [](const pending_publish& p, std::uint64_t x) { return p.id < x; });
  return i == st.publishing.end() || i->id != id ? nullptr : &*i;
}

/// Sends publish `id` (pending) to `room`. The request is a copy: the
/// session keeps the original to send it again should the room move.
void send_publish(session_pointer self, std::uint64_t id,
                  const room_actor& room) {
  auto* p = find_publish(self->state, id);
  if (!p)
    return;
  p->sent_to = room.address();
  p->held_for_move = false;
  self->request(room, caf::infinite, caf::publish_atom_v, p->req)
    .then(
      [self, id](const publish_ack& ack) {
        auto p = take_publish(self->state, id);
        if (!p)
          return; // too late: the client was told to retry already
        complete(self, p->to, ack.seq);
      },
      [self, id](caf::error& err) {
        if (resend_after_move(self, id, err))
          return;
        if (auto p = take_publish(self->state, id))
          publish_failed(self, *p, err);
      });
}

std::optional<pending_publish> take_publish(session_state& st,
                                            std::uint64_t id) {
  auto i = std::lower_bound(
    st.publishing.begin(), st.publishing.end(), id,
    [](const pending_publish& p, std::uint64_t x) { return p.id < x; });
  if (i == st.publishing.end() || i->id != id)
    return std::nullopt;
  auto p = std::move(*i);
  st.publishing.erase(i);
  return p;
}

void publish_failed(session_pointer self, const pending_publish& p,
                    const caf::error& err) {
  auto& st = self->state;
  if (to_errc(err) == errc::unavailable && !is_h2h_error(err)) {
    // The room is gone (the request bounced): the client must ENTER again.
    // Should it live after all, it drops the member too: both agree.
    if (auto* room = st.rooms.find(p.to.room_id)) {
      self->send(*room, exit_atom_v, caf::actor_cast<session_actor>(self));
      st.rooms.erase(p.to.room_id);
      settle_held(self, p.to.room_id, err);
    }
  }
  complete(self, p.to, err);
}

/// Makes sure a tick comes when the oldest publish or the ENTER in flight
/// reaches its deadline (ticks come earlier too, see deadline_tick).
void arm_deadline_timer(session_pointer self) {
  auto& st = self->state;
  std::optional<caf::actor_clock::time_point> due;
  if (!st.publishing.empty())
    due = st.publishing.front().deadline;
  if (st.entering && !st.enters.empty()
      && (!due || st.enters.back().deadline < *due))
    due = st.enters.back().deadline;
  if (!due)
    return;
  // Not later than deadline_tick from now (see session_env).
  auto now = self->clock().now();
  if (st.env->ticker && *due >= now + st.env->deadline_tick) {
    // Far off (an ENTER's or a publish's usual case): the node's ticker
    // comes within deadline_tick, and this asks again if still needed.
    if (!st.ticker_asked) {
      st.ticker_asked = true;
      self->send(st.env->ticker, tick_ask_atom_v,
                 caf::actor_cast<session_actor>(self));
    }
    return;
  }
  auto at = std::min(*due, now + st.env->deadline_tick);
  if (st.deadline_timer_armed && st.deadline_timer_due <= at)
    return;
  st.deadline_timer_armed = true;
  st.deadline_timer_due = at;
  self->delayed_send(self, std::max(at - now, decltype(at - now){0}),
                     sess_due_atom_v);
}

/// Refuses every publish past its deadline (CHAT_006, retry) and gives up
/// an ENTER past its own.
void on_deadline_tick(session_pointer self) {
  auto& st = self->state;
  auto now = self->clock().now();
  if (now >= st.deadline_timer_due)
    st.deadline_timer_armed = false;
  while (!st.publishing.empty() && st.publishing.front().deadline <= now) {
    auto p = std::move(st.publishing.front());
    st.publishing.erase(st.publishing.begin());
    // The room may only be waiting for a slow store: it keeps the member,
    // and so does the session (a late commit still reaches the client).
    complete(self, p.to, caf::make_error(caf::sec::request_timeout));
  }
  if (st.publishing.empty())
    std::vector<pending_publish>{}.swap(st.publishing);
  expire_enter(self, now);
  arm_deadline_timer(self);
}

void on_exit(session_pointer self, client_command& cmd) {
  auto& st = self->state;
  // An ENTER of this room given up before is undone if it is answered.
  for (auto& e : st.enters)
    if (e.to.room_id == cmd.room_id)
      e.exit_wanted = true;
  auto* room = st.rooms.find(cmd.room_id);
  if (!room) {
    complete(self, reply_of(cmd),
             caf::make_error(errc::not_in_room, "not in room " + cmd.room_id));
    return;
  }
  if (!charge(self, cmd))
    return; // still in the room: the client may try again
  self->send(*room, exit_atom_v, caf::actor_cast<session_actor>(self));
  st.rooms.erase(cmd.room_id);
  settle_held(self, cmd.room_id,
              caf::make_error(errc::not_in_room, "not in room " + cmd.room_id));
  complete(self, reply_of(cmd), std::uint64_t{0});
}

} // namespace session_detail

using namespace session_detail;

namespace {

/// Leaves every room and ends the actor.
void leave_all(session_pointer self) {
  auto me = caf::actor_cast<session_actor>(self);
  for (auto& [id, room] : self->state.rooms)
    self->send(room, exit_atom_v, me);
  self->state.rooms.clear();
  self->quit();
}

} // namespace

session_state::~session_state() {
  if (env)
    env->metrics->sessions_active.fetch_sub(1, std::memory_order_relaxed);
  if (link && !disconnected)
    link->end(end_reason::internal_error);
}

namespace session_detail {

void tell_blocks(session_pointer self, const room_actor& room) {
  auto& st = self->state;
  if (!st.blocks_changed)
    return;
  auto none = std::vector<std::int64_t>{};
  self->send(room, block_atom_v, caf::actor_cast<session_actor>(self),
             st.identity.blocked ? *st.identity.blocked : none);
}

/// The member's blocks changed: from now on, and in every room entered.
void on_blocks(session_pointer self, std::vector<std::int64_t>& ids) {
  auto& st = self->state;
  st.blocks_changed = true;
  st.identity.blocked = make_block_list(ids);
  auto me = caf::actor_cast<session_actor>(self);
  auto sorted
    = st.identity.blocked ? *st.identity.blocked : std::vector<std::int64_t>{};
  for (auto& [id, room] : st.rooms)
    self->send(room, block_atom_v, me, sorted);
}

} // namespace session_detail

session_impl::behavior_type session(session_pointer self, client_link_ptr link,
                                    directory_actor directory,
                                    session_identity identity,
                                    std::shared_ptr<const session_env> env) {
  auto& st = self->state;
  st.link = std::move(link);
  st.directory = std::move(directory);
  st.identity = std::move(identity);
  st.env = std::move(env);
  st.sends.tokens = st.env->message_burst;
  st.env->metrics->sessions_active.fetch_add(1, std::memory_order_relaxed);
  self->set_error_handler(
    [](caf::error& err) { spdlog::warn("session: {}", caf::to_string(err)); });
  if (st.env->admin)
    self->send(st.env->admin, caf::join_atom_v,
               caf::actor_cast<session_actor>(self), st.identity.member_id,
               st.identity.name, std::string{st.identity.protocol});
  return {
    [self](client_command& cmd) { dispatch(self, cmd); },
    [self](const event_batch& batch) { self->state.link->deliver(batch); },
    [self](removed_atom, const std::string& room_id, const caf::error& err) {
      auto why = to_errc(err);
      if (!self->state.rooms.erase(room_id))
        return;
      // An operator's kick or close says why in its context.
      auto& ctx = err.context();
      self->state.link->notify(
        why, ctx.match_elements<std::string>() ? ctx.get_as<std::string>(0)
             : why == errc::no_such_room
               ? "room " + room_id + " was deleted"
               : "no longer a member of room " + room_id);
    },
    [self](sess_due_atom) { on_deadline_tick(self); },
    [self](sess_tick_atom) {
      self->state.ticker_asked = false;
      on_deadline_tick(self);
    },
    [self](moved_atom, const std::string& room_id, std::string& sender,
           std::uint64_t after) {
      on_moved(self, room_id, std::move(sender), after);
    },
    [self](rejoin_atom, const std::string& room_id) {
      try_rejoin(self, room_id);
    },
    [self](disconn_atom) {
      self->state.disconnected = true;
      leave_all(self);
    },
    [self](admin_atom) {
      std::vector<std::string> ids;
      ids.reserve(self->state.rooms.size());
      for (auto& [id, room] : self->state.rooms)
        ids.push_back(id);
      return ids;
    },
    [self](kick_atom) {
      // The connection closes with "kicked" (not 1011 at the end).
      self->state.disconnected = true;
      self->state.link->end(end_reason::kicked);
      leave_all(self);
    },
    [self](block_atom, std::vector<std::int64_t>& ids) {
      on_blocks(self, ids);
    },
  };
}

} // namespace h2h
