// Turns an HTTP connection whose GET names a stream into an SSE transport,
// link and session.
#include "net/server/stream_open.hpp"

#include "net/protocol/sse/sse_codec.hpp"
#include "net/server/link.hpp"
#include "net/sse/sse_transport.hpp"

namespace h2h::net {

opened_stream open_stream(boost::asio::ip::tcp::socket socket,
                          io_worker& worker, server_context& ctx,
                          const upgrade_entry& entry,
                          std::unique_ptr<wire_protocol> protocol,
                          ws_auth auth) {
  auto transport = std::make_shared<sse_transport>(
    std::move(socket), worker, ctx.settings.sse, ctx.counters);
  auto conn
    = std::make_shared<link>(transport, std::move(protocol), ctx.connections);
  conn->session_protocol(session_protocol_of(entry));
  static const wire_bytes head
    = std::make_shared<const std::string>(sse_head());
  conn->start(entry.protocol.make_session, std::move(auth.identity),
              [&](std::shared_ptr<transport_user> user) {
                transport->start(std::move(user), head);
              });
  ctx.streams.add(transport);
  return {conn, conn->registry_id()};
}

} // namespace h2h::net
