// One HTTP/1.1 connection of the public port: requests go to the handler,
// a WebSocket upgrade of a path in the upgrade table becomes a connection of
// that entry's transport and protocol.
#include "net/server/http_connection.hpp"

#include <algorithm>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <spdlog/spdlog.h>

#include "net/server/link.hpp"
#include "net/ws/ws_transport.hpp"
#include "net/ws/ws_frame.hpp"

namespace h2h::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

ip_bytes to_ip_bytes(const asio::ip::address& a) {
  ip_bytes out{};
  if (a.is_v4()) {
    out[10] = out[11] = 0xff; // IPv4-mapped, as config::parse_ip makes it
    auto v4 = a.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), out.begin() + 12);
  } else {
    out = a.to_v6().to_bytes();
  }
  return out;
}

/// A connection started on an upgraded socket.
struct opened_connection {
  std::shared_ptr<closable> connection;
  std::uint64_t registry_id = 0;
};

/// The one place that starts the transport and protocol of `entry` on an
/// upgraded socket: a session when `auth` accepted the client, otherwise
/// only the refusal. `leftover`: bytes that arrived behind the request.
opened_connection open_connection(asio::ip::tcp::socket socket,
                                  io_worker& worker, server_context& ctx,
                                  const upgrade_entry& entry,
                                  std::string_view subprotocol, ws_auth auth,
                                  std::string leftover) {
  auto transport = std::make_shared<ws_transport>(
    std::move(socket), worker, ctx.settings.ws, ctx.counters);
  auto protocol = entry.protocol.make_protocol();
  protocol->negotiated(subprotocol);
  auto conn
    = std::make_shared<link>(transport, std::move(protocol), ctx.connections);
  conn->session_protocol(session_protocol_of(entry));
  auto start_transport = [&](std::shared_ptr<transport_user> user) {
    if (auth.ok)
      transport->start(std::move(user), std::move(leftover));
    else
      transport->start(std::move(user), std::move(leftover),
                       end_reason::refused,
                       std::string{describe(auth.code).code});
  };
  if (auth.ok && entry.authenticate_connect)
    // Authenticated in the stream (STOMP CONNECT): no session yet.
    conn->start_deferred(entry.protocol.make_session,
                         entry.authenticate_connect, entry.connect_timeout,
                         start_transport);
  else if (auth.ok)
    conn->start(entry.protocol.make_session, std::move(auth.identity),
                start_transport);
  else
    // Browsers cannot read a refused upgrade's status: the WebSocket opens
    // only to say why (an ERROR), then closes with 1008.
    conn->start_rejected(auth.code, auth.message, start_transport);
  return {conn, conn->registry_id()};
}

} // namespace

http_connection::http_connection(asio::ip::tcp::socket socket,
                                 server_context& ctx, io_worker& worker)
  : stream_(std::move(socket))
  , ctx_(ctx)
  , worker_(worker) {
  boost::system::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) {
    peer_ip_ = client_ip_ = to_ip_bytes(ep.address());
    meta_.peer = config::ip_text(peer_ip_);
  }
}

namespace {

/// While a stop drains, only the probes are answered (/readyz says 503).
bool answers_while_draining(const http_request& req) {
  auto path = target_path(req.target());
  return !beast::websocket::is_upgrade(req)
         && (path == "/healthz" || path == "/readyz");
}

} // namespace

void http_connection::start() {
  registry_id_ = ctx_.connections.add(weak_from_this());
  // A trusted proxy carries many clients: they are counted per upgrade.
  if (!ctx_.settings.proxies.trusts(peer_ip_)
      && !ctx_.connections.bind_address(
        registry_id_, address_key(peer_ip_),
        ctx_.settings.connections_per_address)) {
    // Closed before anything is read: the cheapest answer to a flood.
    ctx_.counters.refused_per_address.fetch_add(1, std::memory_order_relaxed);
    finish();
    return;
  }
  asio::dispatch(stream_.get_executor(),
                 [self = shared_from_this()] { self->do_read(); });
}

void http_connection::do_read() {
  if (stopping_) {
    finish();
    return;
  }
  head_ = false;
  parser_.emplace();
  parser_->header_limit(16 * 1024);
  // Beast checks a Content-Length against the limit while it reads the
  // header: the larger limit first, the route's own in on_header.
  parser_->body_limit(std::max(ctx_.settings.max_http_body_bytes,
                               ctx_.settings.max_avatar_body_bytes));
  stream_.expires_after(ctx_.settings.http_timeout);
  http::async_read_header(
    stream_, buffer_, *parser_,
    [self = shared_from_this()](error_code ec, std::size_t) {
      self->on_header(ec);
    });
}

