// `h2h-bench failover`: receivers on one node, publishers on the others; the
// node is SIGKILLed and its receivers reconnect elsewhere with lastSeq. Times
// their way back and checks what they got against the rooms' history.
#include <signal.h>

#include <chrono>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "commands.hpp"
#include "failover_tally.hpp"
#include "failover_nodes.hpp"
#include "payload.hpp"
#include "proc_stats.hpp"

namespace h2h::bench {

namespace {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto drain_limit = 5s;
constexpr auto close_limit = 2s;
constexpr auto enter_retry_pause = 200ms;
constexpr auto max_backoff = 2000ms;
/// Unacknowledged messages a publisher may have before new sends are
/// skipped (the tally keeps each until its ACK).
constexpr std::size_t max_pending = 1000;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           clock_type::now().time_since_epoch())
    .count();
}

clock_type::duration from_seconds(double s) {
  return std::chrono::duration_cast<clock_type::duration>(
    std::chrono::duration<double>(s));
}

enum class phase { connecting, warming, recovering, draining, closing, done };

struct publisher {
  explicit publisher(asio::io_context& ioc)
    : timer(ioc) {
  }
  asio::steady_timer timer;
  clock_type::time_point next_due;
  std::uint64_t next_seq = 0;
  std::uint64_t due = 0;
};

class failover_run final : public pool_events {
public:
  failover_run(const bench_options& o, pool_config cfg,
               std::vector<failover_room> rooms)
    : o_(o)
    , n_(o.conns)
    , survivors_(o.urls.size() - 1)
    , pool_(ioc_, place(std::move(cfg), o), *this)
    , tally_(o.conns, o.rooms, o.publishers)
    , named_(o.token_file.empty())
    , entered_(o.conns + o.publishers, false)
    , open_(o.conns + o.publishers, false)
    , enter_pending_(o.conns + o.publishers, false)
    , phase_timer_(ioc_)
    , poll_timer_(ioc_)
    , deadline_(ioc_)
    , signals_(ioc_, SIGINT, SIGTERM) {
    report_.rooms = std::move(rooms);
    for (std::size_t i = 0; i < o.publishers; ++i)
      pubs_.emplace_back(ioc_);
    for (std::size_t j = 0; j < o.conns + o.publishers; ++j) {
      retry_.push_back(std::make_unique<asio::steady_timer>(ioc_));
      enter_timers_.push_back(std::make_unique<asio::steady_timer>(ioc_));
    }
    interval_ = from_seconds(static_cast<double>(o.publishers) / o.rate);
  }

  int run() {
    auto total = o_.conns + o_.publishers;
    deadline_.expires_after(30s + std::chrono::milliseconds{total}
                            + from_seconds(o_.warmup_s + o_.after_s)
                            + drain_limit + close_limit + 5s);
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
    start_ = clock_type::now();
    try {
      pool_.open(total);
      ioc_.run();
    } catch (const std::exception& e) {
      fail(std::string{"run: "} + e.what());
    }
    return finish_report();
  }

  void on_open(std::size_t j) override {
    open_[j] = true;
    if (phase_ == phase::connecting) {
      send_enter(j, std::nullopt);
      return;
    }
    tally_.on_reopened(j, now_ns());
    send_enter(j, tally_.on_enter_sent(j, now_ns()));
    watch_enter(j);
  }

  void on_open_failed(std::size_t j, std::string_view why) override {
    if (phase_ == phase::connecting) {
      fail("connection " + std::to_string(j) + " failed: " + std::string{why});
      start_close();
      return;
    }
    tally_.on_open_failed(j);
    schedule_attempt(j);
  }

  void on_lost(std::size_t j, std::string_view why) override {
    open_[j] = false;
    enter_pending_[j] = false;
    if (phase_ >= phase::closing)
      return;
    if (!tally_.kill_ns()) {
      fail("connection " + std::to_string(j)
           + " lost before the kill: " + std::string{why});
      start_close();
      return;
    }
    if (tally_.is_publisher(j))
      tally_.on_publisher_lost();
    tally_.on_lost(j, now_ns());
    schedule_attempt(j);
  }

  void on_sent(std::size_t j) override {
    if (enter_pending_[j]) {
      enter_pending_[j] = false;
      send_enter(j, tally_.on_enter_sent(j, now_ns()));
      return;
    }
    if (tally_.is_publisher(j))
      kick(j - n_);
  }

