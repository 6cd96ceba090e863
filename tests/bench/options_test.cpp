// Unit tests of h2h-bench's command line: errors, loopback rule, URLs, tokens.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "h2h-bench/options.hpp"

using namespace h2h::bench;

namespace {

std::vector<std::string> fanout_args(std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"--url",        "ws://127.0.0.1:8080/message",
                             "--conns",      "100",
                             "--rooms",      "10",
                             "--publishers", "10",
                             "--rate",       "500",
                             "--duration",   "5"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

/// True if some error mentions `needle`.
bool mentions(const parse_result& r, std::string_view needle) {
  return std::any_of(
    r.errors.begin(), r.errors.end(),
    [&](const std::string& e) { return e.find(needle) != std::string::npos; });
}

} // namespace

TEST(options, complete_fanout_command_line_parses) {
  auto r
    = parse_fanout(fanout_args({"--warmup=1.5", "--size", "200", "--server-pid",
                                "42", "--proto", "plain", "--json"}));
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  auto& o = r.options;
  EXPECT_EQ(o.url.host, "127.0.0.1");
  EXPECT_EQ(o.url.port, 8080);
  EXPECT_EQ(o.url.target, "/message");
  EXPECT_EQ(o.conns, 100u);
  EXPECT_EQ(o.rooms, 10u);
  EXPECT_EQ(o.publishers, 10u);
  EXPECT_DOUBLE_EQ(o.rate, 500);
  EXPECT_DOUBLE_EQ(o.duration_s, 5);
  EXPECT_DOUBLE_EQ(o.warmup_s, 1.5);
  EXPECT_EQ(o.size, 200u);
  EXPECT_EQ(o.server_pid, 42);
  EXPECT_EQ(o.proto, protocol::plain);
  EXPECT_TRUE(o.json);
}

TEST(options, missing_url_is_reported_with_other_missing_options) {
  auto r = parse_fanout({"--conns", "10"});
  EXPECT_TRUE(mentions(r, "missing --url"));
  EXPECT_TRUE(mentions(r, "missing --rooms"));
  EXPECT_TRUE(mentions(r, "missing --duration"));
  EXPECT_TRUE(mentions(parse_idle({"--conns", "10"}), "missing --url"));
}

TEST(options, non_loopback_host_is_refused_without_allow_remote) {
  for (std::string url :
       {"ws://10.0.0.5:8080/message", "ws://example.com/message",
        "ws://[2001:db8::1]:80/"}) {
    auto args = fanout_args({"--url", url});
    auto r = parse_fanout(args);
    EXPECT_TRUE(mentions(r, "refusing non-loopback host")) << url;
    args.push_back("--allow-remote");
    EXPECT_TRUE(parse_fanout(args).errors.empty()) << url;
  }
  auto idle = parse_idle({"--url", "ws://192.168.1.1:80/", "--conns", "5"});
  EXPECT_TRUE(mentions(idle, "refusing non-loopback host"));
}

TEST(options, loopback_hosts) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.255.3.9"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("LocalHost"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_FALSE(is_loopback_host("128.0.0.1"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("localhost.example.com"));
  EXPECT_FALSE(is_loopback_host("::2"));
}

TEST(options, bad_numbers_are_refused) {
  auto bad = [](std::vector<std::string> extra, std::string_view needle) {
    auto r = parse_fanout(fanout_args(extra));
    EXPECT_TRUE(mentions(r, needle))
      << "for " << extra[0] << " " << extra[1] << ": "
      << (r.errors.empty() ? "no error" : r.errors.front());
  };
  bad({"--conns", "abc"}, "not a whole number");
  bad({"--conns", "12x"}, "not a whole number");
  bad({"--conns", "-3"}, "not a whole number");
  bad({"--conns", "0"}, "out of range");
  bad({"--conns", "60001"}, "out of range");
  bad({"--rate", "-1"}, "out of range");
  bad({"--rate", "nan"}, "not a number");
  bad({"--duration", "0"}, "longer than 0");
  bad({"--duration", "3601"}, "out of range");
  bad({"--size", "10"}, "out of range");
  bad({"--server-pid", "0"}, "out of range");
  bad({"--proto", "mqtt"}, "expected raw (or h2h), stomp or plain");
  bad({"--rooms", "101", "--conns", "100"}, "--rooms must not exceed");
  bad({"--publishers", "101", "--conns", "100"},
      "--publishers must not exceed");
  bad({"--bogus", "1"}, "unknown option");
  bad({"--json=yes", "x"}, "takes no value");
  EXPECT_TRUE(mentions(parse_fanout({"--url"}), "needs a value"));
  // Options of another subcommand are unknown here.
  EXPECT_TRUE(mentions(
    parse_idle({"--url", "ws://127.0.0.1:1/", "--conns", "1", "--rate", "5"}),
    "unknown option"));
}

