// h2h-bench history: durable messages per second through the persistence
// actor, batched and one per transaction, side by side.
#include "history.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <unordered_map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/store/persistence_actor.hpp"
#include "actors/vocabulary/types.hpp"
#include "persistence/sql/sql_store.hpp"

namespace h2h::bench {

namespace {

using clock_type = std::chrono::steady_clock;

struct history_options {
  std::string store = "sqlite";
  std::string sqlite_path = "/tmp/h2h-bench-history.db";
  std::string mysql_url;
  std::uint64_t messages = 200000;
  std::uint64_t single_messages = 5000;
  std::uint64_t rooms = 10;
  std::uint64_t size = 100;
  std::uint64_t batch_max = 512;
  std::uint64_t batch_window_ms = 2;
  std::uint64_t window = 8192;
  std::uint64_t max_seconds = 120;
  bool json = false;
};

const char* usage
  = "usage: h2h-bench history --store sqlite|mysql [--sqlite-path FILE]\n"
    "         [--mysql-url mysql://user:pass@127.0.0.1:PORT/db]\n"
    "         [--messages N] [--single-messages N] [--rooms R] [--size B]\n"
    "         [--batch-max N] [--batch-window-ms T] [--window W]\n"
    "         [--max-seconds S] [--json]\n"
    "Appends N messages through the persistence actor batched (up to\n"
    "--batch-max per transaction) and --single-messages with one message\n"
    "per transaction, into a real store, and reports both rates and the\n"
    "commit latency (append -> committed) percentiles.\n";

bool parse_number(const std::string& text, std::uint64_t& out) {
  auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc{} && r.ptr == text.data() + text.size()
         && !text.empty();
}

std::optional<std::string> parse(const std::vector<std::string>& args,
                                 history_options& o) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--json") {
      o.json = true;
      continue;
    }
    if (i + 1 >= args.size())
      return "missing value for " + a;
    const auto& v = args[++i];
    std::uint64_t* num = nullptr;
    if (a == "--store")
      o.store = v;
    else if (a == "--sqlite-path")
      o.sqlite_path = v;
    else if (a == "--mysql-url")
      o.mysql_url = v;
    else if (a == "--messages")
      num = &o.messages;
    else if (a == "--single-messages")
      num = &o.single_messages;
    else if (a == "--rooms")
      num = &o.rooms;
    else if (a == "--size")
      num = &o.size;
    else if (a == "--batch-max")
      num = &o.batch_max;
    else if (a == "--batch-window-ms")
      num = &o.batch_window_ms;
    else if (a == "--window")
      num = &o.window;
    else if (a == "--max-seconds")
      num = &o.max_seconds;
    else
      return "unknown option " + a;
    if (num && !parse_number(v, *num))
      return "not a number for " + a + ": " + v;
  }
  if (o.store != "sqlite" && o.store != "mysql")
    return "--store must be sqlite or mysql";
  if (o.store == "mysql") {
    auto at = o.mysql_url.rfind('@');
    auto host = at == std::string::npos ? "" : o.mysql_url.substr(at + 1);
    if (host.rfind("127.", 0) != 0 && host.rfind("localhost", 0) != 0)
      return "--mysql-url must point to a loopback address";
  }
  if (o.messages == 0 || o.messages > 10'000'000 || o.rooms == 0
      || o.rooms > 100000 || o.size > 65536 || o.batch_max == 0
      || o.batch_max > 100000 || o.window == 0 || o.max_seconds == 0
      || o.max_seconds > 3600 || o.single_messages > 1'000'000)
    return "a number is out of range";
  return std::nullopt;
}

struct run_result {
  std::uint64_t messages = 0;
  double seconds = 0;
  double per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  std::uint64_t batches = 0;
  bool complete = false;
};

double percentile(std::vector<double>& xs, double p) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  // Nearest rank.
  auto rank = static_cast<std::size_t>(p / 100.0 * xs.size() + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, xs.size());
  return xs[rank - 1];
}

