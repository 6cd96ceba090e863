// Many WebSocket client connections on one io_context, behind a Beast-free
// API. Beast does the HTTP upgrade; after that the pool frames by itself
// (client_frames.hpp, net/ws/ws_frame.hpp): each connection's pending read
// takes what fits a small buffer of its own, one shared buffer the rest;
// frames are parsed in place, so receiving hundreds of thousands of frames
// per second costs the generator little more than the system calls.
#include "ws_load.hpp"

#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <deque>
#include <stdexcept>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "client_frames.hpp"
#include "options.hpp"

#ifndef IP_BIND_ADDRESS_NO_PORT
#  define IP_BIND_ADDRESS_NO_PORT                                              \
    24 // linux/in.h; glibc's netinet/in.h lacks it
#endif

namespace h2h::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

/// The key of RFC 6455 §1.3 and its accept value: a load generator needs no
/// fresh nonce, and a fixed pair makes the server's answer easy to check.
constexpr std::string_view ws_key = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view ws_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

constexpr auto handshake_limit = std::chrono::seconds{10};
constexpr std::size_t max_message = 16 * 1024 * 1024;
/// Reads per readiness before the loop yields to other connections.
constexpr int reads_per_turn = 16;
/// Each connection's own read buffer: its pending read receives into it,
/// so that waiting costs no system call of its own (see wait_readable); a
/// read that fills it is followed by reads into the shared buffer. Sized
/// by the pool, in one mapping populated at once: the largest slot (at
/// most read_slot_max) with which all of them fit read_slots_total, but
/// never below read_slot_min (past 16,384 connections they take more).
constexpr std::size_t read_slots_total = 16 * 1024 * 1024;
constexpr std::size_t read_slot_min = 1024;
constexpr std::size_t read_slot_max = 8 * 1024;

/// The largest power of two in [read_slot_min, read_slot_max] that lets
/// `count` slots fit read_slots_total.
std::size_t read_slot_bytes(std::size_t count) {
  std::size_t slot = read_slot_max;
  while (slot > read_slot_min && slot * count > read_slots_total)
    slot /= 2;
  return slot;
}

/// The read slots of every connection: one anonymous mapping, populated
/// when made (one system call instead of a page fault per connection on
/// its first read).
class read_slots {
public:
  read_slots() = default;
  read_slots(const read_slots&) = delete;
  read_slots& operator=(const read_slots&) = delete;
  ~read_slots() {
    if (base_)
      ::munmap(base_, length_);
  }

  void make(std::size_t count) {
    slot_ = read_slot_bytes(count);
    length_ = std::max<std::size_t>(slot_ * count, 1);
    void* p = ::mmap(nullptr, length_, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED)
      throw std::runtime_error("cannot map " + std::to_string(length_)
                               + " bytes of read buffers");
    base_ = static_cast<char*>(p);
  }
  char* slot(std::size_t i) const {
    return base_ + i * slot_;
  }
  std::size_t slot_bytes() const {
    return slot_;
  }

private:
  char* base_ = nullptr;
  std::size_t length_ = 0;
  std::size_t slot_ = 0;
};

enum class conn_state { idle, connecting, open, closing, closed };

/// Connect and upgrade; dropped once the connection is open.
struct handshake_state {
  explicit handshake_state(asio::io_context& ioc)
    : timer(ioc) {
  }
  asio::steady_timer timer;
  http::request<http::empty_body> req;
  http::response<http::string_body> res;
  beast::flat_buffer buf;
  bool timed_out = false;
};