TEST(options, help_wins_over_missing_options) {
  auto r = parse_fanout({"--help"});
  EXPECT_TRUE(r.options.help);
  EXPECT_TRUE(r.errors.empty());
  auto text = usage("fanout", "summary", fanout_option_specs());
  for (auto& s : fanout_option_specs())
    EXPECT_NE(text.find(s.name), std::string::npos) << s.name;
}

TEST(options, idle_defaults_and_sources) {
  auto r = parse_idle({"--url", "ws://localhost:9/message", "--conns", "50",
                       "--sources", "127.0.0.2-127.0.0.4"});
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_DOUBLE_EQ(r.options.hold_s, 2);
  EXPECT_EQ(r.options.sources,
            (std::vector<std::string>{"127.0.0.2", "127.0.0.3", "127.0.0.4"}));
  std::vector<std::string> out;
  EXPECT_FALSE(parse_source_range("127.0.0.9", out));
  EXPECT_EQ(out, std::vector<std::string>{"127.0.0.9"});
  EXPECT_TRUE(parse_source_range("127.0.0.9-127.0.0.2", out));
  EXPECT_TRUE(parse_source_range("127.0.0.1-127.0.255.255", out));
  EXPECT_TRUE(parse_source_range("somehost", out));
}

TEST(options, ws_urls) {
  ws_url u;
  EXPECT_FALSE(parse_ws_url("ws://127.0.0.1", u));
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.target, "/");
  EXPECT_FALSE(parse_ws_url("ws://[::1]:9000/message?x=1", u));
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 9000);
  EXPECT_EQ(u.target, "/message?x=1");
  EXPECT_FALSE(parse_ws_url("ws://localhost:1?y", u));
  EXPECT_EQ(u.target, "/?y");
  EXPECT_TRUE(parse_ws_url("wss://127.0.0.1/", u));
  EXPECT_TRUE(parse_ws_url("http://127.0.0.1/", u));
  EXPECT_TRUE(parse_ws_url("ws://:80/", u));
  EXPECT_TRUE(parse_ws_url("ws://127.0.0.1:99999/", u));
  EXPECT_TRUE(parse_ws_url("ws://127.0.0.1:/", u));
  EXPECT_TRUE(parse_ws_url("ws://[::1/", u));
}

TEST(options, tokens_from_file_and_on_the_upgrade_url) {
  char path[] = "/tmp/h2h-bench-tokens-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream f{path};
    f << "tok-1\r\n\nab+c/=\n";
  }
  auto tokens = load_tokens(path);
  unlink(path);
  ASSERT_TRUE(tokens);
  EXPECT_EQ(*tokens, (std::vector<std::string>{"tok-1", "ab+c/="}));
  EXPECT_FALSE(load_tokens("/nonexistent/h2h-bench-tokens"));
  EXPECT_EQ(target_with_token("/message", "tok-1"),
            "/message?access_token=tok-1");
  EXPECT_EQ(target_with_token("/message?a=b", "ab+c/="),
            "/message?a=b&access_token=ab%2Bc%2F%3D");
}

TEST(options, one_url_and_pid_keep_their_single_server_meaning) {
  auto r = parse_fanout(fanout_args({"--server-pid", "42"}));
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  ASSERT_EQ(r.options.urls.size(), 1u);
  EXPECT_EQ(r.options.urls[0].port, 8080);
  EXPECT_EQ(r.options.server_pids, std::vector<int>{42});
  EXPECT_EQ(r.options.room_prefix, "bench-");
}

TEST(options, several_urls_and_server_pids_in_order) {
  auto r = parse_fanout(fanout_args({"--url", "ws://127.0.0.1:8081/message",
                                     "--url=ws://localhost:"
                                     "8082/ws",
                                     "--server-pid", "11", "--server-pid=12",
                                     "--server-pid", "13"}));
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  auto& o = r.options;
  ASSERT_EQ(o.urls.size(), 3u);
  EXPECT_EQ(o.urls[0].port, 8080);
  EXPECT_EQ(o.urls[1].port, 8081);
  EXPECT_EQ(o.urls[2].host, "localhost");
  EXPECT_EQ(o.urls[2].target, "/ws");
  EXPECT_EQ(o.url.port, 8080); // the first stays the primary
  EXPECT_EQ(o.server_pids, (std::vector<int>{11, 12, 13}));
  EXPECT_EQ(o.server_pid, 11);
}

