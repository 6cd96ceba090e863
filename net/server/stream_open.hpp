// Turns an HTTP connection whose GET names a stream (an upgrade-table entry
// of transport_kind::sse) into an SSE transport, link and session.
#pragma once

#include <cstdint>
#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "net/security/authenticator.hpp"
#include "net/server/server_context.hpp"
#include "net/transport/io_worker.hpp"

namespace h2h::net {

/// A stream started on a socket taken from its HTTP connection.
struct opened_stream {
  std::shared_ptr<closable> connection;
  std::uint64_t registry_id = 0;
};

/// Starts the stream of `entry` for an accepted client (`auth.ok`): the
/// response head goes out first, then the session ENTERs the stream's room
/// (the protocol, made from the request, knows which and from where).
opened_stream open_stream(boost::asio::ip::tcp::socket socket,
                          io_worker& worker, server_context& ctx,
                          const upgrade_entry& entry,
                          std::unique_ptr<wire_protocol> protocol,
                          ws_auth auth);

} // namespace h2h::net
