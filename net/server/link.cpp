// A client connection as the actor layer sees it: transport + protocol.
#include "net/server/link.hpp"

#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "actors/vocabulary/protocol_name.hpp"

namespace h2h::net {

link::link(std::shared_ptr<transport> t, std::unique_ptr<wire_protocol> p,
           registry& reg)
  : transport_(std::move(t))
  , protocol_(std::move(p))
  , registry_(reg) {
}

link::~link() = default;

void link::start(const session_factory& make_session, session_identity identity,
                 const starter& start_transport) {
  registry_id_ = registry_.add(weak_from_this());
  spdlog::info("ws {} open{}{}", transport_->peer(),
               identity.authenticated ? " as " : "",
               identity.authenticated ? identity.name : "");
  identity.protocol = protocol_name(session_protocol_);
  session_ = make_session(shared_from_this(), std::move(identity));
  start_transport(shared_from_this());
}

void link::start_deferred(const session_factory& make_session,
                          connect_authenticator authenticate,
                          std::chrono::milliseconds timeout,
                          const starter& start_transport) {
  deferred_ = std::make_unique<deferred_state>();
  deferred_->make_session = make_session;
  deferred_->authenticate = std::move(authenticate);
  deferred_->connect_deadline = std::chrono::steady_clock::now() + timeout;
  registry_id_ = registry_.add(weak_from_this());
  // The wait for CONNECT, then heart-beats: one sweep, no timer each.
  registry_.tick_each_sweep(registry_id_);
  start_transport(shared_from_this());
}

void link::start_rejected(errc code, std::string_view message,
                          const starter& start_transport) {
  registry_id_ = registry_.add(weak_from_this());
  spdlog::info("ws {} refused: {}", transport_->peer(), message);
  send(protocol_->encode_notice(code, message));
  start_transport(shared_from_this());
}

namespace {

/// A link as one room sees it: deliveries encoded with the room's binding
/// (STOMP: its subscription's head, no lookup per event); everything else
/// is the link's.
class bound_link final : public client_link {
public:
  bound_link(std::shared_ptr<link> l, std::shared_ptr<const room_binding> b)
    : link_(std::move(l))
    , binding_(std::move(b)) {
  }