TEST(options, urls_list_replaces_the_required_url) {
  auto r = parse_fanout({"--urls",
                         "ws://127.0.0.1:1/message,ws://127.0.0.1:2/message",
                         "--conns", "10", "--rooms", "2", "--publishers", "2",
                         "--rate", "10", "--duration", "1"});
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  ASSERT_EQ(r.options.urls.size(), 2u);
  EXPECT_EQ(r.options.urls[1].port, 2);
  for (std::string bad : {"", "ws://127.0.0.1:1/,", ",ws://127.0.0.1:1/",
                          "ws://127.0.0.1:1/,http://x/"})
    EXPECT_FALSE(parse_fanout(fanout_args({"--urls", bad})).errors.empty())
      << bad;
}

TEST(options, every_url_must_be_loopback) {
  auto args = fanout_args({"--url", "ws://10.0.0.5:8080/message"});
  EXPECT_TRUE(mentions(parse_fanout(args), "'10.0.0.5'"));
  args.push_back("--allow-remote");
  EXPECT_TRUE(parse_fanout(args).errors.empty());
}

TEST(options, server_and_pid_counts_are_bounded) {
  std::vector<std::string> extra;
  for (std::size_t k = 0; k < max_servers; ++k)
    extra.insert(extra.end(), {"--server-pid", std::to_string(k + 1)});
  EXPECT_TRUE(parse_fanout(fanout_args(extra)).errors.empty());
  extra.insert(extra.end(), {"--server-pid", "99"});
  EXPECT_TRUE(mentions(parse_fanout(fanout_args(extra)), "more than"));
  std::string list = "ws://127.0.0.1:1/";
  for (std::size_t k = 0; k < max_servers; ++k)
    list += ",ws://127.0.0.1:1/";
  EXPECT_TRUE(
    mentions(parse_fanout(fanout_args({"--urls", list})), "more than"));
}

TEST(options, idle_takes_a_single_server) {
  auto base
    = std::vector<std::string>{"--url", "ws://127.0.0.1:1/", "--conns", "5"};
  EXPECT_TRUE(parse_idle(base).errors.empty());
  auto two = base;
  two.insert(two.end(), {"--url", "ws://127.0.0.1:2/"});
  EXPECT_TRUE(mentions(parse_idle(two), "idle takes one --url"));
  auto pids = base;
  pids.insert(pids.end(), {"--server-pid", "1", "--server-pid", "2"});
  EXPECT_TRUE(mentions(parse_idle(pids), "idle takes one --server-pid"));
}

TEST(options, room_prefix) {
  auto r = parse_fanout(fanout_args({"--room-prefix", "own.n2_"}));
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.options.room_prefix, "own.n2_");
  for (std::string bad :
       std::vector<std::string>{"", "a\"b", "a b", "r/x", std::string(41, 'r')})
    EXPECT_TRUE(mentions(parse_fanout(fanout_args({"--room-prefix", bad})),
                         "--room-prefix"))
      << bad;
}

