// Many WebSocket client connections on one io_context, behind a Beast-free API.
// The only translation unit that instantiates Beast's WebSocket templates.
#include "ws_load.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "options.hpp"

#ifndef IP_BIND_ADDRESS_NO_PORT
#  define IP_BIND_ADDRESS_NO_PORT                                              \
    24 // linux/in.h; glibc's netinet/in.h lacks it
#endif

namespace h2h::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using error_code = beast::error_code;

namespace {

enum class conn_state { idle, connecting, open, closing, closed };

struct connection {
  explicit connection(asio::io_context& ioc)
    : ws(ioc) {
  }
  websocket::stream<tcp::socket> ws;
  beast::flat_buffer rbuf;
  std::string wbuf;
  conn_state state = conn_state::idle;
  bool writing = false;
};

std::string describe(const error_code& ec,
                     const websocket::stream<tcp::socket>& ws) {
  if (ec == websocket::error::closed) {
    auto reason = ws.reason();
    std::string out = "closed by server with code "
                      + std::to_string(static_cast<unsigned>(reason.code));
    if (!reason.reason.empty())
      out += " (" + std::string{reason.reason} + ")";
    return out;
  }
  return ec.message();
}

} // namespace

struct ws_pool::impl {
  impl(asio::io_context& ioc, pool_config cfg, pool_events& events)
    : ioc(ioc)
    , cfg(std::move(cfg))
    , events(events) {
  }

  asio::io_context& ioc;
  pool_config cfg;
  pool_events& events;
  tcp::endpoint endpoint;
  std::vector<asio::ip::address> sources;
  std::vector<std::unique_ptr<connection>> conns;
  std::size_t next_to_start = 0;
  std::size_t connecting = 0;
  std::size_t closing = 0;
  bool shutting_down = false;
  std::function<void()> on_all_closed;

  void start_more() {
    while (!shutting_down && connecting < cfg.max_connecting
           && next_to_start < conns.size())
      start(next_to_start++);
  }

  void fail(std::size_t i, std::string_view why) {
    auto& c = *conns[i];
    c.state = conn_state::closed;
    error_code ignored;
    c.ws.next_layer().close(ignored);
    --connecting;
    if (!shutting_down)
      events.on_open_failed(i, why);
    start_more();
  }

  void start(std::size_t i) {
    auto& c = *conns[i];
    c.state = conn_state::connecting;
    ++connecting;
    auto& sock = c.ws.next_layer();
    error_code ec;
    sock.open(endpoint.protocol(), ec);
    if (!ec && !sources.empty()) {
      // Let connect() pick the port per destination, not bind(): otherwise
      // each source address runs out after ~28k ports whatever the target.
      int one = 1;
      ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT,
                   &one, sizeof(one));
      sock.bind(tcp::endpoint{sources[i % sources.size()], 0}, ec);
    }
    if (ec) {
      fail(i, "socket: " + ec.message());
      return;
    }
    sock.async_connect(endpoint, [this, i](error_code ec) {
      if (ec) {
        fail(i, "connect: " + ec.message());
        return;
      }
      handshake(i);
    });
  }

  void handshake(std::size_t i) {
    auto& c = *conns[i];
    error_code ignored;
    c.ws.next_layer().set_option(tcp::no_delay{true}, ignored);
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds{10};
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    c.ws.set_option(t);
    c.ws.set_option(
      websocket::stream_base::decorator([](websocket::request_type& req) {
        req.set(beast::http::field::user_agent, "h2h-bench");
      }));
    // Masks need no cryptographic strength on a load generator.
    c.ws.secure_prng(false);
    c.ws.auto_fragment(false);
    c.ws.read_message_max(16 * 1024 * 1024);
    auto host = cfg.host.find(':') == std::string::npos
                  ? cfg.host + ":" + cfg.port
                  : "[" + cfg.host + "]:" + cfg.port;
    std::string target = cfg.target;
    if (!cfg.tokens.empty())
      target = target_for(i);
    c.ws.async_handshake(host, target, [this, i](error_code ec) {
      if (ec) {
        fail(i, "handshake: " + ec.message());
        return;
      }
      auto& c = *conns[i];
      --connecting;
      c.ws.text(true);
      if (shutting_down) {
        c.state = conn_state::closed;
        error_code ignored;
        c.ws.next_layer().close(ignored);
        return;
      }
      c.state = conn_state::open;
      read(i);
      events.on_open(i);
      start_more();
    });
  }

  std::string target_for(std::size_t i) const {
    return target_with_token(cfg.target, cfg.tokens[i % cfg.tokens.size()]);
  }

  void read(std::size_t i) {
    auto& c = *conns[i];
    c.ws.async_read(c.rbuf, [this, i](error_code ec, std::size_t) {
      auto& c = *conns[i];
      if (ec) {
        lost(i, describe(ec, c.ws));
        return;
      }
      auto data = c.rbuf.cdata();
      events.on_frame(i, std::string_view{static_cast<const char*>(data.data()),
                                          data.size()});
      c.rbuf.consume(c.rbuf.size());
      if (c.state == conn_state::open || c.state == conn_state::closing)
        read(i);
    });
  }

  /// A read or write failed: the connection is gone unless we closed it.
  void lost(std::size_t i, const std::string& why) {
    auto& c = *conns[i];
    if (c.state == conn_state::open) {
      c.state = conn_state::closed;
      error_code ignored;
      c.ws.next_layer().close(ignored);
      events.on_lost(i, why);
    }
  }

  void closed_one() {
    if (closing > 0 && --closing == 0 && on_all_closed) {
      auto done = std::move(on_all_closed);
      on_all_closed = nullptr;
      done();
    }
  }
};