  void on_frame(std::size_t j, std::string_view text) override {
    auto now = now_ns();
    auto f = read_failover_frame(text);
    if (f.type == "ACK") {
      if (auto id = f.client_msg_id ? parse_client_msg_id(*f.client_msg_id)
                                    : std::nullopt;
          id && tally_.is_publisher(j)) {
        tally_.on_ack(j - n_, id->seq, f.seq.value_or(0), now);
        kick(j - n_);
      }
    } else if (f.type == "ERROR") {
      on_error(j, f, text, now);
    } else if (f.seq) {
      tally_.on_event(j, *f.seq, now);
      if (!entered_[j]) {
        entered_[j] = true;
        ++entered_count_;
        check_setup();
      }
    }
    if (phase_ == phase::draining && drained())
      start_close();
  }

private:
  static pool_config place(pool_config cfg, const bench_options& o) {
    // Receivers on the victim (server 0); publisher k on survivor k % S.
    cfg.placement.assign(o.conns, 0);
    for (std::size_t k = 0; k < o.publishers; ++k)
      cfg.placement.push_back(1 + k % (o.urls.size() - 1));
    return cfg;
  }

  void fail(std::string why) {
    if (failure_.empty())
      failure_ = std::move(why);
  }

  void on_error(std::size_t j, const failover_frame& f, std::string_view text,
                std::int64_t now) {
    if (f.client_msg_id && tally_.is_publisher(j)) {
      if (auto id = parse_client_msg_id(*f.client_msg_id))
        tally_.on_refused(j - n_, id->seq, now, text);
      return;
    }
    if (phase_ == phase::connecting) {
      fail("ENTER refused: " + std::string{text.substr(0, 300)});
      start_close();
      return;
    }
    // An ENTER refused (the room is moving, its replay failed): again with
    // the same lastSeq after a pause.
    tally_.on_enter_refused(j);
    if (error_text_.empty())
      error_text_ = std::string{text.substr(0, 300)};
    retry_[j]->expires_after(enter_retry_pause);
    retry_[j]->async_wait([this, j](auto ec) {
      if (!ec && open_[j] && phase_ < phase::closing)
        send_enter(j, tally_.on_enter_sent(j, now_ns()));
    });
  }

  void send_enter(std::size_t j, std::optional<std::uint64_t> last_seq) {
    if (pool_.busy(j)) {
      enter_pending_[j] = true;
      return;
    }
    build_h2h_enter(frame_, o_.room_prefix, tally_.room_of(j), j, named_);
    if (last_seq) {
      frame_.pop_back(); // the closing brace
      frame_ += ",\"lastSeq\":" + std::to_string(*last_seq) + "}";
    }
    pool_.send(j, frame_);
  }

  /// A re-ENTER that brings no room event in time (a server that neither
  /// answers nor refuses): drop the connection, try the next survivor.
  void watch_enter(std::size_t j) {
    auto& t = *enter_timers_[j];
    t.expires_after(from_seconds(o_.enter_timeout_s));
    t.async_wait([this, j](auto ec) {
      if (ec || phase_ >= phase::closing || !open_[j] || tally_.back(j))
        return;
      tally_.on_enter_timeout(j);
      open_[j] = false;
      enter_pending_[j] = false;
      pool_.drop(j);
      schedule_attempt(j);
    });
  }

  /// The next connection attempt of a lost client: the first at once, then
  /// with a doubling back-off, round robin over the survivors; bounded in
  /// count and time.
  void schedule_attempt(std::size_t j) {
    auto attempts = tally_.attempts(j);
    auto lost = tally_.lost_at(j).value_or(now_ns());
    if (attempts >= o_.reconnect_attempts
        || static_cast<double>(now_ns() - lost) / 1e9 >= o_.reconnect_limit_s) {
      tally_.on_gave_up(j);
      ++gave_up_;
      if (phase_ == phase::draining && drained())
        start_close();
      return;
    }
    auto delay = std::chrono::milliseconds{0};
    if (attempts > 0)
      delay = std::min<std::chrono::milliseconds>(
        max_backoff,
        std::chrono::milliseconds{static_cast<long>(
          o_.backoff_ms
          * static_cast<double>(1u << std::min(attempts - 1, 10u)))});
    retry_[j]->expires_after(delay);
    retry_[j]->async_wait([this, j, attempts](auto ec) {
      if (ec || phase_ >= phase::closing)
        return;
      tally_.on_attempt(j);
      pool_.reopen(j, 1 + (j + attempts) % survivors_);
    });
  }

  void check_setup() {
    if (phase_ != phase::connecting
        || entered_count_ < o_.conns + o_.publishers)
      return;
    report_.connect_s
      = std::chrono::duration<double>(clock_type::now() - start_).count();
    phase_ = phase::warming;
    auto now = clock_type::now();
    for (std::size_t k = 0; k < pubs_.size(); ++k) {
      pubs_[k].next_due
        = now
          + interval_ * static_cast<long>(k) / static_cast<long>(pubs_.size());
      arm(k);
    }
    phase_timer_.expires_after(from_seconds(o_.warmup_s));
    phase_timer_.async_wait([this](auto ec) {
      if (!ec)
        kill_victim();
    });
  }

