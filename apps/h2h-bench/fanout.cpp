// `h2h-bench fanout`: paced publishers, every room member receives, figures
// out.
#include <chrono>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "commands.hpp"
#include "fanout_tally.hpp"
#include "payload.hpp"
#include "proc_stats.hpp"
#include "report.hpp"

namespace h2h::bench {

namespace {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// Outstanding messages per publisher with --rate 0 (until ACK or own echo).
constexpr std::uint64_t send_window = 32;
/// Paced sends allowed to wait for a busy socket before being skipped.
constexpr std::uint64_t backlog_cap = 1000;
constexpr auto drain_limit = 3s;
constexpr auto close_limit = 2s;
/// Largest STOMP frame a receiver accepts (h2h sends a few KB).
constexpr std::size_t stomp_frame_limit = 1 << 20;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           clock_type::now().time_since_epoch())
    .count();
}

double seconds_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

clock_type::duration from_seconds(double s) {
  return std::chrono::duration_cast<clock_type::duration>(
    std::chrono::duration<double>(s));
}

enum class phase { connecting, warming, measuring, draining, closing, done };

/// The sending side of one publisher; the tally counts what it sent.
struct publisher {
  explicit publisher(asio::io_context& ioc)
    : timer(ioc) {
  }
  asio::steady_timer timer;
  clock_type::time_point next_due;
  std::uint64_t next_seq = 0;
  std::uint64_t due = 0; ///< paced sends waiting for the socket
  std::uint64_t outstanding = 0;
};

class fanout_run final : public pool_events {
public:
  fanout_run(const bench_options& o, pool_config cfg)
    : o_(o)
    , layout_{o.conns, o.rooms, o.publishers}
    , stomp_tokens_(o.proto == protocol::stomp ? cfg.tokens
                                               : std::vector<std::string>{})
    , pool_(ioc_, std::move(cfg), *this)
    , tally_(o.proto, layout_)
    , entered_(o.conns, false)
    , alive_(o.conns, true)
    , phase_timer_(ioc_)
    , deadline_(ioc_)
    , signals_(ioc_, SIGINT, SIGTERM) {
    pubs_.reserve(o.publishers);
    for (std::size_t i = 0; i < o.publishers; ++i)
      pubs_.emplace_back(ioc_);
    if (o.rate > 0)
      interval_ = from_seconds(static_cast<double>(o.publishers) / o.rate);
    if (o.proto == protocol::stomp) {
      stomp_readers_.assign(o.conns, stomp_frame_reader{stomp_frame_limit});
      subscribe_pending_.assign(o.conns, false);
    }
  }

