// The public port: HTTP, WebSocket upgrades, connection limits and graceful
// shutdown.
#include "net/server/server.hpp"

#include <algorithm>
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
  asio::steady_timer keepalive_timer;
  asio::steady_timer tick_timer;
  std::chrono::steady_clock::time_point drain_deadline;
  std::atomic<bool>& draining = ctx.draining;
  /// The connections open when the stop began, closed batch by batch.
  std::vector<std::weak_ptr<closable>> to_close;
  /// server::on_drain's hook.
  std::function<void()> drain_hook;
  std::size_t closed_upto = 0;
  std::size_t batch_size = 1;
  std::chrono::milliseconds batch_interval{0};

  impl(int io_threads, const io_settings& io_cfg)
    : workers(make_workers(io_threads, io_cfg))
    , acceptor(io())
    , signals(io(), SIGINT, SIGTERM)
    , retry_timer(io())
    , drain_timer(io())
    , expiry_timer(io())
    , keepalive_timer(io())
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

  /// Sends every open SSE stream a keep-alive comment, once per
  /// sse.keepalive_s: one timer for all streams.
  void sweep_streams() {
    keepalive_timer.expires_after(ctx.settings.sse.keepalive);
    keepalive_timer.async_wait([this](error_code ec) {
      if (ec || draining)
        return;
      ctx.streams.keep_alive_all();
      sweep_streams();
    });
  }

  static std::vector<std::unique_ptr<io_worker>>
  make_workers(int n, const io_settings& io) {
    std::vector<std::unique_ptr<io_worker>> out;
    for (int i = 0; i < std::max(n, 1); ++i)
      out.push_back(std::make_unique<io_worker>(io));
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
    if (!acceptor.is_open())
      return;
    if (ec) {
      if (ec == asio::error::operation_aborted)
        return;
      // E.g. out of file descriptors: back off instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      retry_timer.expires_after(std::chrono::milliseconds{100});
      retry_timer.async_wait([this](error_code ec) {
        if (!ec && acceptor.is_open())
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

  /// /readyz turns 503 at once (draining); the open connections close in
  /// batches spread over the drain window, so that their clients reconnect
  /// elsewhere gradually; meanwhile the port answers only the probes.
  void begin_drain() {
    if (draining.exchange(true))
      return;
    expiry_timer.cancel();
    keepalive_timer.cancel();
    tick_timer.cancel();
    if (drain_hook)
      drain_hook();
    to_close = ctx.connections.snapshot();
    auto window = ctx.settings.drain_window;
    // A batch every 100 ms at most, at most 100 batches.
    auto batches = std::clamp<std::size_t>(
      static_cast<std::size_t>(window.count() / 100), 1, 100);
    batches = std::min(batches, std::max<std::size_t>(to_close.size(), 1));
    batch_size = (to_close.size() + batches - 1) / batches;
    batch_interval = window / static_cast<int>(batches);
    spdlog::info(
      "draining: closing {} connection(s) in {} batch(es) over {} ms",
      to_close.size(), batches, window.count());
    if (window.count() == 0 || to_close.empty()) {
      end_window();
      return;
    }
    drain_timer.expires_after(batch_interval);
    drain_timer.async_wait([this](error_code ec) {
      if (!ec)
        close_batch();
    });
  }

  void close_batch() {
    auto end = std::min(to_close.size(), closed_upto + batch_size);
    for (; closed_upto < end; ++closed_upto)
      if (auto c = to_close[closed_upto].lock())
        c->shutdown();
    if (closed_upto >= to_close.size() || ctx.connections.size() == 0) {
      end_window();
      return;
    }
    drain_timer.expires_after(batch_interval);
    drain_timer.async_wait([this](error_code ec) {
      if (!ec)
        close_batch();
    });
  }

  /// The window is over: the port closes, whatever is still open (probes,
  /// upgrades that began before the stop) is asked to close.
  void end_window() {
    error_code ec;
    acceptor.close(ec);
    retry_timer.cancel();
    to_close.clear();
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
    drain_timer.expires_after(std::chrono::milliseconds{20});
    drain_timer.async_wait([this](error_code ec) {
      if (!ec)
        drain_tick();
    });
  }
};

server::server(server_settings settings, upgrade_table upgrades,
               http_handler handle_http)
  : impl_(std::make_unique<impl>(
    settings.io_threads,
    io_settings{settings.presence_delay, settings.io_uring})) {
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
  impl_->sweep_streams();
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

void server::on_drain(std::function<void()> hook) {
  impl_->drain_hook = std::move(hook);
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
