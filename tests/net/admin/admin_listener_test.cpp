// The admin port's listener in-process, with real sockets on port 0 and a
// fake handler: answers in order, bad and over-long lines, the idle and
// handler timeouts, the connection bound, answers that come too late or
// after the client left, a clean stop.
#include <gtest/gtest.h>

#include "admin_port_support.hpp"

using namespace h2h::test;

// -- requests and answers -----------------------------------------------------

TEST(admin_listener, answers_come_in_request_order_from_any_thread) {
  listening l{local()};
  line_client c{"127.0.0.1", l.port};
  // rooms answers after 150 ms from another thread, nodes at once.
  c.send("{\"cmd\":\"rooms\",\"limit\":150}\n{\"cmd\":\"nodes\"}\n"
         "{\"cmd\":\"rooms\",\"limit\":1}\n{\"cmd\":\"stats\"}\n");
  auto a = c.answer();
  EXPECT_EQ(a, json::parse(R"({"ok":true,"cmd":"rooms",
                              "result":{"rooms":[]}})"));
  auto b = c.answer();
  EXPECT_EQ(b["cmd"], "nodes") << b;
  EXPECT_EQ(b["result"]["nodes"][0]["uptime_s"], 60)
    << "from the injected clock";
  EXPECT_EQ(c.answer()["cmd"], "rooms");
  auto d = c.answer();
  EXPECT_EQ(d["cmd"], "stats");
  EXPECT_EQ(d["result"]["node"], "n1");
  ASSERT_EQ(l.fake.count(), 4u);
  EXPECT_EQ(l.fake.seen[0].limit, 150u);
  EXPECT_EQ(l.fake.seen[1].command, "nodes");
}

TEST(admin_listener, a_bad_line_is_answered_and_the_connection_stays) {
  listening l{local()};
  line_client c{"127.0.0.1", l.port};
  c.send("nope\n");
  EXPECT_EQ(code_of(c.answer()), "ADMIN_BAD_REQUEST");
  c.send("{\"cmd\":\"reboot\"}\r\n");
  auto u = c.answer();
  EXPECT_EQ(code_of(u), "ADMIN_UNKNOWN_COMMAND");
  EXPECT_EQ(u["cmd"], "reboot");
  c.send("{\"cmd\":\"room\",\"room\":\"a b\"}\n");
  auto r = c.answer();
  EXPECT_EQ(code_of(r), "ADMIN_BAD_REQUEST");
  EXPECT_EQ(r["cmd"], "room");
  c.send("\n  \n{\"cmd\":\"nodes\"}\n"); // blank lines ask nothing
  EXPECT_EQ(c.answer()["ok"], true);
  EXPECT_EQ(l.fake.count(), 1u) << "only good requests reach the handler";
}

TEST(admin_listener, what_a_client_sent_before_it_closed_its_side_is_answered) {
  listening l{local()};
  line_client piped{"127.0.0.1", l.port};
  piped.send("{\"cmd\":\"stats\"}\n{\"cmd\":\"nodes\"}");
  piped.shutdown_write();
  EXPECT_EQ(piped.answer()["cmd"], "stats");
  EXPECT_EQ(piped.answer()["cmd"], "nodes") << "a last line without '\\n'";
  EXPECT_TRUE(piped.closed_within(2s));
}

TEST(admin_listener, a_line_over_64_kib_is_refused_and_the_connection_closed) {
  listening l{local()};
  line_client fits{"127.0.0.1", l.port};
  std::string request = "{\"cmd\":\"nodes\"}";
  fits.send(request + std::string(65536 - request.size(), ' ') + "\n");
  EXPECT_EQ(fits.answer()["ok"], true) << "exactly 64 KiB is a request";
  line_client c{"127.0.0.1", l.port};
  c.send(std::string(65537, 'x') + "\n{\"cmd\":\"nodes\"}\n");
  auto a = c.answer();
  EXPECT_EQ(code_of(a), "ADMIN_BAD_REQUEST") << a;
  EXPECT_NE(a["error"]["message"].get<std::string>().find("65536"),
            std::string::npos);
  EXPECT_TRUE(c.closed_within(3s));
  EXPECT_EQ(l.fake.count(), 1u);
}

TEST(admin_listener, an_idle_connection_is_closed_after_the_timeout) {
  auto s = local();
  s.idle_timeout = 200ms;
  listening l{s};
  line_client idle{"127.0.0.1", l.port};
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle.closed_within(3s));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 150ms);
  // Half a line is idle too.
  line_client slow{"127.0.0.1", l.port};
  slow.send("{\"cmd\":");
  EXPECT_TRUE(slow.closed_within(3s));
  EXPECT_TRUE(eventually([&] { return l.listener.connections() == 0; }));
}

