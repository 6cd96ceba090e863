// A client connection as the actor layer sees it: a transport joined with a
// wire protocol, owning the handle of its session actor.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "actors/chat/client_link.hpp"
#include "actors/chat/session_actor.hpp"
#include "net/protocol/wire_protocol.hpp"
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

  /// Registers the link and tells the client why it cannot stay (a notice
  /// in its protocol); `start_transport(self)` must then close with
  /// end_reason::refused.
  void start_rejected(errc code, std::string_view message,
                      const starter& start_transport);

  /// The id start() registered this link under.
  std::uint64_t registry_id() const {
    return registry_id_;
  }

  // -- client_link (any thread)
  void deliver(const event_batch& batch) override;
  void acknowledge(const reply_to& to, std::uint64_t seq) override;
  void refuse(const reply_to& to, errc code, std::string_view text) override;
  void notify(errc code, std::string_view text) override;
  void end(end_reason why) override;

  // -- transport_user (I/O thread)
  bool on_text(std::string& text) override;
  void on_gone() override;

  // -- closable
  void shutdown() override;
  void abort_now() override;
  void expire() override;
  void end_session() override;

private:
  void send(wire_bytes bytes) {
    if (bytes)
      transport_->send(std::move(bytes));
  }

  std::shared_ptr<transport> transport_;
  std::unique_ptr<wire_protocol> protocol_;
  registry& registry_;
  std::uint64_t registry_id_ = 0;
  /// I/O thread only (set before reading starts, dropped when gone).
  session_actor session_;
};

} // namespace h2h::net
