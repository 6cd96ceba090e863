// h2h-push-bench: issue 15's measurement. Starts a fake FCM + OAuth2
// provider (push_bench_provider.hpp) and a real h2hd pointed at it, makes
// one room whose members all have a device and no session in it, and has
// one live member publish into it:
//  - push phase: pushes/s the provider receives (what the sender sustains);
//  - chat phase: h2h-bench fanout (live receivers in other rooms) runs while
//    the push room keeps publishing; its latency is the chat's.
// Run with --push off, with a fast provider and with a slow one to see
// whether the provider moves the chat (scripts/bench.sh push).
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

// First: its http_request struct would be hidden by process.hpp's
// http_request() function.
#include "push_bench_provider.hpp"

#include "../net/outbound/rsa_test_keys.hpp"
#include "accounts.hpp"
#include "h2h-bench/proc_stats.hpp"
#include "run_child.hpp"
#include "push_bench_options.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

double round3(double x) {
  return std::round(x * 1000) / 1000;
}

void say(const std::string& line) {
  std::cerr << "push-bench: " << line << std::endl;
}

/// The h2h_push_* samples of h2hd's /metrics ({} when push is off).
std::map<std::string, double> push_metrics(const server_process& srv) {
  std::map<std::string, double> out;
  std::istringstream in{rest(srv.metrics_port(), "GET", "/metrics").raw};
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("h2h_push_", 0) != 0)
      continue;
    auto sp = line.rfind(' ');
    if (sp != std::string::npos)
      out[line.substr(0, sp)] = std::atof(line.c_str() + sp + 1);
  }
  return out;
}

double delta(const std::map<std::string, double>& a,
             const std::map<std::string, double>& b, const std::string& key) {
  auto x = a.find(key), y = b.find(key);
  return (y == b.end() ? 0 : y->second) - (x == a.end() ? 0 : x->second);
}

/// One member of the push room.
struct seeded {
  member m;
  std::string device;
};

/// Signs up `n` members (4 threads), gives each a device token and adds
/// them to `room`, owned by `owner`.
std::vector<seeded> seed_members(std::uint16_t port, int n, const member& owner,
                                 const std::string& room) {
  std::vector<seeded> all(static_cast<std::size_t>(n));
  std::mutex mtx;
  std::string failure;
  auto work = [&](int from, int step) {
    try {
      for (int i = from; i < n; i += step) {
        auto& s = all[static_cast<std::size_t>(i)];
        s.m = sign_up_unverified(port, "pm" + std::to_string(i));
        s.device = "bench-device-" + std::to_string(i);
        auto d = rest(port, "POST", "/member/device",
                      json{{"token", s.device}, {"platform", "android"}},
                      s.m.access_token);
        auto a = rest(port, "POST", "/chat/room/" + room + "/members",
                      json{{"member_id", s.m.id}}, owner.access_token);
        if (d.status != 201 || a.status != 201)
          throw std::runtime_error("seeding member " + std::to_string(i)
                                   + ": device " + d.raw + ", member " + a.raw);
      }
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> guard{mtx};
      failure = e.what();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back(work, t, 4);
  for (auto& t : threads)
    t.join();
  if (!failure.empty())
    throw std::runtime_error(failure);
  return all;
}

/// The push room's one live member, publishing at a rate that may change.
class publisher {
public:
  publisher(std::uint16_t port, const member& owner, std::string room)
    : ws_(port, with_header_token(owner.access_token)),
      room_(std::move(room)),
      name_(owner.nickname) {
    ws_.send_json(enter_frame(room_, name_));
    if (!ws_.recv_where(
          [](const json& j) { return j.value("type", "") == "ENTER"; }))
      throw std::runtime_error("the publisher could not enter the push room");
    thread_ = std::thread{[this] { run(); }};
  }

  ~publisher() {
    stop();
  }

  void set_rate(double per_s) {
    rate_.store(per_s);
  }

  void stop() {
    stopping_ = true;
    if (thread_.joinable())
      thread_.join();
  }

  std::uint64_t sent() const {
    return sent_.load();
  }

  json report() const {
    return {{"sent", sent_.load()},
            {"acked", acked_.load()},
            {"ack_missing", sent_.load() - acked_.load()}};
  }

  /// The ACK latencies since the last call (p50, p99, max in ms), and a
  /// fresh start for the next phase.
  json take_acks() {
    std::vector<double> v;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      v.swap(ack_ms_);
    }
    if (v.empty())
      return {{"acks", 0}};
    std::sort(v.begin(), v.end());
    auto rank = [&](double q) {
      auto i = static_cast<std::size_t>(std::ceil(q * v.size()));
      return round3(v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)]);
    };
    return {{"acks", v.size()},
            {"ack_p50_ms", rank(0.5)},
            {"ack_p99_ms", rank(0.99)},
            {"ack_max_ms", round3(v.back())}};
  }