  void kill_victim() {
    int pid = *o_.kill_pid;
    // Checked again just before: the PID must still be an h2hd.
    if (process_name(pid) != "h2hd") {
      fail("--kill-pid " + std::to_string(pid) + " is not an h2hd process");
      start_close();
      return;
    }
    for (int p : o_.server_pids)
      cpu0_.push_back(process_cpu_seconds(p));
    self_cpu0_ = self_cpu_seconds();
    if (::kill(pid, SIGKILL) != 0) {
      fail("kill " + std::to_string(pid) + " failed");
      start_close();
      return;
    }
    kill_time_ = clock_type::now();
    tally_.on_kill(now_ns());
    phase_ = phase::recovering;
    phase_timer_.expires_after(from_seconds(o_.after_s));
    phase_timer_.async_wait([this](auto ec) {
      if (!ec)
        start_drain();
    });
  }

  void start_drain() {
    phase_ = phase::draining;
    for (auto& p : pubs_)
      p.timer.cancel();
    end_cpu();
    phase_timer_.expires_after(drain_limit);
    phase_timer_.async_wait([this](auto ec) {
      if (!ec)
        start_close();
    });
    poll();
  }

  /// Resends and the end of the drain also need a clock when no frame comes.
  void poll() {
    poll_timer_.expires_after(50ms);
    poll_timer_.async_wait([this](auto ec) {
      if (ec || phase_ >= phase::closing)
        return;
      for (std::size_t k = 0; k < pubs_.size(); ++k)
        kick(k);
      if (phase_ == phase::draining && drained()) {
        start_close();
        return;
      }
      poll();
    });
  }

  bool drained() const {
    if (!tally_.all_acked() || !tally_.receivers_at_latest())
      return false;
    for (std::size_t j = 0; j < n_; ++j)
      if (!tally_.caught_up(j) && tally_.lost_at(j) && !tally_.gave_up(j))
        return false;
    return true;
  }

  void end_cpu() {
    report_.window_s
      = std::chrono::duration<double>(clock_type::now() - kill_time_).count();
    report_.generator_cpu_s = self_cpu_seconds() - self_cpu0_;
    for (std::size_t k = 0; k < o_.server_pids.size(); ++k) {
      auto now = process_cpu_seconds(o_.server_pids[k]);
      std::optional<double> used;
      if (now && k < cpu0_.size() && cpu0_[k])
        used = *now - *cpu0_[k];
      report_.server_cpu_s.emplace_back(o_.server_pids[k], used);
    }
  }

  void start_close() {
    if (phase_ >= phase::closing)
      return;
    if (phase_ == phase::recovering)
      end_cpu();
    phase_ = phase::closing;
    tally_.on_close();
    phase_timer_.cancel();
    poll_timer_.cancel();
    for (auto& p : pubs_)
      p.timer.cancel();
    for (auto& t : retry_)
      t->cancel();
    for (auto& t : enter_timers_)
      t->cancel();
    pool_.close_all([this] {
      phase_ = phase::done;
      ioc_.stop();
    });
    phase_timer_.expires_after(close_limit);
    phase_timer_.async_wait([this](auto ec) {
      if (!ec) {
        pool_.abort_all();
        phase_ = phase::done;
        ioc_.stop();
      }
    });
  }

  bool publishing() const {
    return phase_ == phase::warming || phase_ == phase::recovering;
  }

  void arm(std::size_t k) {
    auto& p = pubs_[k];
    p.timer.expires_at(p.next_due);
    p.timer.async_wait([this, k](auto ec) {
      if (ec || !publishing())
        return;
      auto& p = pubs_[k];
      for (auto now = clock_type::now(); p.next_due <= now;
           p.next_due += interval_) {
        if (tally_.pending(k) + p.due < max_pending)
          ++p.due;
        else
          tally_.on_skipped();
      }
      kick(k);
      arm(k);
    });
  }