  void deliver(const event_batch& batch) override {
    link_->deliver_bound(batch, *binding_, false);
  }
  void deliver_presence(const event_batch& batch) override {
    link_->deliver_bound(batch, *binding_, true);
  }
  void acknowledge(const reply_to& to, std::uint64_t seq) override {
    link_->acknowledge(to, seq);
  }
  void refuse(const reply_to& to, errc code, std::string_view text) override {
    link_->refuse(to, code, text);
  }
  void notify(errc code, std::string_view text) override {
    link_->notify(code, text);
  }
  void end(end_reason why) override {
    link_->end(why);
  }

private:
  std::shared_ptr<link> link_;
  std::shared_ptr<const room_binding> binding_;
};

} // namespace

std::shared_ptr<client_link> link::room_sink(const std::string& room_id) {
  auto bound = protocol_->bind_room(room_id);
  if (!bound)
    return nullptr;
  return std::make_shared<bound_link>(shared_from_this(), std::move(bound));
}

void link::deliver(const event_batch& batch) {
  deliver_with(batch, false, [this](const event_ptr& ev) {
    return protocol_->encode_event(ev);
  });
}

void link::deliver_presence(const event_batch& batch) {
  deliver_with(batch, true, [this](const event_ptr& ev) {
    return protocol_->encode_event(ev);
  });
}

void link::deliver_bound(const event_batch& batch, const room_binding& bound,
                         bool lazy) {
  deliver_with(batch, lazy, [&](const event_ptr& ev) {
    return protocol_->encode_bound_event(ev, bound);
  });
}

template <class Encode>
void link::deliver_with(const event_batch& batch, bool lazy, Encode&& encode) {
  // One queue lock per batch. A batch of one (every live event) needs no
  // list; longer ones (replays) reuse one list per thread.
  // An event may encode to nothing (STOMP: a room unsubscribed a moment
  // ago).
  if (deferred_)
    sent_.store(true, std::memory_order_relaxed);
  if (batch.events.size() == 1) {
    auto bytes = encode(batch.events.front());
    if (bytes)
      send_events(&bytes, 1, lazy);
    return;
  }
  static thread_local std::vector<wire_message> scratch;
  scratch.clear();
  for (auto& ev : batch.events)
    if (auto bytes = encode(ev))
      scratch.push_back(std::move(bytes));
  if (!scratch.empty())
    send_events(scratch.data(), scratch.size(), lazy);
  scratch.clear();
  if (scratch.capacity() > 1024)
    std::vector<wire_message>{}.swap(scratch);
}

void link::acknowledge(const reply_to& to, std::uint64_t seq) {
  send(protocol_->encode_ack(to, seq));
  transport_->release();
  end_if_finished();
}

void link::refuse(const reply_to& to, errc code, std::string_view text) {
  send(protocol_->encode_refusal(to, code, text));
  transport_->release();
  if (protocol_->ended())
    transport_->end(end_reason::refused);
  end_if_error_ends();
  end_if_finished();
}

void link::notify(errc code, std::string_view text) {
  send(protocol_->encode_notice(code, text));
  if (protocol_->ended())
    transport_->end(end_reason::refused);
  end_if_error_ends();
}

void link::end_if_finished() {
  if (protocol_->finished())
    transport_->end(end_reason::normal);
}

void link::end_if_error_ends() {
  if (protocol_->ends_after_error())
    transport_->end(end_reason::refused, "protocol error");
}

void link::end(end_reason why) {
  send(protocol_->encode_end(why));
  transport_->end(why);
}

bool link::on_text(std::string& text) {
  if (deferred_) {
    received_.store(true, std::memory_order_relaxed);
    std::unique_ptr<std::string> connect;
    bool used = false;
    {
      auto& d = *deferred_;
      std::lock_guard<std::mutex> guard{d.mtx};
      d.inbox.clear();
      protocol_->decode_all(text, d.inbox);
      used = hand_on(d.inbox, true, connect);
      d.inbox.clear();
    }
    // Outside the lock: the answer may come at once, on this thread.
    if (connect)
      check_connect(std::move(*connect));
    end_if_finished();
    return used;
  }
  auto result = protocol_->decode(text);
  if (auto* cmd = std::get_if<client_command>(&result)) {
    if (!session_)
      return false;
    caf::anon_send(session_, std::move(*cmd));
    return true;
  }
  if (auto* reply = std::get_if<protocol_reply>(&result)) {
    send(std::move(reply->bytes));
    return false;
  }
  if (auto* err = std::get_if<protocol_error>(&result)) {
    send(std::move(err->bytes));
    if (err->fatal)
      transport_->end(end_reason::refused);
  }
  return false; // a connect_request needs a deferred link: ignored
}

bool link::hand_on(std::vector<decoded>& results, bool counted,
                   std::unique_ptr<std::string>& connect) {
  bool used = false;
  auto take_count = [&] {
    if (counted && !used)
      used = true;
    else
      transport_->hold();
  };
  for (auto& r : results) {
    if (auto* cmd = std::get_if<client_command>(&r)) {
      if (!session_)
        continue; // a deferred protocol holds commands until connected
      take_count();
      caf::anon_send(session_, std::move(*cmd));
    } else if (auto* c = std::get_if<connect_request>(&r)) {
      // The connect occupies the inbound window until it is answered.
      take_count();
      deferred_->connect_seen = true;
      connect = std::make_unique<std::string>(std::move(c->token));
    } else if (auto* reply = std::get_if<protocol_reply>(&r)) {
      send(std::move(reply->bytes));
    } else {
      auto& err = std::get<protocol_error>(r);
      send(std::move(err.bytes));
      if (err.fatal) {
        transport_->end(end_reason::refused, "protocol error");
        connect.reset(); // closing: no session to start
        break;
      }
    }
  }
  return used;
}

void link::check_connect(std::string token) {
  deferred_->authenticate(token, [self = shared_from_this()](ws_auth auth) {
    self->on_connect_checked(std::move(auth));
  });
}

void link::on_connect_checked(ws_auth auth) {
  std::vector<decoded> held;
  std::string session_id;
  {
    auto& d = *deferred_;
    std::lock_guard<std::mutex> guard{d.mtx};
    if (d.gone)
      return;
    if (!auth.ok) {
      spdlog::info("ws {} CONNECT refused: {}", transport_->peer(),
                   auth.message);
      send(protocol_->encode_notice(auth.code, auth.message));
      transport_->end(end_reason::refused, describe(auth.code).code);
      return;
    }
    spdlog::info("ws {} connected{}{}", transport_->peer(),
                 auth.identity.authenticated ? " as " : "",
                 auth.identity.authenticated ? auth.identity.name : "");
    auto now = std::chrono::steady_clock::now();
    send(protocol_->accept_connect(auth.identity, held));
    auth.identity.protocol = protocol_name(session_protocol_);
    session_ = d.make_session(shared_from_this(), std::move(auth.identity));
    d.connected = true;
    d.beats = protocol_->heartbeats();
    d.last_sent = d.last_received = now;
    if (auth.expires_in.count() > 0)
      registry_.expire_at(now + auth.expires_in, registry_id_);
    std::unique_ptr<std::string> again; // a second CONNECT is an error frame
    hand_on(held, false, again);
    session_id = std::move(auth.session_id);
  }
  transport_->release(); // the CONNECT is answered
  if (!session_id.empty() && !registry_.bind_session(registry_id_, session_id))
    end_session(); // logged out while connecting
  end_if_finished();
}

void link::give_up(errc code, const std::string& text) {
  spdlog::info("ws {} closed: {}", transport_->peer(), text);
  send(protocol_->encode_notice(code, text));
  transport_->end(end_reason::refused, "protocol error");
  registry_.stop_ticking(registry_id_);
}

void link::tick(std::chrono::steady_clock::time_point now) {
  if (!deferred_)
    return;
  auto& d = *deferred_;
  std::lock_guard<std::mutex> guard{d.mtx};
  if (d.gone)
    return;
  if (!d.connected) {
    if (!d.connect_seen && now >= d.connect_deadline)
      give_up(errc::bad_frame, "no CONNECT frame in time");
    return;
  }
  if (d.beats.send.count() > 0) {
    if (sent_.exchange(false, std::memory_order_relaxed)) {
      d.last_sent = now;
    } else if (now - d.last_sent >= d.beats.send) {
      if (auto beat = protocol_->encode_heartbeat())
        transport_->send(std::move(beat));
      d.last_sent = now;
    }
  }
  if (d.beats.receive.count() > 0) {
    if (received_.exchange(false, std::memory_order_relaxed))
      d.last_received = now;
    else if (now - d.last_received > d.beats.receive * 3 / 2)
      give_up(errc::bad_frame,
              "no heart-beat from the client for "
                + std::to_string(
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                    now - d.last_received)
                    .count())
                + " ms");
  }
}

void link::on_gone() {
  std::unique_lock<std::mutex> guard;
  if (deferred_) {
    guard = std::unique_lock<std::mutex>{deferred_->mtx};
    deferred_->gone = true;
  }
  if (session_) {
    caf::anon_send(session_, disconn_atom_v);
    session_ = nullptr;
  }
  registry_.remove(registry_id_);
}

void link::shutdown() {
  end(end_reason::going_away);
}

void link::abort_now() {
  transport_->abort_now();
}

void link::expire() {
  end(end_reason::token_expired);
}

void link::end_session() {
  end(end_reason::session_ended);
}

} // namespace h2h::net
