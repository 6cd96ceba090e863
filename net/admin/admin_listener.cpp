// The admin port's listener: its own Asio acceptor and thread, the bound
// on connections, a clean stop; connections are admin_connection.cpp's.
#include "net/admin/admin_listener.hpp"

#include <thread>

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "net/admin/admin_connection.hpp"

namespace h2h::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

admin_listener_settings admin_settings_from(const config::settings& s) {
  admin_listener_settings out;
  out.bind = s.admin.bind;
  out.port = s.admin.port;
  out.token = s.admin.token;
  out.max_connections = static_cast<std::size_t>(s.admin.max_connections);
  out.timeout = std::chrono::milliseconds{s.admin.timeout_ms};
  out.idle_timeout = std::chrono::milliseconds{s.admin.idle_timeout_ms};
  out.parse.max_text_chars = s.limits.max_message_chars;
  out.node_id = s.cluster.node_id;
  return out;
}

struct admin_listener::impl {
  std::shared_ptr<admin_state> st = std::make_shared<admin_state>();
  std::unique_ptr<asio::io_context> io = std::make_unique<asio::io_context>();
  std::unique_ptr<tcp::acceptor> acceptor
    = std::make_unique<tcp::acceptor>(*io);
  std::unique_ptr<asio::steady_timer> retry
    = std::make_unique<asio::steady_timer>(*io);
  std::thread thread;
  std::uint16_t port = 0;
  bool stopped = false;

  void do_accept() {
    acceptor->async_accept([this](error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted)
        return;
      if (ec) {
        // E.g. out of file descriptors: back off instead of spinning.
        spdlog::warn("admin port: accept failed: {}", ec.message());
        retry->expires_after(std::chrono::milliseconds{100});
        retry->async_wait([this](error_code ec) {
          if (!ec)
            do_accept();
        });
        return;
      }
      if (st->open.load() >= st->settings.max_connections)
        refuse(std::move(socket));
      else {
        st->open.fetch_add(1);
        serve_admin_connection(std::move(socket), st);
      }
      do_accept();
    });
  }

  /// One line that says why, if the socket takes it at once, then close.
  void refuse(tcp::socket socket) {
    spdlog::warn("admin port: refused {}: {} connections open", peer_of(socket),
                 st->open.load());
    auto line = render_admin_error("", admin_code::unavailable,
                                   "too many admin connections")
                + "\n";
    error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(line), ignored);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }
};

admin_listener::admin_listener(admin_listener_settings settings,
                               admin_handler handler)
  : impl_(std::make_unique<impl>()) {
  impl_->st->settings = std::move(settings);
  impl_->st->handler = std::move(handler);
  impl_->st->io = impl_->io.get();
}

admin_listener::~admin_listener() {
  stop();
}

std::uint16_t admin_listener::listen() {
  auto& s = impl_->st->settings;
  auto bind = s.bind;
  if (bind.size() >= 2 && bind.front() == '[' && bind.back() == ']')
    bind = bind.substr(1, bind.size() - 2);
  auto address = asio::ip::make_address(bind);
  tcp::endpoint ep{address, s.port};
  auto& acc = *impl_->acceptor;
  acc.open(ep.protocol());
  acc.set_option(tcp::acceptor::reuse_address(true));
  acc.bind(ep);
  acc.listen(asio::socket_base::max_listen_connections);
  impl_->port = acc.local_endpoint().port();
  spdlog::info("admin listening on {}:{}",
               address.is_v6() ? "[" + bind + "]" : bind, impl_->port);
  return impl_->port;
}

void admin_listener::start() {
  impl_->do_accept();
  impl_->thread = std::thread([this] {
    for (;;) {
      try {
        impl_->io->run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("admin port: {}", e.what());
      }
    }
  });
}

void admin_listener::stop() {
  if (impl_->stopped)
    return;
  impl_->stopped = true;
  {
    // From now on a late reply is dropped instead of posted.
    std::lock_guard<std::mutex> guard{impl_->st->mutex};
    impl_->st->io = nullptr;
  }
  impl_->io->stop();
  if (impl_->thread.joinable())
    impl_->thread.join();
  // Destroying the io_context destroys the pending handlers, and with them
  // every connection (its socket closes).
  impl_->retry.reset();
  impl_->acceptor.reset();
  impl_->io.reset();
}

std::uint16_t admin_listener::port() const {
  return impl_->port;
}

std::size_t admin_listener::connections() const {
  return impl_->st->open.load();
}

} // namespace h2h::net