  /// Publisher k sends a refused message again, or its next one, when its
  /// socket is free.
  void kick(std::size_t k) {
    auto j = n_ + k;
    if (!open_[j] || pool_.busy(j) || enter_pending_[j]
        || phase_ >= phase::closing || phase_ == phase::connecting)
      return;
    auto room = tally_.room_of(j);
    auto now = now_ns();
    auto due = tally_.due_resends(k, now);
    if (!due.empty()) {
      payload pl{static_cast<std::uint32_t>(k), due.front(), now};
      build_h2h_message(frame_, o_.room_prefix, room, pl, o_.size, run_tag_,
                        named_);
      tally_.on_resend(k, pl.seq);
      pool_.send(j, frame_);
      return;
    }
    auto& p = pubs_[k];
    if (!publishing() || p.due == 0)
      return;
    --p.due;
    payload pl{static_cast<std::uint32_t>(k), p.next_seq++, now};
    build_h2h_message(frame_, o_.room_prefix, room, pl, o_.size, run_tag_,
                      named_);
    tally_.on_publish(k, pl.seq, now);
    pool_.send(j, frame_);
  }

  int finish_report();

  const bench_options& o_;
  std::size_t n_, survivors_;
  asio::io_context ioc_{1};
  ws_pool pool_;
  failover_tally tally_;
  bool named_;
  std::vector<bool> entered_, open_, enter_pending_;
  std::vector<publisher> pubs_;
  std::vector<std::unique_ptr<asio::steady_timer>> retry_, enter_timers_;
  asio::steady_timer phase_timer_, poll_timer_, deadline_;
  asio::signal_set signals_;
  clock_type::duration interval_{};
  std::string frame_;
  const std::string run_tag_ = make_run_tag();
  phase phase_ = phase::connecting;
  clock_type::time_point start_, kill_time_;
  std::size_t entered_count_ = 0, gave_up_ = 0;
  std::vector<std::optional<double>> cpu0_;
  double self_cpu0_ = 0;
  std::string failure_, error_text_;
  failover_report report_;
};

int failover_run::finish_report() {
  auto& r = report_;
  r.receivers = o_.conns;
  r.publishers = o_.publishers;
  r.survivors = survivors_;
  r.rate = o_.rate;
  r.warmup_s = o_.warmup_s;
  r.after_s = o_.after_s;
  std::vector<std::optional<history_room>> history;
  if (tally_.kill_ns())
    history = read_history(o_);
  tally_.fill(r, history, run_tag_);
  for (std::size_t j = 0; j < n_ && r.stragglers.size() < 10; ++j)
    if (tally_.lost_at(j) && !tally_.caught_up(j)) {
      auto a = tally_.attempts(j);
      auto& u = o_.urls[a == 0 ? 0 : 1 + (j + a - 1) % survivors_];
      r.stragglers.push_back(tally_.describe(j) + ", last node " + u.host + ":"
                             + std::to_string(u.port));
    }
  if (r.first_error.empty())
    r.first_error = error_text_;
  if (!tally_.kill_ns())
    fail("the victim was not killed");
  else if (r.gave_up > 0)
    fail(std::to_string(r.gave_up) + " receiver(s) gave up reconnecting");
  else if (r.back < r.lost_connection || r.caught_up < r.back)
    fail(std::to_string(r.lost_connection - r.caught_up)
         + " receiver(s) did not come back and catch up");
  else if (!r.history_checked)
    fail("the history could not be read");
  r.completed = failure_.empty();
  r.failure = failure_;
  print_report(o_.json, to_json(r).dump(), to_text(r));
  std::cerr << summary_line(r) << '\n';
  if (!r.completed)
    std::cerr << "h2h-bench failover: incomplete run: " << r.failure << '\n';
  return r.completed ? exit_ok : exit_incomplete;
}

} // namespace

int run_failover(const std::vector<std::string>& args) {
  static constexpr std::string_view summary
    = "Receivers connect to the first --url (the victim) and enter their\n"
      "rooms; publishers on the other nodes send at a paced rate. After the\n"
      "warm-up the victim (--kill-pid) gets SIGKILL; every receiver "
      "reconnects\n"
      "to a survivor (round robin, bounded attempts with back-off) and ENTERs\n"
      "with lastSeq. Reports, from the kill, when clients reconnected,\n"
      "entered and caught up (first/p50/p99/max), gaps and duplicates\n"
      "against the rooms' history, and the publishers' refusals and stall.";
  auto parsed = parse_failover(args);
  if (auto rc = handle_help_and_errors("failover", summary,
                                       failover_option_specs(), parsed))
    return *rc;
  auto& o = parsed.options;
  if (auto name = process_name(*o.kill_pid); name != "h2hd") {
    std::cerr << "h2h-bench failover: --kill-pid " << *o.kill_pid << " is "
              << (name.empty() ? "no running process" : "'" + name + "'")
              << ", not h2hd: refusing to kill it\n";
    return exit_usage;
  }
  auto cfg = make_pool_config(o);
  if (!cfg)
    return exit_usage;
  failover_run run{o, std::move(*cfg), find_owners(o)};
  return run.run();
}

} // namespace h2h::bench
