// The one seam where an HTTP request becomes a stream: a GET of a path that
// the upgrade table lists with transport_kind::sse. Limits and the entry's
// authenticator (token and room) are checked while the connection is still
// plain HTTP, so every refusal is an ordinary HTTP error response.
#include <boost/asio/post.hpp>

#include "net/server/http_connection.hpp"
#include "net/server/stream_open.hpp"

namespace h2h::net {

namespace asio = boost::asio;

void http_connection::open_stream(http_request req,
                                  const upgrade_entry& entry) {
  if (!admit_long_lived(req))
    return;
  busy_ = true;
  auto exec = stream_.get_executor();
  auto request = std::make_shared<http_request>(std::move(req));
  auto done = [self = shared_from_this(), exec, request,
               entry = &entry](ws_auth auth) mutable {
    asio::post(exec, [self, request, entry, auth = std::move(auth)]() mutable {
      self->busy_ = false;
      self->complete_stream(*request, *entry, std::move(auth));
    });
  };
  if (!entry.authenticate) {
    done(ws_auth{});
    return;
  }
  entry.authenticate(*request, meta_, std::move(done));
}

void http_connection::complete_stream(const http_request& req,
                                      const upgrade_entry& entry,
                                      ws_auth auth) {
  if (finished_)
    return;
  if (stopping_) {
    auto res = error_response(req, errc::unavailable, "server shutting down");
    res.keep_alive(false);
    respond(std::move(res));
    return;
  }
  if (!auth.ok) {
    respond(error_response(req, auth.code, auth.message));
    return;
  }
  auto protocol = entry.protocol.make_stream_protocol
                    ? entry.protocol.make_stream_protocol(req)
                    : nullptr;
  if (!protocol) {
    respond(error_response(req, errc::invalid_field, "not a stream request"));
    return;
  }
  // Whatever the client sent behind its GET is not read on a stream.
  buffer_.consume(buffer_.size());
  buffer_.shrink_to_fit();
  stream_.expires_never();
  finished_ = true;
  auto conn = net::open_stream(stream_.release_socket(), worker_, ctx_, entry,
                               std::move(protocol), auth);
  if (auth.expires_in.count() > 0)
    ctx_.connections.expire_at(
      std::chrono::steady_clock::now() + auth.expires_in, conn.registry_id);
  // The stream keeps this connection's address slot.
  ctx_.connections.hand_over(registry_id_, conn.registry_id);
  if (!auth.session_id.empty()
      && !ctx_.connections.bind_session(conn.registry_id, auth.session_id))
    conn.connection->end_session(); // logged out while opening
}

} // namespace h2h::net