private:
  void run() {
    auto next = clock_type::now();
    while (!stopping_) {
      auto rate = rate_.load();
      if (rate <= 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
        next = clock_type::now();
        continue;
      }
      std::this_thread::sleep_until(next);
      next += std::chrono::microseconds{static_cast<long>(1e6 / rate)};
      auto n = sent_.load() + 1;
      auto at = clock_type::now();
      if (!ws_.send_json(message_frame(room_, name_,
                                       "push bench " + std::to_string(n),
                                       "pb-" + std::to_string(n))))
        break;
      sent_ = n;
      if (ws_.recv_where(
            [](const json& j) { return j.value("type", "") == "ACK"; })) {
        ++acked_;
        std::lock_guard<std::mutex> guard{mtx_};
        if (ack_ms_.size() < max_samples)
          ack_ms_.push_back(seconds_since(at) * 1000);
      }
      if (clock_type::now() > next + std::chrono::seconds{1})
        next = clock_type::now(); // fell behind: do not burst to catch up
    }
  }

  ws_client ws_;
  std::string room_;
  std::string name_;
  std::atomic<double> rate_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> acked_{0};
  /// ACK latencies of the current phase (bounded: 200/s for a minute).
  static constexpr std::size_t max_samples = 12000;
  mutable std::mutex mtx_;
  std::vector<double> ack_ms_;
  std::thread thread_;
};

/// A point in time of everything a phase compares.
struct snapshot {
  clock_type::time_point at = clock_type::now();
  std::uint64_t pushes = 0;
  std::uint64_t messages = 0;
  double h2hd_cpu_s = 0;
  double self_cpu_s = 0;
  std::map<std::string, double> metrics;
};

snapshot take(const push_bench_provider* provider, const publisher& pub,
              const server_process& srv) {
  snapshot s;
  s.pushes = provider ? provider->pushes() : 0;
  s.messages = pub.sent();
  s.h2hd_cpu_s = h2h::bench::process_cpu_seconds(srv.pid()).value_or(0);
  s.self_cpu_s = h2h::bench::self_cpu_seconds();
  s.metrics = push_metrics(srv);
  return s;
}

/// What happened between two snapshots.
json between(const snapshot& a, const snapshot& b) {
  auto dt = std::chrono::duration<double>(b.at - a.at).count();
  auto pushes = static_cast<double>(b.pushes - a.pushes);
  auto cpu = b.h2hd_cpu_s - a.h2hd_cpu_s;
  return {
    {"window_s", round3(dt)},
    {"messages", b.messages - a.messages},
    {"pushes", b.pushes - a.pushes},
    {"pushes_per_s", round3(pushes / dt)},
    {"h2hd_cpu_s", round3(cpu)},
    {"pushes_per_h2hd_cpu_s", cpu > 0 ? json(round3(pushes / cpu)) : json()},
    {"bench_cpu_s", round3(b.self_cpu_s - a.self_cpu_s)},
    {"sent", delta(a.metrics, b.metrics, "h2h_push_sent_total")},
    {"dropped", delta(a.metrics, b.metrics, "h2h_push_dropped_total")},
    {"coalesced", delta(a.metrics, b.metrics, "h2h_push_coalesced_total")},
    {"failed_retries",
     delta(a.metrics, b.metrics, "h2h_push_failed_total{reason=\"retries\"}")},
    {"queue_end", delta({}, b.metrics, "h2h_push_queue")},
  };
}

std::vector<std::string> server_args(const push_bench_options& o,
                                     const temp_dir& dir,
                                     const push_bench_provider* provider) {
  std::vector<std::string> more{
    "--log-level", "warn", "--auth.required", "false",
    "--auth.require_email_verification", "false",
    "--limits.max_connections", "60000", "--limits.connections_per_address",
    "60000", "--limits.messages_per_second", "100000",
    "--limits.message_burst", "100000", "--limits.login_attempts", "100000"};
  if (provider) {
    auto creds = dir.path() + "/fcm.json";
    std::ofstream{creds} << service_account_json(
      push_bench_provider::email, make_rsa_pair().private_pem,
      provider->token_uri(), push_bench_provider::project);
    more.insert(more.end(),
                {"--push.fcm_credentials", creds, "--push.fcm_endpoint",
                 provider->endpoint(), "--push.fcm_token_uri",
                 provider->token_uri(), "--push.coalesce_ms",
                 std::to_string(o.coalesce_ms)});
  }
  more.insert(more.end(), o.server_args.begin(), o.server_args.end());
  return with_accounts(local_args(dir, more));
}