ws_pool::ws_pool(asio::io_context& ioc, pool_config cfg, pool_events& events)
  : impl_(std::make_unique<impl>(ioc, std::move(cfg), events)) {
}

ws_pool::~ws_pool() = default;

void ws_pool::open(std::size_t count) {
  auto& d = *impl_;
  tcp::resolver resolver{d.ioc};
  auto results = resolver.resolve(d.cfg.host, d.cfg.port);
  if (results.empty())
    throw std::runtime_error("cannot resolve " + d.cfg.host);
  // "localhost" may resolve to ::1 first while servers here bind 127.0.0.1.
  d.endpoint = results.begin()->endpoint();
  for (auto& r : results) {
    if (r.endpoint().address().is_v4()) {
      d.endpoint = r.endpoint();
      break;
    }
  }
  for (auto& s : d.cfg.sources)
    d.sources.push_back(asio::ip::make_address(s));
  d.conns.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    d.conns.push_back(std::make_unique<connection>(d.ioc));
  d.start_more();
}

bool ws_pool::busy(std::size_t conn) const {
  return impl_->conns[conn]->writing;
}

void ws_pool::send(std::size_t conn, std::string_view text) {
  auto& d = *impl_;
  auto& c = *d.conns[conn];
  if (c.state != conn_state::open || c.writing)
    return;
  c.wbuf.assign(text);
  c.writing = true;
  c.ws.async_write(asio::buffer(c.wbuf),
                   [&d, conn](error_code ec, std::size_t) {
                     auto& c = *d.conns[conn];
                     c.writing = false;
                     if (ec) {
                       d.lost(conn, "write: " + describe(ec, c.ws));
                       return;
                     }
                     if (c.state == conn_state::open)
                       d.events.on_sent(conn);
                   });
}

void ws_pool::close_all(std::function<void()> done) {
  auto& d = *impl_;
  d.shutting_down = true;
  d.on_all_closed = std::move(done);
  d.closing = 1; // held until every close has started
  for (auto& cp : d.conns) {
    auto& c = *cp;
    if (c.state == conn_state::open) {
      c.state = conn_state::closing;
      ++d.closing;
      c.ws.async_close(websocket::close_code::normal, [&d, &c](error_code) {
        c.state = conn_state::closed;
        error_code ignored;
        c.ws.next_layer().close(ignored);
        d.closed_one();
      });
    } else if (c.state == conn_state::connecting) {
      error_code ignored;
      c.ws.next_layer().close(ignored); // its handler sees operation_aborted
    }
  }
  d.closed_one();
}

void ws_pool::abort_all() {
  auto& d = *impl_;
  d.shutting_down = true;
  d.on_all_closed = nullptr;
  for (auto& cp : d.conns) {
    if (cp->state == conn_state::closed || cp->state == conn_state::idle)
      continue;
    cp->state = conn_state::closed;
    error_code ignored;
    cp->ws.next_layer().close(ignored);
  }
}

} // namespace h2h::bench