void http_connection::on_header(error_code ec) {
  if (ec) {
    on_read(ec);
    return;
  }
  // Only an avatar upload may carry an image; every other request keeps
  // limits.max_http_body_bytes.
  const auto& head = parser_->get();
  auto avatar = head.method() == http::verb::post
                && target_path(head.target()) == "/member/uploadAvatar";
  if (!avatar) {
    auto limit = ctx_.settings.max_http_body_bytes;
    if (parser_->content_length() && *parser_->content_length() > limit) {
      on_read(http::error::body_limit);
      return;
    }
    parser_->body_limit(limit);
  }
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](error_code ec, std::size_t) {
                     self->on_read(ec);
                   });
}

void http_connection::on_read(error_code ec) {
  if (finished_)
    return;
  if (ec == http::error::end_of_stream || ec == beast::error::timeout
      || ec == asio::error::operation_aborted || ec == asio::error::eof
      || ec == asio::error::connection_reset) {
    finish();
    return;
  }
  if (ec) {
    // A request we cannot read: answer once, then close.
    http_request bad{http::verb::get, "/", 11};
    bad.keep_alive(false);
    auto too_big = ec == http::error::body_limit
                   || ec == http::error::header_limit
                   || ec == http::error::buffer_overflow;
    auto res
      = too_big
          ? error_response(bad, errc::invalid_field, "request too large")
          : error_response(bad, errc::invalid_field, "malformed HTTP request");
    if (too_big)
      res.result(http::status::payload_too_large);
    res.keep_alive(false);
    respond(std::move(res));
    return;
  }
  ctx_.counters.http_requests.fetch_add(1, std::memory_order_relaxed);
  auto req = parser_->release();
  parser_.reset();
  head_ = req.method() == http::verb::head;
  if (ctx_.settings.proxies.trusts(peer_ip_)) {
    // Behind a proxy each request may come from another client.
    client_ip_ = client_address(peer_ip_, req, ctx_.settings.proxies);
    meta_.peer = config::ip_text(client_ip_);
  }
  if (ctx_.draining.load(std::memory_order_relaxed)
      && !answers_while_draining(req)) {
    // The node is going away: clients go elsewhere, probes still get in.
    auto res = error_response(req, errc::unavailable, "node draining");
    res.keep_alive(false);
    respond(std::move(res));
    return;
  }
  if (beast::websocket::is_upgrade(req)) {
    upgrade(std::move(req));
    return;
  }
  // A stream (SSE) takes the connection over, as an upgrade does.
  const auto* stream = req.method() == http::verb::get
                         ? ctx_.upgrades.find_stream(target_path(req.target()))
                         : nullptr;
  if (stream != nullptr) {
    open_stream(std::move(req), *stream);
    return;
  }
  busy_ = true;
  auto exec = stream_.get_executor();
  ctx_.handle_http(std::move(req), meta_,
                   [self = shared_from_this(), exec](http_response res) {
                     asio::post(exec, [self, res = std::move(res)]() mutable {
                       self->respond(std::move(res));
                     });
                   });
}

void http_connection::respond(http_response res) {
  if (finished_)
    return;
  if (stopping_)
    res.keep_alive(false);
  if (head_)
    make_head_response(res);
  auto keep = res.keep_alive();
  auto msg = std::make_shared<http_response>(std::move(res));
  stream_.expires_after(ctx_.settings.http_timeout);
  http::async_write(
    stream_, *msg,
    [self = shared_from_this(), msg, keep](error_code ec, std::size_t) {
      self->busy_ = false;
      if (ec || !keep) {
        self->finish();
        return;
      }
      self->do_read();
    });
}

bool http_connection::admit_long_lived(const http_request& req) {
  if (ctx_.connections.size() > ctx_.settings.max_connections) {
    auto res = error_response(req, errc::unavailable, "too many connections");
    res.keep_alive(false);
    respond(std::move(res));
    return false;
  }
  // A direct client holds its slot since the accept (this is a no-op);
  // one behind a trusted proxy takes it now.
  if (!ctx_.connections.bind_address(registry_id_, address_key(client_ip_),
                                     ctx_.settings.connections_per_address)) {
    ctx_.counters.refused_per_address.fetch_add(1, std::memory_order_relaxed);
    auto res = error_response(req, errc::rate_limited,
                              "too many connections from this address");
    res.keep_alive(false);
    respond(std::move(res));
    return false;
  }
  return true;
}

