// A client connection as the actor layer sees it: a transport joined with a
// wire protocol, owning the handle of its session actor.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/chat/client_link.hpp"
#include "actors/chat/session_actor.hpp"
#include "net/protocol/wire_protocol.hpp"
#include "net/security/auth_result.hpp"
#include "net/server/registry.hpp"
#include "net/server/session_factory.hpp"
#include "net/transport/transport.hpp"

namespace h2h::net {

/// Implements client_link (see its contract) over any transport and wire
/// protocol: encodes with the protocol, queues on the transport, releases
/// the transport's inbound window on each completed command. Registered
/// with the server's registry, so that shutdown, token expiry and the end
/// of a login session reach the client in its protocol.
class link final : public client_link,
                   public transport_user,
                   public closable,
                   public std::enable_shared_from_this<link> {
public:
  /// `start` hands bytes behind the upgrade to the transport and starts
  /// reading; `start_closing` tells the transport to close (after what is
  /// queued) and read only for the peer's close.
  using starter = std::function<void(std::shared_ptr<transport_user>)>;

  link(std::shared_ptr<transport> t, std::unique_ptr<wire_protocol> p,
       registry& reg);
  ~link() override;

  /// Registers the link, spawns its session, then `start_transport(self)`.
  void start(const session_factory& make_session, session_identity identity,
             const starter& start_transport);

  /// Registers the link and starts the transport without a session: the
  /// protocol authenticates in its stream (STOMP CONNECT) with
  /// `authenticate`, and the session starts once it accepted. Without a
  /// connect frame within `timeout` the client hears why and is closed.
  void start_deferred(const session_factory& make_session,
                      connect_authenticator authenticate,
                      std::chrono::milliseconds timeout,
                      const starter& start_transport);

  /// Registers the link and tells the client why it cannot stay (a notice
  /// in its protocol); `start_transport(self)` must then close with
  /// end_reason::refused.
  void start_rejected(errc code, std::string_view message,
                      const starter& start_transport);

  /// What the session's identity names as its protocol (a string literal;
  /// set before start()).
  void session_protocol(const char* name) {
    session_protocol_ = name;
  }

  /// The id start() registered this link under.
  std::uint64_t registry_id() const {
    return registry_id_;
  }

  // -- client_link (any thread)
  void deliver(const event_batch& batch) override;
  void deliver_presence(const event_batch& batch) override;
  void acknowledge(const reply_to& to, std::uint64_t seq) override;
  void refuse(const reply_to& to, errc code, std::string_view text) override;
  void notify(errc code, std::string_view text) override;
  void end(end_reason why) override;
  std::shared_ptr<client_link> room_sink(const std::string& room_id) override;

  /// deliver() (`lazy`: deliver_presence()) for a room the protocol bound
  /// (see room_sink).
  void deliver_bound(const event_batch& batch, const room_binding& bound,
                     bool lazy);

  // -- transport_user (I/O thread)
  bool on_text(std::string& text) override;
  void on_gone() override;

  // -- closable
  void shutdown() override;
  void abort_now() override;
  void expire() override;
  void end_session() override;
  void tick(std::chrono::steady_clock::time_point now) override;

private:
  using time_point = std::chrono::steady_clock::time_point;

  /// Queues the encodings of `batch`'s events (`encode(ev)` each);
  /// `lazy`: see deliver_presence().
  template <class Encode>
  void deliver_with(const event_batch& batch, bool lazy, Encode&& encode);

  void send_events(const wire_message* msgs, std::size_t n, bool lazy) {
    if (lazy)
      transport_->send_lazy(msgs, n);
    else
      transport_->send(msgs, n);
  }

  void send(wire_bytes bytes) {
    if (bytes) {
      sent_.store(true, std::memory_order_relaxed);
      transport_->send(std::move(bytes));
    }
  }

  /// Hands decoded frames on, in order. `counted`: the transport counted
  /// one command for this text already (on_text); further ones are counted
  /// with hold(). True when that count was used. A connect request's token
  /// lands in `connect`. Under the deferred state's mutex.
  bool hand_on(std::vector<decoded>& results, bool counted,
               std::unique_ptr<std::string>& connect);
  /// Ends the session normally once the client said goodbye and every
  /// command is answered.
  void end_if_finished();
  /// Ends after an error frame when the protocol says so (STOMP).
  void end_if_error_ends();
  void check_connect(std::string token);
  void on_connect_checked(ws_auth auth);
  /// Closes with `text` as a notice in the protocol (a deferred link's own
  /// timeouts).
  void give_up(errc code, const std::string& text);

  std::shared_ptr<transport> transport_;
  std::unique_ptr<wire_protocol> protocol_;
  registry& registry_;
  std::uint64_t registry_id_ = 0;
  /// I/O thread only (set before reading starts, dropped when gone); for
  /// a deferred link, under its mutex.
  session_actor session_;

  const char* session_protocol_ = "";

  // -- a deferred link (authenticated in the stream: STOMP)
  /// What only a deferred link needs, allocated by start_deferred(): raw
  /// JSON connections, authenticated at the upgrade, do without these
  /// 176 bytes (an idle connection's memory, docs/benchmarks.md). Set
  /// before the link is registered or reads, never changed afterwards.
  struct deferred_state {
    /// Serializes decoding, the connect's answer, ticks and the end.
    std::mutex mtx;
    session_factory make_session;
    connect_authenticator authenticate;
    std::vector<decoded> inbox;
    bool connect_seen = false;
    bool connected = false;
    bool gone = false;
    time_point connect_deadline;
    /// Heart-beats agreed at CONNECT; ticks only.
    heartbeat_plan beats;
    time_point last_sent;
    time_point last_received;
  };
  std::unique_ptr<deferred_state> deferred_;
  /// Something was sent / received since the last tick.
  std::atomic<bool> sent_{false};
  std::atomic<bool> received_{false};
};

} // namespace h2h::net