/// Appends `count` messages through a fresh persistence actor and measures.
run_result run_mode(const history_options& o, const store_factory& open,
                    std::uint64_t count, std::size_t batch_max,
                    std::chrono::milliseconds window, const std::string& tag) {
  actor_config cfg;
  cfg.set("scheduler.max-threads", std::size_t{2});
  caf::actor_system sys{cfg};
  persistence_settings ps;
  ps.batch_max = batch_max;
  ps.batch_window = window;
  auto persist = sys.spawn(persistence, open, ps);
  caf::scoped_actor self{sys};
  std::string pad(o.size, 'x');
  auto run_id
    = std::to_string(clock_type::now().time_since_epoch().count() % 1000000000);
  // Each room needs a row and a seq base, as a room actor would load.
  for (std::uint64_t r = 0; r < o.rooms; ++r)
    self
      ->request(persist, std::chrono::seconds{30}, load_atom_v,
                "hb-" + tag + "-" + run_id + "-" + std::to_string(r),
                std::uint64_t{0})
      .receive([](room_snapshot&) {},
               [&](caf::error& e) {
                 throw std::runtime_error("load failed: " + sys.render(e));
               });
  std::vector<std::uint64_t> next_seq(o.rooms, 0);
  std::unordered_map<std::uint64_t, clock_type::time_point> sent_at;
  std::vector<double> latencies;
  latencies.reserve(count);
  std::uint64_t sent = 0, acked = 0;
  auto deadline = clock_type::now() + std::chrono::seconds{o.max_seconds};
  auto start = clock_type::now();
  while (acked < count && clock_type::now() < deadline) {
    while (sent < count && sent - acked < o.window) {
      auto r = sent % o.rooms;
      room_event ev;
      ev.room_id = "hb-" + tag + "-" + run_id + "-" + std::to_string(r);
      ev.seq = ++next_seq[r];
      ev.sender = "bench";
      ev.text = pad;
      ev.ts_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
      ev.client_msg_id = std::to_string(sent);
      sent_at.emplace(sent, clock_type::now());
      self->send(persist, append_atom_v, std::move(ev));
      ++sent;
    }
    self->receive(
      [&](publish_ack& ack) {
        (void)ack;
        // Replies come back in the order the appends were sent.
        auto i = sent_at.find(acked);
        if (i != sent_at.end()) {
          latencies.push_back(std::chrono::duration<double, std::milli>(
                                clock_type::now() - i->second)
                                .count());
          sent_at.erase(i);
        }
        ++acked;
      },
      [&](caf::error& e) {
        throw std::runtime_error("append failed: " + sys.render(e));
      },
      caf::after(std::chrono::seconds{10}) >>
        [&] { throw std::runtime_error("no commit for 10 s"); });
  }
  run_result out;
  out.seconds
    = std::chrono::duration<double>(clock_type::now() - start).count();
  out.messages = acked;
  out.per_second = out.seconds > 0 ? acked / out.seconds : 0;
  out.complete = acked == count;
  out.p50_ms = percentile(latencies, 50);
  out.p99_ms = percentile(latencies, 99);
  out.max_ms = latencies.empty() ? 0 : latencies.back();
  self->send_exit(persist, caf::exit_reason::user_shutdown);
  return out;
}

nlohmann::json to_json(const run_result& r) {
  return {{"messages", r.messages},
          {"seconds", r.seconds},
          {"messages_per_second", r.per_second},
          {"commit_p50_ms", r.p50_ms},
          {"commit_p99_ms", r.p99_ms},
          {"commit_max_ms", r.max_ms},
          {"complete", r.complete}};
}

} // namespace

int run_history(const std::vector<std::string>& args) {
  history_options o;
  for (auto& a : args)
    if (a == "--help" || a == "-h") {
      std::cout << usage;
      return 0;
    }
  if (auto problem = parse(args, o)) {
    std::cerr << "h2h-bench history: " << *problem << "\n" << usage;
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  store_factory open;
  try {
    open = make_store_factory(o.store, o.sqlite_path, o.mysql_url);
    open()->migrate();
  } catch (const std::exception& e) {
    std::cerr << "h2h-bench history: cannot open the store: " << e.what()
              << "\n";
    return 1;
  }
  run_result batched, single;
  try {
    batched = run_mode(o, open, o.messages, o.batch_max,
                       std::chrono::milliseconds{o.batch_window_ms}, "b");
    single = o.single_messages == 0
               ? run_result{}
               : run_mode(o, open, o.single_messages, 1,
                          std::chrono::milliseconds{0}, "s");
  } catch (const std::exception& e) {
    std::cerr << "h2h-bench history: " << e.what() << "\n";
    return 1;
  }
  double ratio
    = single.per_second > 0 ? batched.per_second / single.per_second : 0;
  if (o.json) {
    nlohmann::json j{{"store", o.store},
                     {"size_bytes", o.size},
                     {"rooms", o.rooms},
                     {"batch_max", o.batch_max},
                     {"batch_window_ms", o.batch_window_ms},
                     {"batched", to_json(batched)},
                     {"one_per_transaction", to_json(single)},
                     {"speedup", ratio}};
    std::cout << j.dump() << "\n";
  } else {
    std::printf("store %s, %llu-byte messages over %llu rooms\n",
                o.store.c_str(), static_cast<unsigned long long>(o.size),
                static_cast<unsigned long long>(o.rooms));
    auto line = [](const char* name, const run_result& r) {
      std::printf("%-22s %9llu msgs in %7.2f s = %10.0f msgs/s; commit "
                  "p50 %.2f ms p99 %.2f ms max %.2f ms%s\n",
                  name, static_cast<unsigned long long>(r.messages), r.seconds,
                  r.per_second, r.p50_ms, r.p99_ms, r.max_ms,
                  r.complete ? "" : " (INCOMPLETE)");
    };
    line("batched", batched);
    line("one per transaction", single);
    std::printf("batched / one per transaction: %.1fx\n", ratio);
  }
  return batched.complete && (o.single_messages == 0 || single.complete) ? 0
                                                                         : 1;
}

} // namespace h2h::bench
