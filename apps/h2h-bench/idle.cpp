// `h2h-bench idle`: open N connections, enter rooms, read the server's RSS
// cost.
#include <chrono>
#include <iostream>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "commands.hpp"
#include "payload.hpp"
#include "proc_stats.hpp"
#include "report.hpp"

namespace h2h::bench {

namespace {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// Rooms the idle connections spread over, so ENTER notices stay O(N²/100).
constexpr std::size_t idle_rooms = 100;
constexpr std::string_view room_prefix = "idle-";
constexpr auto close_limit = 3s;

class idle_run final : public pool_events {
public:
  idle_run(const bench_options& o, pool_config cfg)
    : o_(o)
    , pool_(ioc_, std::move(cfg), *this)
    , timer_(ioc_)
    , deadline_(ioc_)
    , signals_(ioc_, SIGINT, SIGTERM)
    , entered_flags_(o.conns, false) {
  }

  int run() {
    r_.proto = o_.proto == protocol::h2h ? "h2h" : "plain";
    r_.conns = o_.conns;
    r_.hold_s = o_.hold_s;
    r_.sources = o_.sources.size();
    if (o_.server_pid)
      r_.server_rss_before_kb = process_rss_kb(*o_.server_pid);
    if (o_.server_pid)
      server_cpu0_ = process_cpu_seconds(*o_.server_pid);
    cpu0_ = self_cpu_seconds();
    auto cpu0 = cpu0_;
    start_ = clock_type::now();
    auto limit = 30s + std::chrono::milliseconds{2 * o_.conns}
                 + std::chrono::duration<double>(o_.hold_s) + close_limit + 5s;
    deadline_.expires_after(
      std::chrono::duration_cast<clock_type::duration>(limit));
    deadline_.async_wait([this](auto ec) {
      if (ec)
        return;
      fail("global deadline passed");
      pool_.abort_all();
      ioc_.stop();
    });
    signals_.async_wait([this](auto ec, int) {
      if (!ec) {
        fail("interrupted");
        start_close();
      }
    });
    try {
      pool_.open(o_.conns);
      ioc_.run();
    } catch (const std::exception& e) {
      fail(o_.url.host + ": " + e.what());
    }
    r_.generator_cpu_s = self_cpu_seconds() - cpu0;
    if (!held_)
      fail("the connections were not all held");
    r_.completed = r_.failure.empty();
    print_report(o_.json, to_json(r_).dump(), to_text(r_));
    if (!r_.completed)
      std::cerr << "h2h-bench idle: incomplete run: " << r_.failure << '\n';
    return r_.completed ? exit_ok : exit_incomplete;
  }

  void on_open(std::size_t j) override {
    if (o_.proto == protocol::h2h)
      build_h2h_enter(frame_, room_prefix, j % idle_rooms, j,
                      o_.token_file.empty());
    else
      build_plain_join(frame_, room_prefix, j % idle_rooms);
    pool_.send(j, frame_);
  }

  void on_open_failed(std::size_t, std::string_view why) override {
    if (r_.connect_failures++ == 0)
      first_error_ = std::string{why};
    check_open();
  }

  void on_lost(std::size_t j, std::string_view why) override {
    if (closing_)
      return;
    if (r_.disconnects++ == 0)
      fail("connection " + std::to_string(j) + " lost: " + std::string{why});
    if (!entered_flags_[j])
      check_open();
  }

  void on_sent(std::size_t) override {
  }

  void on_frame(std::size_t j, std::string_view text) override {
    if (entered_flags_[j])
      return; // later ENTER notices of others: read and dropped
    auto type = find_string_field(text, "type");
    if (!type)
      return;
    bool own = false;
    if (o_.proto == protocol::h2h) {
      // Rooms send only to members: the first ENTER notice a connection
      // gets shows that it is in (whoever's notice it is; with tokens the
      // sender is the member's nickname, not c<j>).
      own = *type == "ENTER";
    } else {
      own = *type == "joined";
    }
    if (!own)
      return;
    entered_flags_[j] = true;
    ++r_.opened;
    check_open();
  }

private:
  void fail(std::string why) {
    if (r_.failure.empty())
      r_.failure = std::move(why);
  }

  void check_open() {
    if (all_open_
        || r_.opened + r_.connect_failures + r_.disconnects < o_.conns)
      return;
    all_open_ = true;
    r_.connect_s
      = std::chrono::duration<double>(clock_type::now() - start_).count();
    r_.open_generator_cpu_s = self_cpu_seconds() - cpu0_;
    if (o_.server_pid) {
      r_.server_rss_after_kb = process_rss_kb(*o_.server_pid);
      auto cpu = process_cpu_seconds(*o_.server_pid);
      if (cpu && server_cpu0_)
        r_.open_server_cpu_s = *cpu - *server_cpu0_;
    }
    if (r_.connect_failures > 0) {
      fail(std::to_string(r_.connect_failures)
           + " connection(s) failed, first: " + first_error_);
      start_close();
      return;
    }
    timer_.expires_after(std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(o_.hold_s)));
    timer_.async_wait([this](auto ec) {
      if (ec)
        return;
      if (o_.server_pid)
        r_.server_rss_end_kb = process_rss_kb(*o_.server_pid);
      held_ = true;
      start_close();
    });
  }

  void start_close() {
    if (closing_)
      return;
    closing_ = true;
    timer_.cancel();
    pool_.close_all([this] { ioc_.stop(); });
    timer_.expires_after(close_limit);
    timer_.async_wait([this](auto ec) {
      if (!ec) {
        pool_.abort_all();
        ioc_.stop();
      }
    });
  }

  const bench_options& o_;
  asio::io_context ioc_{1};
  ws_pool pool_;
  asio::steady_timer timer_, deadline_;
  asio::signal_set signals_;
  std::vector<bool> entered_flags_;
  idle_report r_;
  std::string frame_, first_error_;
  clock_type::time_point start_;
  double cpu0_ = 0;
  std::optional<double> server_cpu0_;
  bool all_open_ = false, held_ = false, closing_ = false;
};

} // namespace

int run_idle(const std::vector<std::string>& args) {
  static constexpr std::string_view summary
    = "Opens N connections (connection j ENTERs room idle-<j % 100>, or joins\n"
      "it with --proto plain), waits until all are in, and reports the "
      "server's\n"
      "RSS before connecting, after, and per connection; holds them for "
      "--hold\n"
      "seconds, then closes them.";
  auto parsed = parse_idle(args);
  if (auto rc
      = handle_help_and_errors("idle", summary, idle_option_specs(), parsed))
    return *rc;
  auto cfg = make_pool_config(parsed.options);
  if (!cfg)
    return exit_usage;
  idle_run run{parsed.options, std::move(*cfg)};
  return run.run();
}

} // namespace h2h::bench