struct connection {
  explicit connection(asio::io_context& ioc)
    : sock(ioc)
    , reader(max_message) {
  }
  tcp::socket sock;
  server_frame_reader reader;
  std::unique_ptr<handshake_state> hs;
  char* inbuf = nullptr;    ///< its read slot (impl::slots)
  std::string wbuf;         ///< the frame being written
  std::string control_next; ///< pongs and close frames waiting for wbuf
  conn_state state = conn_state::idle;
  std::size_t server = 0; ///< index into impl::servers
  /// Bumped by reopen(): handlers of an earlier socket see a mismatch.
  unsigned generation = 0;
  bool writing = false;
  bool writing_data = false; ///< the frame in wbuf is a send()
  bool sent_due = false;     ///< a send() was written, on_sent not yet called
};

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
  /// The servers (the first from host/port/target) and their addresses;
  /// connection i uses entry i % size.
  std::vector<pool_server> servers;
  std::vector<tcp::endpoint> endpoints;
  std::vector<asio::ip::address> sources;
  std::vector<std::unique_ptr<connection>> conns;
  std::array<char, 256 * 1024> rbuf;
  read_slots slots;
  std::size_t next_to_start = 0;
  /// Connections to connect again (reopen), before those not started yet.
  std::deque<std::size_t> restarts;
  std::size_t connecting = 0;
  std::size_t closing = 0;
  bool shutting_down = false;
  std::function<void()> on_all_closed;

  void start_more() {
    while (!shutting_down && connecting < cfg.max_connecting
           && !restarts.empty()) {
      auto i = restarts.front();
      restarts.pop_front();
      start(i);
    }
    while (!shutting_down && connecting < cfg.max_connecting
           && next_to_start < conns.size())
      start(next_to_start++);
  }

  void fail(std::size_t i, std::string_view why) {
    auto& c = *conns[i];
    c.state = conn_state::closed;
    error_code ignored;
    c.sock.close(ignored);
    c.hs.reset();
    --connecting;
    if (!shutting_down)
      events.on_open_failed(i, why);
    start_more();
  }

  void start(std::size_t i) {
    auto& c = *conns[i];
    c.state = conn_state::connecting;
    ++connecting;
    error_code ec;
    const auto& endpoint = endpoints[c.server];
    c.sock.open(endpoint.protocol(), ec);
    if (!ec && !sources.empty()) {
      // Let connect() pick the port per destination, not bind(): otherwise
      // each source address runs out after ~28k ports whatever the target.
      int one = 1;
      ::setsockopt(c.sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT,
                   &one, sizeof(one));
      c.sock.bind(tcp::endpoint{sources[i % sources.size()], 0}, ec);
    }
    if (ec) {
      fail(i, "socket: " + ec.message());
      return;
    }
    c.hs = std::make_unique<handshake_state>(ioc);
    c.hs->timer.expires_after(handshake_limit);
    c.hs->timer.async_wait([this, i](error_code ec) {
      auto& c = *conns[i];
      if (ec || c.state != conn_state::connecting || !c.hs)
        return;
      c.hs->timed_out = true;
      error_code ignored;
      c.sock.close(ignored); // the pending operation fails with aborted
    });
    c.sock.async_connect(endpoint, [this, i](error_code ec) {
      if (ec) {
        fail(i, "connect: " + why(i, ec));
        return;
      }
      handshake(i);
    });
  }

  std::string why(std::size_t i, const error_code& ec) const {
    auto& c = *conns[i];
    return c.hs && c.hs->timed_out ? "timed out" : ec.message();
  }

  void handshake(std::size_t i) {
    auto& c = *conns[i];
    error_code ignored;
    c.sock.set_option(tcp::no_delay{true}, ignored);
    auto& req = c.hs->req;
    req.method(http::verb::get);
    const auto& server = servers[c.server];
    req.target(cfg.tokens.empty() || !cfg.tokens_in_url ? server.target
                                                        : target_for(i));
    req.version(11);
    req.set(http::field::host, server.host.find(':') == std::string::npos
                                 ? server.host + ":" + server.port
                                 : "[" + server.host + "]:" + server.port);
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::sec_websocket_key, ws_key);
    req.set(http::field::sec_websocket_version, "13");
    req.set(http::field::user_agent, "h2h-bench");
    if (!cfg.subprotocol.empty())
      req.set(http::field::sec_websocket_protocol, cfg.subprotocol);
    http::async_write(c.sock, req, [this, i](error_code ec, std::size_t) {
      if (ec) {
        fail(i, "handshake: " + why(i, ec));
        return;
      }
      auto& c = *conns[i];
      http::async_read(c.sock, c.hs->buf, c.hs->res,
                       [this, i](error_code ec, std::size_t) {
                         if (ec) {
                           fail(i, "handshake: " + why(i, ec));
                           return;
                         }
                         upgraded(i);
                       });
    });
  }

  void upgraded(std::size_t i) {
    auto& c = *conns[i];
    auto& res = c.hs->res;
    if (res.result() != http::status::switching_protocols) {
      fail(i, "handshake: HTTP " + std::to_string(res.result_int()) + " "
                + res.body().substr(0, 200));
      return;
    }
    if (res[http::field::sec_websocket_accept] != ws_accept) {
      fail(i, "handshake: wrong Sec-WebSocket-Accept");
      return;
    }
    error_code ignored;
    c.hs->timer.cancel();
    // Bytes the server sent right behind its 101 are frames already.
    auto early = c.hs->buf.cdata();
    std::string leftover{static_cast<const char*>(early.data()), early.size()};
    c.hs.reset();
    --connecting;
    if (shutting_down) {
      c.state = conn_state::closed;
      c.sock.close(ignored);
      return;
    }
    c.sock.non_blocking(true, ignored);
    c.state = conn_state::open;
    events.on_open(i);
    if (!leftover.empty() && !consume(i, leftover))
      return;
    if (c.state == conn_state::open)
      wait_readable(i);
    start_more();
  }

  std::string target_for(std::size_t i) const {
    return target_with_token(servers[conns[i]->server].target,
                             cfg.tokens[i % cfg.tokens.size()]);
  }

  /// A read, not a wait: Asio re-arms the descriptor in epoll (one
  /// epoll_ctl) for every async_wait, while a read that finds nothing is
  /// queued on the registration it has (one recv instead). That system
  /// call was ~10 % of the generator's CPU, saturated.
  void wait_readable(std::size_t i) {
    auto& c = *conns[i];
    c.sock.async_read_some(
      asio::buffer(c.inbuf, slots.slot_bytes()),
      [this, i, gen = c.generation](error_code ec, std::size_t n) {
        if (conns[i]->generation != gen)
          return; // a socket reopen() replaced
        if (ec) {
          read_failed(i, ec);
          return;
        }
        if (!consume(i, std::string_view{conns[i]->inbuf, n}))
          return;
        // A full buffer may have left more behind.
        if (n == slots.slot_bytes())
          drain(i);
        else
          wait_readable(i);
      });
  }

  /// Reads until a read does not fill the buffer (or a turn is used up).
  void drain(std::size_t i) {
    auto& c = *conns[i];
    for (int turn = 0; turn < reads_per_turn; ++turn) {
      if (c.state != conn_state::open && c.state != conn_state::closing)
        return;
      error_code ec;
      auto n = c.sock.read_some(asio::buffer(rbuf), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        wait_readable(i);
        return;
      }
      if (ec) {
        read_failed(i, ec);
        return;
      }
      if (!consume(i, std::string_view{rbuf.data(), n}))
        return;
      if (n < rbuf.size()) {
        // Most likely all there was: the read that waits tries once more
        // anyway (Asio reads before it waits), so a read here would only
        // find nothing.
        wait_readable(i);
        return;
      }
    }
    asio::post(ioc, [this, i, gen = c.generation] {
      if (conns[i]->generation == gen)
        drain(i);
    });
  }

  /// Feeds bytes to the reader; false once the connection is gone.
  bool consume(std::size_t i, std::string_view bytes) {
    auto& c = *conns[i];
    bool ok = c.reader.feed(bytes, [this, i](ws_op op, std::string_view data) {
      on_message(i, op, data);
    });
    if (!ok) {
      gone(i, "protocol error: " + c.reader.error());
      return false;
    }
    return c.state == conn_state::open || c.state == conn_state::closing;
  }

  void on_message(std::size_t i, ws_op op, std::string_view data) {
    auto& c = *conns[i];
    if (c.state != conn_state::open && c.state != conn_state::closing)
      return;
    switch (op) {
      case ws_op::text:
      case ws_op::binary:
        events.on_frame(i, data);
        return;
      case ws_op::ping:
        send_control(i, ws_op::pong, data);
        return;
      case ws_op::close: {
        auto [code, reason] = parse_close_payload(data);
        if (c.state == conn_state::closing) {
          finish_close(i);
          return;
        }
        std::string out = "closed by server with code " + std::to_string(code);
        if (!reason.empty())
          out += " (" + std::string{reason} + ")";
        gone(i, out);
        return;
      }
      default:
        return; // pongs and nothing else
    }
  }

  void read_failed(std::size_t i, const error_code& ec) {
    auto& c = *conns[i];
    if (c.state == conn_state::closing) {
      finish_close(i); // the server closed the TCP connection after ours
      return;
    }
    gone(i,
         ec == asio::error::eof ? "connection closed by server" : ec.message());
  }

  /// An open connection ended without close_all(): report it.
  void gone(std::size_t i, const std::string& why) {
    auto& c = *conns[i];
    if (c.state == conn_state::closing) {
      finish_close(i);
      return;
    }
    if (c.state != conn_state::open)
      return;
    c.state = conn_state::closed;
    error_code ignored;
    c.sock.close(ignored);
    events.on_lost(i, why);
  }

  void finish_close(std::size_t i) {
    auto& c = *conns[i];
    if (c.state != conn_state::closing)
      return;
    c.state = conn_state::closed;
    error_code ignored;
    c.sock.close(ignored);
    closed_one();
  }

  void send_control(std::size_t i, ws_op op, std::string_view payload) {
    auto& c = *conns[i];
    // Masking key 0: the payload goes out unchanged, which RFC 6455 allows
    // and which spares the generator the XOR.
    c.control_next += net::ws::encode_client_frame(op, payload, 0);
    if (!c.writing)
      write_control(i);
  }

  void write_control(std::size_t i) {
    auto& c = *conns[i];
    c.wbuf.swap(c.control_next);
    c.control_next.clear();
    start_write(i, false);
  }

  void start_write(std::size_t i, bool data) {
    auto& c = *conns[i];
    c.writing = true;
    c.writing_data = data;
    // The socket is non-blocking: async_write tries at once and waits for
    // writability only when the kernel buffer is full.
    asio::async_write(
      c.sock, asio::buffer(c.wbuf),
      [this, i, gen = c.generation](error_code ec, std::size_t) {
        auto& c = *conns[i];
        if (c.generation != gen)
          return; // reopen() reset the write state
        c.writing = false;
        c.sent_due = c.sent_due || c.writing_data;
        if (ec) {
          gone(i, "write: " + ec.message());
          return;
        }
        if (!c.control_next.empty()) {
          write_control(i); // on_sent once it is out
          return;
        }
        if (c.sent_due && c.state == conn_state::open) {
          c.sent_due = false;
          events.on_sent(i);
        }
      });
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
  d.servers.clear();
  d.servers.push_back({d.cfg.host, d.cfg.port, d.cfg.target});
  d.servers.insert(d.servers.end(), d.cfg.more_servers.begin(),
                   d.cfg.more_servers.end());
  d.endpoints.clear();
  for (auto& server : d.servers) {
    auto results = resolver.resolve(server.host, server.port);
    if (results.empty())
      throw std::runtime_error("cannot resolve " + server.host);
    // "localhost" may resolve to ::1 first while servers here bind 127.0.0.1.
    auto endpoint = results.begin()->endpoint();
    for (auto& r : results) {
      if (r.endpoint().address().is_v4()) {
        endpoint = r.endpoint();
        break;
      }
    }
    d.endpoints.push_back(endpoint);
  }
  for (auto& s : d.cfg.sources)
    d.sources.push_back(asio::ip::make_address(s));
  if (!d.conns.empty())
    throw std::logic_error("ws_pool::open: called twice");
  d.slots.make(count);
  d.conns.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    d.conns.push_back(std::make_unique<connection>(d.ioc));
    d.conns.back()->inbuf = d.slots.slot(i);
    d.conns.back()->server = i < d.cfg.placement.size()
                               ? d.cfg.placement[i] % d.servers.size()
                               : i % d.servers.size();
  }
  d.start_more();
}