json run(const push_bench_options& o) {
  auto started = clock_type::now();
  std::unique_ptr<push_bench_provider> provider;
  if (o.push)
    provider = std::make_unique<push_bench_provider>(
      std::chrono::milliseconds{o.provider_delay_ms});
  temp_dir dir;
  server_process srv{o.h2hd, server_args(o, dir, provider.get())};
  say("h2hd pid " + std::to_string(srv.pid()) + " on port "
      + std::to_string(srv.port()));

  auto owner = sign_up_unverified(srv.port(), "pushowner");
  auto made = rest(srv.port(), "POST", "/chat/room",
                   json{{"name", "Push bench"}}, owner.access_token);
  if (made.status != 201)
    throw std::runtime_error("POST /chat/room: " + made.raw);
  auto room = made.body.value("roomId", "");
  auto members = seed_members(srv.port(), o.members, owner, room);
  auto setup_s = seconds_since(started);
  say(std::to_string(members.size()) + " members seeded in "
      + std::to_string(setup_s) + " s");

  publisher pub{srv.port(), owner, room};
  json report{{"mode", "push"},
              {"push", o.push},
              {"provider_delay_ms", o.provider_delay_ms},
              {"members", o.members},
              {"coalesce_ms", o.coalesce_ms},
              {"setup_s", round3(setup_s)}};

  if (o.push_duration_s > 0) {
    pub.set_rate(o.push_rate);
    std::this_thread::sleep_for(std::chrono::duration<double>(o.push_warmup_s));
    pub.take_acks();
    auto a = take(provider.get(), pub, srv);
    std::this_thread::sleep_for(
      std::chrono::duration<double>(o.push_duration_s));
    auto b = take(provider.get(), pub, srv);
    auto phase = between(a, b);
    phase["publisher"] = pub.take_acks();
    // Distinct (member, room) per window bound what may leave: at most one
    // push per member per window, and one per message when messages are
    // rarer than windows.
    phase["rate"] = o.push_rate;
    phase["demand_per_s"] = round3(
      o.members * std::min(o.push_rate, 1000.0 / o.coalesce_ms));
    report["push_phase"] = phase;
    say("push phase: " + phase["pushes_per_s"].dump() + " pushes/s");
  }

  if (!o.bench.empty()) {
    pub.set_rate(o.chat_push_rate);
    auto tokens = dir.path() + "/tokens";
    {
      std::ofstream f{tokens};
      for (auto& s : members)
        f << s.m.access_token << "\n";
    }
    pub.take_acks();
    auto a = take(provider.get(), pub, srv);
    auto wait = std::chrono::seconds{
      static_cast<long>(o.chat_warmup_s + o.chat_duration_s) + 60};
    auto child = run_child(
      o.bench,
      {"fanout", "--url",
       "ws://127.0.0.1:" + std::to_string(srv.port()) + "/message", "--conns",
       std::to_string(o.conns), "--rooms", std::to_string(o.rooms),
       "--publishers", std::to_string(o.publishers), "--rate",
       std::to_string(o.rate), "--duration", std::to_string(o.chat_duration_s),
       "--warmup", std::to_string(o.chat_warmup_s), "--token-file", tokens,
       "--server-pid", std::to_string(srv.pid()), "--json"},
      wait);
    auto b = take(provider.get(), pub, srv);
    auto phase = between(a, b);
    phase["publisher"] = pub.take_acks();
    phase["rate"] = o.chat_push_rate;
    auto fanout = json::parse(child.out, nullptr, false);
    phase["fanout_exit"] = child.exit_code;
    phase["fanout"] = fanout.is_discarded() ? json(child.out) : fanout;
    report["chat_phase"] = phase;
    if (!fanout.is_discarded())
      say("chat phase: p99 " + fanout.value("latency_p99_ms", json()).dump()
          + " ms");
  }
  pub.stop();
  report["publisher"] = pub.report();
  if (provider)
    report["provider"] = {{"max_concurrent", provider->max_concurrent()},
                          {"tokens_issued", provider->tokens()},
                          {"strays", provider->strays()}};
  report["total_s"] = round3(seconds_since(started));
  return report;
}

} // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  try {
    auto o = parse_push_bench(std::vector<std::string>(argv + 1, argv + argc));
    if (o.help) {
      std::cout << push_bench_usage();
      return 0;
    }
    std::cout << run(o).dump() << std::endl;
    return 0;
  } catch (const std::invalid_argument& e) {
    std::cerr << e.what() << push_bench_usage();
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "push-bench: " << e.what() << std::endl;
    return 1;
  }
}
