// The public port: HTTP, WebSocket upgrades, connection limits and graceful
// shutdown.
#include "net/server/server.hpp"

#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <spdlog/spdlog.h>

#include "net/server/http_connection.hpp"
#include "net/transport/io_worker.hpp"
#include "net/server/server_context.hpp"

namespace h2h::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

struct server::impl {
  server_context ctx;
  // One io_context per I/O thread; connections are spread over them and
  // stay on theirs. The first also runs the acceptor, signals and timers.
  std::vector<std::unique_ptr<io_worker>> workers;
  std::size_t next_worker = 0;
  asio::io_context& io() {
    return workers.front()->io;
  }
  tcp::acceptor acceptor;
  asio::signal_set signals;
  asio::steady_timer retry_timer;
  asio::steady_timer drain_timer;
  asio::steady_timer expiry_timer;
  asio::steady_timer tick_timer;
  std::chrono::steady_clock::time_point drain_deadline;
  std::atomic<bool> draining{false};

  explicit impl(int io_threads)
    : workers(make_workers(io_threads))
    , acceptor(io())
    , signals(io(), SIGINT, SIGTERM)
    , retry_timer(io())
    , drain_timer(io())
    , expiry_timer(io())
    , tick_timer(io()) {
  }

  /// Ticks the connections that keep timers of their own (STOMP).
  void sweep_ticks() {
    tick_timer.expires_after(ctx.settings.tick_interval);
    tick_timer.async_wait([this](error_code ec) {
      if (ec || draining)
        return;
      ctx.connections.tick_all(std::chrono::steady_clock::now());
      sweep_ticks();
    });
  }

  /// Closes connections whose access token expired, once a second.
  void sweep_expiries() {
    expiry_timer.expires_after(std::chrono::seconds{1});
    expiry_timer.async_wait([this](error_code ec) {
      if (ec || draining)
        return;
      ctx.connections.expire_due(std::chrono::steady_clock::now());
      sweep_expiries();
    });
  }

  static std::vector<std::unique_ptr<io_worker>> make_workers(int n) {
    std::vector<std::unique_ptr<io_worker>> out;
    for (int i = 0; i < std::max(n, 1); ++i)
      out.push_back(std::make_unique<io_worker>());
    return out;
  }

  void do_accept() {
    auto& w = *workers[next_worker];
    next_worker = (next_worker + 1) % workers.size();
    acceptor.async_accept(w.io, [this, &w](error_code ec, tcp::socket socket) {
      on_accept(ec, std::move(socket), w);
    });
  }

  void on_accept(error_code ec, tcp::socket socket, io_worker& w) {
    if (draining)
      return;
    if (ec) {
      if (ec == asio::error::operation_aborted)
        return;
      // E.g. out of file descriptors: back off instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      retry_timer.expires_after(std::chrono::milliseconds{100});
      retry_timer.async_wait([this](error_code ec) {
        if (!ec && !draining)
          do_accept();
      });
      return;
    }
    if (ctx.connections.size() >= ctx.settings.max_connections) {
      ctx.counters.refused_connections.fetch_add(1);
      error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<http_connection>(std::move(socket), ctx, w)->start();
    }
    do_accept();
  }

  void wait_signal() {
    signals.async_wait([this](error_code ec, int signo) {
      if (ec)
        return;
      if (!draining) {
        spdlog::info("signal {}: shutting down", signo);
        begin_drain();
        wait_signal();
      } else {
        spdlog::warn("signal {} again: stopping now", signo);
        stop_all();
      }
    });
  }

  void stop_all() {
    for (auto& w : workers)
      w->io.stop();
  }

  void begin_drain() {
    if (draining.exchange(true))
      return;
    error_code ec;
    acceptor.close(ec);
    retry_timer.cancel();
    auto open = ctx.connections.size();
    spdlog::info("draining: closing {} connection(s)", open);
    ctx.connections.shutdown_all();
    drain_deadline
      = std::chrono::steady_clock::now() + ctx.settings.shutdown_timeout;
    drain_tick();
  }

  void drain_tick() {
    if (ctx.connections.size() == 0) {
      stop_all();
      return;
    }
    if (std::chrono::steady_clock::now() >= drain_deadline) {
      spdlog::warn("shutdown timeout: {} connection(s) still open",
                   ctx.connections.size());
      stop_all();
      return;
    }
    expiry_timer.cancel();
    tick_timer.cancel();
    drain_timer.expires_after(std::chrono::milliseconds{20});
    drain_timer.async_wait([this](error_code ec) {
      if (!ec)
        drain_tick();
    });
  }
};

server::server(server_settings settings, upgrade_table upgrades,
               http_handler handle_http)
  : impl_(std::make_unique<impl>(settings.io_threads)) {
  impl_->ctx.settings = std::move(settings);
  impl_->ctx.upgrades = std::move(upgrades);
  impl_->ctx.handle_http = std::move(handle_http);
}

server::~server() = default;

std::uint16_t server::listen() {
  auto& s = impl_->ctx.settings;
  auto addr = asio::ip::make_address(s.bind);
  tcp::endpoint ep{addr, s.port};
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol());
  acc.set_option(tcp::acceptor::reuse_address(true));
  acc.bind(ep);
  acc.listen(asio::socket_base::max_listen_connections);
  return acc.local_endpoint().port();
}

void server::run() {
  impl_->wait_signal();
  impl_->do_accept();
  impl_->sweep_expiries();
  impl_->sweep_ticks();
  // Workers other than the first run on threads of their own; a guard keeps
  // an idle worker's run() from returning early.
  using guard_type = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<guard_type> guards;
  for (std::size_t i = 1; i < impl_->workers.size(); ++i) {
    auto& w = *impl_->workers[i];
    guards.emplace_back(w.io.get_executor());
    w.thread = std::thread([&w] { w.io.run(); });
  }
  impl_->io().run();
  impl_->stop_all();
  for (std::size_t i = 1; i < impl_->workers.size(); ++i)
    impl_->workers[i]->thread.join();
  guards.clear();
  // No I/O thread runs now: close what did not close in time.
  impl_->ctx.connections.abort_all();
}

void server::stop() {
  asio::post(impl_->io(), [this] { impl_->begin_drain(); });
}

bool server::draining() const {
  return impl_->draining.load();
}

const net_counters& server::counters() const {
  return impl_->ctx.counters;
}

std::size_t server::connections() const {
  return impl_->ctx.connections.size();
}

std::size_t server::end_session(const std::string& session_id) {
  auto n = impl_->ctx.connections.end_session(session_id);
  impl_->ctx.counters.sessions_ended.fetch_add(n, std::memory_order_relaxed);
  return n;
}

} // namespace h2h::net