void ws_pool::reopen(std::size_t conn, std::size_t server) {
  auto& d = *impl_;
  auto& c = *d.conns[conn];
  if (d.shutting_down || c.state == conn_state::open
      || c.state == conn_state::connecting || c.state == conn_state::closing)
    return;
  error_code ignored;
  c.sock.close(ignored);
  ++c.generation;
  c.server = server % d.servers.size();
  c.reader = server_frame_reader{max_message};
  c.wbuf.clear();
  c.control_next.clear();
  c.writing = c.writing_data = c.sent_due = false;
  c.state = conn_state::idle;
  d.restarts.push_back(conn);
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
  c.wbuf = net::ws::encode_client_frame(ws_op::text, text, 0);
  d.start_write(conn, true);
}

void ws_pool::close_all(std::function<void()> done) {
  auto& d = *impl_;
  d.shutting_down = true;
  d.on_all_closed = std::move(done);
  d.closing = 1; // held until every close has started
  for (std::size_t i = 0; i < d.conns.size(); ++i) {
    auto& c = *d.conns[i];
    if (c.state == conn_state::open) {
      c.state = conn_state::closing;
      ++d.closing;
      d.send_control(i, ws_op::close, net::ws::close_payload(1000, {}));
    } else if (c.state == conn_state::connecting) {
      error_code ignored;
      c.sock.close(ignored); // its handler sees operation_aborted
    }
  }
  d.closed_one();
}

void ws_pool::drop(std::size_t conn) {
  auto& c = *impl_->conns[conn];
  if (c.state != conn_state::open)
    return;
  c.state = conn_state::closed;
  error_code ignored;
  c.sock.close(ignored);
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
    cp->sock.close(ignored);
  }
}

} // namespace h2h::bench