namespace {

std::vector<std::string> failover_args(std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"--url",      "ws://127.0.0.1:8001/message",
                             "--url",      "ws://127.0.0.1:8002/message",
                             "--kill-pid", "4242"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

} // namespace

TEST(failover_options, defaults_are_the_issues_figure) {
  auto r = parse_failover(failover_args());
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  auto& o = r.options;
  ASSERT_EQ(o.urls.size(), 2u);
  EXPECT_EQ(o.urls[0].port, 8001); // the victim
  EXPECT_EQ(o.urls[1].port, 8002);
  EXPECT_EQ(o.kill_pid, 4242);
  EXPECT_EQ(o.conns, 1000u);
  EXPECT_EQ(o.rooms, 10u);
  EXPECT_EQ(o.publishers, 10u);
  EXPECT_DOUBLE_EQ(o.rate, 200);
  EXPECT_DOUBLE_EQ(o.after_s, 10);
  EXPECT_EQ(o.reconnect_attempts, 10u);
  EXPECT_DOUBLE_EQ(o.reconnect_limit_s, 30);
  EXPECT_DOUBLE_EQ(o.backoff_ms, 50);
  EXPECT_DOUBLE_EQ(o.enter_timeout_s, 2);
  EXPECT_EQ(o.room_prefix, "bench-");
}

TEST(failover_options, every_option_is_read) {
  auto r = parse_failover(failover_args({"--url",
                                         "ws://127.0.0.1:8003/message",
                                         "--conns",
                                         "300",
                                         "--rooms",
                                         "3",
                                         "--publishers",
                                         "6",
                                         "--rate",
                                         "50",
                                         "--warmup",
                                         "4",
                                         "--after=12.5",
                                         "--reconnect-attempts",
                                         "5",
                                         "--reconnect-limit",
                                         "7",
                                         "--backoff-ms",
                                         "0",
                                         "--enter-timeout",
                                         "0.5",
                                         "--room-prefix",
                                         "own-n1-",
                                         "--server-pid",
                                         "11",
                                         "--server-pid",
                                         "12",
                                         "--size",
                                         "80",
                                         "--json"}));
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  auto& o = r.options;
  EXPECT_EQ(o.urls.size(), 3u);
  EXPECT_EQ(o.conns, 300u);
  EXPECT_EQ(o.rooms, 3u);
  EXPECT_EQ(o.publishers, 6u);
  EXPECT_DOUBLE_EQ(o.rate, 50);
  EXPECT_DOUBLE_EQ(o.warmup_s, 4);
  EXPECT_DOUBLE_EQ(o.after_s, 12.5);
  EXPECT_EQ(o.reconnect_attempts, 5u);
  EXPECT_DOUBLE_EQ(o.reconnect_limit_s, 7);
  EXPECT_DOUBLE_EQ(o.backoff_ms, 0);
  EXPECT_DOUBLE_EQ(o.enter_timeout_s, 0.5);
  EXPECT_EQ(o.room_prefix, "own-n1-");
  EXPECT_EQ(o.server_pids, (std::vector<int>{11, 12}));
  EXPECT_EQ(o.size, 80u);
  EXPECT_TRUE(o.json);
}

TEST(failover_options, victim_survivor_and_kill_pid_are_required) {
  auto none = parse_failover({});
  EXPECT_TRUE(mentions(none, "missing --url"));
  EXPECT_TRUE(mentions(none, "missing --kill-pid"));
  auto one = parse_failover(
    {"--url", "ws://127.0.0.1:8001/message", "--kill-pid", "42"});
  EXPECT_TRUE(mentions(one, "at least one survivor"));
  // --urls stands in for --url.
  auto list = parse_failover(
    {"--urls", "ws://127.0.0.1:1/message,ws://127.0.0.1:2/message",
     "--kill-pid", "42"});
  EXPECT_TRUE(list.errors.empty());
}

TEST(failover_options, bounds_and_bad_values_are_refused) {
  EXPECT_TRUE(
    mentions(parse_failover(failover_args({"--kill-pid", "1"})), "--kill-pid"));
  EXPECT_TRUE(mentions(parse_failover(failover_args({"--kill-pid", "x"})),
                       "not a whole number"));
  EXPECT_TRUE(mentions(parse_failover(failover_args({"--after", "0.5"})),
                       "at least 1 s"));
  EXPECT_TRUE(
    mentions(parse_failover(failover_args({"--reconnect-attempts", "0"})),
             "out of range"));
  EXPECT_TRUE(
    mentions(parse_failover(failover_args({"--reconnect-attempts", "1001"})),
             "out of range"));
  EXPECT_TRUE(mentions(
    parse_failover(failover_args({"--reconnect-limit", "0"})), "longer than"));
  EXPECT_TRUE(mentions(parse_failover(failover_args({"--backoff-ms", "-1"})),
                       "--backoff-ms"));
  EXPECT_TRUE(mentions(parse_failover(failover_args({"--enter-timeout", "0"})),
                       "longer than"));
  EXPECT_TRUE(mentions(parse_failover(failover_args({"--rate", "0"})),
                       "--rate must be above 0"));
  EXPECT_TRUE(
    mentions(parse_failover(failover_args({"--conns", "5", "--rooms", "6"})),
             "--rooms must not exceed --conns"));
  EXPECT_TRUE(mentions(
    parse_failover(failover_args({"--rooms", "10", "--publishers", "5"})),
    "--publishers must be at least --rooms"));
  EXPECT_TRUE(mentions(parse_failover(failover_args({"--duration", "5"})),
                       "unknown option '--duration'"));
  EXPECT_TRUE(mentions(parse_failover(failover_args({"--proto", "stomp"})),
                       "unknown option '--proto'"));
}

TEST(failover_options, survivors_must_be_loopback_too) {
  auto r = parse_failover(failover_args({"--url", "ws://10.1.2.3:80/message"}));
  EXPECT_TRUE(mentions(r, "refusing non-loopback host"));
  auto help = parse_failover({"--help"});
  EXPECT_TRUE(help.options.help);
  EXPECT_TRUE(help.errors.empty());
  auto text = usage("failover", "x", failover_option_specs());
  EXPECT_NE(text.find("--kill-pid PID"), std::string::npos);
  EXPECT_NE(text.find("--reconnect-attempts N"), std::string::npos);
}
