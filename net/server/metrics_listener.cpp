// The metrics port: a small plain-HTTP listener of its own, apart from the
// public port, that serves only GET (and HEAD) /metrics.
#include "net/server/metrics_listener.hpp"

#include <atomic>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

namespace h2h::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

http_response metrics_response(const http_request& req,
                               const metrics_source& text) {
  http_response res;
  if (target_path(req.target()) != "/metrics") {
    res = error_response(req, errc::unknown_path,
                         "only /metrics is served on the metrics port");
  } else if (req.method() != http::verb::get
             && req.method() != http::verb::head) {
    res = error_response(req, errc::method_not_allowed,
                         "/metrics answers GET and HEAD");
    res.set(http::field::allow, "GET, HEAD");
  } else {
    res = http_response{http::status::ok, req.version()};
    res.set(http::field::server, "h2h");
    res.set(http::field::content_type,
            "text/plain; version=0.0.4; charset=utf-8");
    res.keep_alive(req.keep_alive());
    res.body() = text ? text() : std::string{};
    res.prepare_payload();
  }
  if (req.method() == http::verb::head)
    make_head_response(res);
  return res;
}

namespace {

/// What the listener and its connections share; connections may outlive
/// the listener object by a little (until the io_context is gone).
struct listener_state {
  metrics_settings settings;
  metrics_source text;
  std::atomic<std::size_t> open{0};
};

/// One scraper's connection: requests in order, keep-alive, every read and
/// write bounded by the timeout.
class metrics_connection
  : public std::enable_shared_from_this<metrics_connection> {
public:
  metrics_connection(tcp::socket socket, std::shared_ptr<listener_state> st)
    : stream_(std::move(socket))
    , st_(std::move(st)) {
  }

  ~metrics_connection() {
    st_->open.fetch_sub(1);
  }

  void read() {
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    parser_->body_limit(4 * 1024);
    stream_.expires_after(st_->settings.timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

private:
  void on_read(error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout
        || ec == asio::error::operation_aborted || ec == asio::error::eof
        || ec == asio::error::connection_reset) {
      close();
      return;
    }
    if (ec) {
      auto res = error_response(reply_shape{11, false}, errc::invalid_field,
                                "malformed HTTP request");
      write(std::move(res));
      return;
    }
    auto req = parser_->release();
    parser_.reset();
    write(metrics_response(req, st_->text));
  }

  void write(http_response res) {
    auto msg = std::make_shared<http_response>(std::move(res));
    stream_.expires_after(st_->settings.timeout);
    http::async_write(
      stream_, *msg,
      [self = shared_from_this(), msg](error_code ec, std::size_t) {
        if (ec || !msg->keep_alive()) {
          self->close();
          return;
        }
        self->read();
      });
  }

  void close() {
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{8 * 1024};
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<listener_state> st_;
};

} // namespace

struct metrics_listener::impl {
  std::shared_ptr<listener_state> st = std::make_shared<listener_state>();
  std::unique_ptr<asio::io_context> io = std::make_unique<asio::io_context>();
  std::unique_ptr<tcp::acceptor> acceptor
    = std::make_unique<tcp::acceptor>(*io);
  std::unique_ptr<asio::steady_timer> retry
    = std::make_unique<asio::steady_timer>(*io);
  std::thread thread;
  bool stopped = false;

  void do_accept() {
    acceptor->async_accept([this](error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted)
        return;
      if (ec) {
        // E.g. out of file descriptors: back off instead of spinning.
        spdlog::warn("metrics port: accept failed: {}", ec.message());
        retry->expires_after(std::chrono::milliseconds{100});
        retry->async_wait([this](error_code ec) {
          if (!ec)
            do_accept();
        });
        return;
      }
      if (st->open.load() >= st->settings.max_connections) {
        error_code ignored;
        socket.close(ignored);
      } else {
        st->open.fetch_add(1);
        std::make_shared<metrics_connection>(std::move(socket), st)->read();
      }
      do_accept();
    });
  }
};

metrics_listener::metrics_listener(metrics_settings settings,
                                   metrics_source text)
  : impl_(std::make_unique<impl>()) {
  impl_->st->settings = std::move(settings);
  impl_->st->text = std::move(text);
}

metrics_listener::~metrics_listener() {
  stop();
}

std::uint16_t metrics_listener::listen() {
  auto& s = impl_->st->settings;
  tcp::endpoint ep{asio::ip::make_address(s.bind), s.port};
  auto& acc = *impl_->acceptor;
  acc.open(ep.protocol());
  acc.set_option(tcp::acceptor::reuse_address(true));
  acc.bind(ep);
  acc.listen(asio::socket_base::max_listen_connections);
  return acc.local_endpoint().port();
}

void metrics_listener::start() {
  impl_->do_accept();
  impl_->thread = std::thread([this] {
    for (;;) {
      try {
        impl_->io->run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("metrics port: {}", e.what());
      }
    }
  });
}

void metrics_listener::stop() {
  if (impl_->stopped)
    return;
  impl_->stopped = true;
  impl_->io->stop();
  if (impl_->thread.joinable())
    impl_->thread.join();
  // Destroying the io_context destroys the pending handlers, and with them
  // every connection (its socket closes).
  impl_->retry.reset();
  impl_->acceptor.reset();
  impl_->io.reset();
}

std::size_t metrics_listener::connections() const {
  return impl_->st->open.load();
}

} // namespace h2h::net