TEST(admin_listener, connections_beyond_the_bound_are_told_and_closed) {
  auto s = local();
  s.max_connections = 2;
  listening l{s};
  line_client a{"127.0.0.1", l.port};
  line_client b{"127.0.0.1", l.port};
  ASSERT_TRUE(eventually([&] { return l.listener.connections() == 2; }));
  line_client over{"127.0.0.1", l.port};
  EXPECT_EQ(code_of(over.answer()), "ADMIN_UNAVAILABLE");
  EXPECT_TRUE(over.closed_within(2s));
  a.send("{\"cmd\":\"nodes\"}\n");
  EXPECT_EQ(a.answer()["ok"], true);
}

TEST(admin_listener,
     no_answer_in_time_is_admin_timeout_and_a_late_one_dropped) {
  auto s = local();
  s.timeout = 200ms;
  listening l{s};
  line_client c{"127.0.0.1", l.port};
  c.send("{\"cmd\":\"member\",\"member\":7}\n");
  auto t0 = std::chrono::steady_clock::now();
  auto a = c.answer();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 150ms);
  EXPECT_EQ(a["cmd"], "member");
  EXPECT_EQ(code_of(a), "ADMIN_TIMEOUT") << a;
  c.send("{\"cmd\":\"nodes\"}\n");
  {
    // The late answer to member arrives while nodes is in flight or done.
    std::lock_guard<std::mutex> g{l.fake.mutex};
    ASSERT_EQ(l.fake.kept.size(), 1u);
    admin_reply late;
    late.count = 99;
    l.fake.kept[0](late);
  }
  EXPECT_EQ(c.answer()["cmd"], "nodes");
  EXPECT_EQ(c.line(300ms), "") << "the late answer was written";
}

TEST(admin_listener, an_answer_after_the_client_left_or_the_stop_is_harmless) {
  auto l = std::make_unique<listening>(local());
  {
    line_client c{"127.0.0.1", l->port};
    c.send("{\"cmd\":\"member\",\"member\":7}\n");
    ASSERT_TRUE(eventually([&] { return l->fake.count() == 1; }));
  }
  {
    std::lock_guard<std::mutex> g{l->fake.mutex};
    l->fake.kept[0](admin_reply{});
  }
  EXPECT_TRUE(eventually([&] { return l->listener.connections() == 0; }));
  // One in flight when the listener stops; answered afterwards.
  line_client c{"127.0.0.1", l->port};
  c.send("{\"cmd\":\"member\",\"member\":9}\n");
  ASSERT_TRUE(eventually([&] { return l->fake.count() == 2; }));
  l->listener.stop();
  EXPECT_TRUE(c.closed_within(2s));
  std::lock_guard<std::mutex> g{l->fake.mutex};
  l->fake.kept[1](admin_reply{});
}

TEST(admin_listener, a_handler_that_throws_is_admin_unavailable) {
  listening l{local()};
  line_client c{"127.0.0.1", l.port};
  c.send("{\"cmd\":\"close\",\"room\":\"r1\"}\n{\"cmd\":\"nodes\"}\n");
  EXPECT_EQ(code_of(c.answer()), "ADMIN_UNAVAILABLE");
  EXPECT_EQ(c.answer()["ok"], true);
}

TEST(admin_listener, the_port_is_logged_readable_and_stop_closes_everything) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("t", sink));
  auto l = std::make_unique<listening>(local());
  spdlog::set_default_logger(previous);
  auto port = l->port;
  EXPECT_NE(port, 0);
  EXPECT_EQ(l->listener.port(), port);
  bool logged = false;
  for (auto& m : sink->last_formatted())
    logged = logged
             || m.find("admin listening on 127.0.0.1:" + std::to_string(port))
                  != std::string::npos;
  EXPECT_TRUE(logged);
  line_client open{"127.0.0.1", port};
  ASSERT_TRUE(eventually([&] { return l->listener.connections() == 1; }));
  l->listener.stop();
  l->listener.stop(); // idempotent
  EXPECT_TRUE(open.closed_within(2s));
  EXPECT_THROW((line_client{"127.0.0.1", port}), std::runtime_error);
  auto s = local();
  listening first{s};
  s.port = first.port;
  admin_listener second{s, [](admin_request, admin_reply_fn) {}};
  EXPECT_THROW(second.listen(), std::exception);
}