void http_connection::upgrade(http_request req) {
  auto match = ctx_.upgrades.negotiate(req);
  if (!match && match.code == errc::unknown_path) {
    respond(error_response(req, match.code, match.message));
    return;
  }
  if (req.method() != http::verb::get) {
    respond(error_response(req, errc::method_not_allowed,
                           "WebSocket upgrades use GET"));
    return;
  }
  auto key = req[http::field::sec_websocket_key];
  if (req[http::field::sec_websocket_version] != "13" || key.empty()) {
    auto res = error_response(req, errc::invalid_field,
                              "WebSocket version 13 and a key are required");
    res.result(http::status::upgrade_required);
    res.set(http::field::sec_websocket_version, "13");
    res.keep_alive(false);
    respond(std::move(res));
    return;
  }
  if (!match) { // no subprotocol the entry speaks
    respond(error_response(req, match.code, match.message));
    return;
  }
  if (!admit_long_lived(req))
    return;
  auto accept = ws::accept_key(std::string_view{key.data(), key.size()});
  // Checking the token may need the store: the answer may come later, from
  // another thread.
  busy_ = true;
  auto exec = stream_.get_executor();
  upgrade_table::authenticate(
    match, req, meta_,
    [self = shared_from_this(), exec, accept = std::move(accept),
     match](ws_auth auth) mutable {
      asio::post(exec, [self, accept = std::move(accept),
                        match = std::move(match),
                        auth = std::move(auth)]() mutable {
        self->busy_ = false;
        self->complete_upgrade(std::move(accept), match, std::move(auth));
      });
    });
}

void http_connection::complete_upgrade(std::string accept,
                                       const upgrade_match& match,
                                       ws_auth auth) {
  if (finished_)
    return;
  auto head = std::string{"HTTP/1.1 101 Switching Protocols\r\n"
                          "Upgrade: websocket\r\n"
                          "Connection: Upgrade\r\n"
                          "Server: h2h\r\n"
                          "Sec-WebSocket-Accept: "}
              + accept + "\r\n";
  if (!match.subprotocol.empty())
    head += "Sec-WebSocket-Protocol: " + match.subprotocol + "\r\n";
  auto reply = std::make_shared<std::string>(head + "\r\n");
  stream_.expires_after(ctx_.settings.http_timeout);
  asio::async_write(
    stream_, asio::buffer(*reply),
    [self = shared_from_this(), reply, entry = match.entry,
     subprotocol = match.subprotocol,
     auth = std::move(auth)](error_code ec, std::size_t) mutable {
      if (ec) {
        self->finish();
        return;
      }
      // Bytes behind the request already belong to the WebSocket.
      auto data = self->buffer_.data();
      std::string leftover(static_cast<const char*>(data.data()), data.size());
      self->buffer_.consume(self->buffer_.size());
      self->buffer_.shrink_to_fit();
      self->stream_.expires_never();
      self->finished_ = true;
      auto session_id = auth.session_id;
      auto expires_in = auth.expires_in;
      auto ok = auth.ok;
      auto conn = open_connection(self->stream_.release_socket(), self->worker_,
                                  self->ctx_, *entry, subprotocol,
                                  std::move(auth), std::move(leftover));
      if (ok && expires_in.count() > 0)
        self->ctx_.connections.expire_at(
          std::chrono::steady_clock::now() + expires_in, conn.registry_id);
      // The new connection keeps this connection's address slot.
      self->ctx_.connections.hand_over(self->registry_id_, conn.registry_id);
      if (ok && !session_id.empty()
          && !self->ctx_.connections.bind_session(conn.registry_id, session_id))
        conn.connection->end_session(); // logged out while upgrading
    });
}

void http_connection::shutdown() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->stopping_ = true;
    if (!self->busy_)
      self->finish();
  });
}

void http_connection::abort_now() {
  finish();
}

void http_connection::finish() {
  if (finished_)
    return;
  finished_ = true;
  error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.close();
  ctx_.connections.remove(registry_id_);
}

} // namespace h2h::net