  int run() {
    start_ = clock_type::now();
    // Connecting thousands takes a while; past this the run reports and
    // exits whatever state it is in.
    auto setup_limit = 30s + std::chrono::milliseconds{o_.conns};
    deadline_.expires_after(setup_limit
                            + from_seconds(o_.warmup_s + o_.duration_s)
                            + drain_limit + close_limit + 5s);
    deadline_.async_wait([this](auto ec) {
      if (ec)
        return;
      fail("global deadline passed (" + phase_name() + ")");
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
    return report();
  }

  void on_open(std::size_t j) override {
    if (o_.proto == protocol::stomp) {
      // CONNECT first; the SUBSCRIBE follows its CONNECTED.
      auto login
        = o_.token_file.empty() ? "c" + std::to_string(j) : std::string{};
      build_stomp_connect(frame_,
                          stomp_tokens_.empty()
                            ? std::string_view{}
                            : stomp_tokens_[j % stomp_tokens_.size()],
                          login);
    } else if (o_.proto == protocol::h2h)
      build_h2h_enter(frame_, o_.room_prefix, layout_.room_of(j), j,
                      o_.token_file.empty());
    else
      build_plain_join(frame_, o_.room_prefix, layout_.room_of(j));
    pool_.send(j, frame_);
  }

  void on_open_failed(std::size_t j, std::string_view why) override {
    alive_[j] = false;
    if (connect_failures_++ == 0)
      first_connect_error_ = std::string{why};
    ++never_entered_;
    check_setup();
  }

  void on_lost(std::size_t j, std::string_view why) override {
    alive_[j] = false;
    if (phase_ >= phase::closing)
      return;
    if (disconnects_++ == 0)
      fail("connection " + std::to_string(j) + " lost: " + std::string{why});
    if (!entered_[j]) {
      ++never_entered_;
      check_setup();
    }
  }

  void on_sent(std::size_t j) override {
    if (j < subscribe_pending_.size() && subscribe_pending_[j]) {
      subscribe_pending_[j] = false;
      send_subscribe(j);
      return;
    }
    if (j < pubs_.size())
      kick(j);
  }

  void on_frame(std::size_t j, std::string_view text) override {
    if (o_.proto == protocol::stomp) {
      on_stomp_text(j, text);
      return;
    }
    apply(j, tally_.on_frame(j, text, now_ns()));
  }

private:
  /// What a received frame means for connection j and its publisher.
  void apply(std::size_t j, const fanout_tally::effect& e) {
    if (e.connected)
      send_subscribe(j);
    if (e.entered && !entered_[j]) {
      entered_[j] = true;
      ++entered_count_;
      check_setup();
    }
    if (e.freed) {
      auto& p = pubs_[*e.freed];
      if (p.outstanding > 0)
        --p.outstanding;
      kick(*e.freed);
    }
    if (phase_ == phase::draining && tally_.drained())
      start_close();
  }

  /// STOMP frames of one WebSocket message of connection j.
  void on_stomp_text(std::size_t j, std::string_view text) {
    auto& reader = stomp_readers_[j];
    bool ok = reader.feed(text, [this, j](const stomp_frame_view& f) {
      apply(j, tally_.on_stomp_frame(j, f, now_ns()));
    });
    if (!ok)
      fail("connection " + std::to_string(j) + ": " + reader.error());
  }

  /// SUBSCRIBE connection j to its room, once its socket is free.
  void send_subscribe(std::size_t j) {
    if (pool_.busy(j)) {
      subscribe_pending_[j] = true;
      return;
    }
    build_stomp_subscribe(frame_, o_.room_prefix, layout_.room_of(j));
    pool_.send(j, frame_);
  }

  std::string phase_name() const {
    static const char* names[]
      = {"connecting", "warm-up", "measuring", "draining", "closing", "done"};
    return names[static_cast<int>(phase_)];
  }

  void fail(std::string why) {
    if (failure_.empty())
      failure_ = std::move(why);
  }

  /// Once every connection entered (or failed), start the load or give up.
  void check_setup() {
    if (phase_ != phase::connecting
        || entered_count_ + never_entered_ < o_.conns)
      return;
    connect_s_ = seconds_between(start_, clock_type::now());
    if (connect_failures_ > 0)
      fail(std::to_string(connect_failures_)
           + " connection(s) failed, first: " + first_connect_error_);
    if (connect_failures_ > 0 || disconnects_ > 0) {
      start_close();
      return;
    }
    phase_ = phase::warming;
    if (o_.warmup_s <= 0) {
      begin_window();
    } else {
      phase_timer_.expires_after(from_seconds(o_.warmup_s));
      phase_timer_.async_wait([this](auto ec) {
        if (!ec)
          begin_window();
      });
    }
    auto now = clock_type::now();
    for (std::size_t i = 0; i < pubs_.size(); ++i) {
      if (o_.rate > 0) {
        // Stagger the publishers over one interval so their sends interleave.
        pubs_[i].next_due = now
                            + interval_ * static_cast<long>(i)
                                / static_cast<long>(pubs_.size());
        arm(i);
      } else {
        kick(i);
      }
    }
  }

  void begin_window() {
    phase_ = phase::measuring;
    window_start_ = clock_type::now();
    tally_.start_window(now_ns());
    server_cpu0_.clear();
    for (int pid : o_.server_pids)
      server_cpu0_.push_back(process_cpu_seconds(pid));
    self_cpu0_ = self_cpu_seconds();
    phase_timer_.expires_after(from_seconds(o_.duration_s));
    phase_timer_.async_wait([this](auto ec) {
      if (!ec)
        end_window();
    });
  }

  void end_window() {
    phase_ = phase::draining;
    window_end_ = clock_type::now();
    window_done_ = true;
    cpu_.window_s = seconds_between(window_start_, window_end_);
    cpu_.generator_cpu_s = self_cpu_seconds() - self_cpu0_;
    for (std::size_t k = 0; k < o_.server_pids.size(); ++k) {
      server_figures f;
      f.pid = o_.server_pids[k];
      auto cpu1 = process_cpu_seconds(f.pid);
      if (server_cpu0_[k] && cpu1)
        f.cpu_s = *cpu1 - *server_cpu0_[k];
      f.rss_kb = process_rss_kb(f.pid);
      if (!f.cpu_s)
        std::cerr << "h2h-bench fanout: cannot read /proc/" << f.pid
                  << "/stat\n";
      cpu_.servers.push_back(f);
    }
    sum_servers(cpu_);
    for (auto& p : pubs_)
      p.timer.cancel();
    phase_timer_.expires_after(drain_limit);
    phase_timer_.async_wait([this](auto ec) {
      if (!ec)
        start_close();
    });
    if (tally_.drained())
      start_close();
  }

  void start_close() {
    if (phase_ >= phase::closing)
      return;
    if (window_done_)
      drain_s_ = seconds_between(window_end_, clock_type::now());
    phase_ = phase::closing;
    phase_timer_.cancel();
    for (auto& p : pubs_)
      p.timer.cancel();
    pool_.close_all([this] { finish(); });
    phase_timer_.expires_after(close_limit);
    phase_timer_.async_wait([this](auto ec) {
      if (!ec) {
        pool_.abort_all();
        finish();
      }
    });
  }

  void finish() {
    phase_ = phase::done;
    ioc_.stop();
  }

  bool publishing() const {
    return phase_ == phase::warming || phase_ == phase::measuring;
  }

  void arm(std::size_t i) {
    auto& p = pubs_[i];
    p.timer.expires_at(p.next_due);
    p.timer.async_wait([this, i](auto ec) {
      if (ec || !publishing())
        return;
      auto& p = pubs_[i];
      auto now = clock_type::now();
      for (; p.next_due <= now; p.next_due += interval_) {
        if (p.due < backlog_cap)
          ++p.due;
        else
          ++send_skipped_;
      }
      kick(i);
      arm(i);
    });
  }

  /// Sends publisher i's next message if its socket is free and the pace
  /// (or the window, with --rate 0) allows one.
  void kick(std::size_t i) {
    auto& p = pubs_[i];
    if (!publishing() || !alive_[i] || pool_.busy(i))
      return;
    if (o_.rate > 0) {
      if (p.due == 0)
        return;
      --p.due;
    } else if (p.outstanding >= send_window) {
      return;
    }
    payload pl{static_cast<std::uint32_t>(i), p.next_seq++, now_ns()};
    auto room = layout_.room_of(i);
    if (o_.proto == protocol::stomp)
      build_stomp_send(frame_, o_.room_prefix, room, pl, o_.size, run_tag_,
                       o_.token_file.empty());
    else if (o_.proto == protocol::h2h)
      build_h2h_message(frame_, o_.room_prefix, room, pl, o_.size, run_tag_,
                        o_.token_file.empty());
    else
      build_plain_message(frame_, o_.room_prefix, room, pl, o_.size);
    ++p.outstanding;
    tally_.on_publish(i, pl.seq, pl.send_ns);
    pool_.send(i, frame_);
  }

  int report() {
    fanout_report r;
    r.proto = std::string{protocol_name(o_.proto)};
    r.conns = o_.conns;
    r.rooms = o_.rooms;
    r.publishers = o_.publishers;
    r.size = o_.size;
    r.rate_requested = o_.rate;
    r.warmup_s = o_.warmup_s;
    r.duration_s = o_.duration_s;
    if (!window_done_)
      fail("the measured window did not end (" + phase_name() + ")");
    r.completed = failure_.empty();
    r.failure = failure_;
    r.connect_s = connect_s_;
    r.connected = entered_count_;
    r.connect_failures = connect_failures_;
    r.disconnects = disconnects_;
    tally_.fill(r);
    r.send_skipped = send_skipped_;
    r.drain_s = drain_s_;
    r.cpu = cpu_;
    print_report(o_.json, to_json(r).dump(), to_text(r));
    if (auto share = generator_share(r.cpu);
        share && *share > generator_cpu_warn_share)
      std::cerr << "h2h-bench fanout: WARNING: the generator used "
                << static_cast<int>(*share * 100)
                << " % of a core; the figures may show its limit, not the "
                   "server's\n";
    if (!r.completed)
      std::cerr << "h2h-bench fanout: incomplete run: " << r.failure << '\n';
    return r.completed ? exit_ok : exit_incomplete;
  }

  const bench_options& o_;
  fanout_layout layout_;
  /// --proto stomp: tokens go in CONNECT, not in the URL.
  std::vector<std::string> stomp_tokens_;
  asio::io_context ioc_{1};
  ws_pool pool_;
  fanout_tally tally_;
  std::vector<publisher> pubs_; ///< publisher i is connection i
  std::vector<bool> entered_, alive_;
  /// --proto stomp only: a reader per connection (a frame may span
  /// messages), and SUBSCRIBEs waiting for their socket.
  std::vector<stomp_frame_reader> stomp_readers_;
  std::vector<bool> subscribe_pending_;
  asio::steady_timer phase_timer_, deadline_;
  asio::signal_set signals_;
  clock_type::duration interval_{};
  std::string frame_;
  /// h2h answers a repeated (sender, roomId, clientMsgId) with an ACK and no
  /// broadcast: ids must differ from every earlier run on the same server.
  const std::string run_tag_ = make_run_tag();
  phase phase_ = phase::connecting;
  clock_type::time_point start_, window_start_, window_end_;
  bool window_done_ = false;
  double connect_s_ = 0, drain_s_ = 0, self_cpu0_ = 0;
  /// CPU seconds of each --server-pid at the start of the window.
  std::vector<std::optional<double>> server_cpu0_;
  cpu_figures cpu_;
  std::size_t entered_count_ = 0, never_entered_ = 0;
  std::uint64_t connect_failures_ = 0, disconnects_ = 0, send_skipped_ = 0;
  std::string first_connect_error_, failure_;
};

} // namespace

int run_fanout(const std::vector<std::string>& args) {
  static constexpr std::string_view summary
    = "Publishers send to rooms at a paced total rate; every member of a room\n"
      "(publishers included) receives every message of the room. Reports\n"
      "publishes/s and deliveries/s over the measured window, delivery and "
      "ACK\n"
      "latency, lost, duplicated and out-of-order deliveries, and with\n"
      "--server-pid the server's CPU seconds, RSS and deliveries per server\n"
      "CPU-second, plus the generator's own CPU share.";
  auto parsed = parse_fanout(args);
  if (auto rc = handle_help_and_errors("fanout", summary, fanout_option_specs(),
                                       parsed))
    return *rc;
  auto cfg = make_pool_config(parsed.options);
  if (!cfg)
    return exit_usage;
  fanout_run run{parsed.options, std::move(*cfg)};
  return run.run();
}

} // namespace h2h::bench
