// The metrics port in-process: what it answers (pure), and the listener on
// 127.0.0.1:0 with real sockets: keep-alive, HEAD without a body, a bound
// on connections, an idle timeout, and a stop that closes everything.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <nlohmann/json.hpp>

#include "net/server/metrics_listener.hpp"
#include "raw_conn.hpp"

namespace http = boost::beast::http;
using h2h::net::http_request;
using h2h::net::metrics_listener;
using h2h::net::metrics_response;
using h2h::net::metrics_settings;
using h2h::test::header_value;
using h2h::test::raw_conn;
using namespace std::chrono_literals;

namespace {

const std::string sample = "# TYPE h2h_x counter\nh2h_x 7\n";

h2h::net::http_response answer(http::verb method, const std::string& target) {
  http_request req{method, target, 11};
  return metrics_response(req, [] { return sample; });
}

std::string get(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
}

/// Waits (bounded) until `pred` holds.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 400 && !pred(); ++i)
    std::this_thread::sleep_for(5ms); // the listener's thread accepts
  return pred();
}

struct listening {
  metrics_listener listener;
  std::uint16_t port = 0;
  explicit listening(metrics_settings s)
    : listener(std::move(s), [] { return sample; }) {
    port = listener.listen();
    listener.start();
  }
};

metrics_settings local(std::size_t max_connections = 16,
                       std::chrono::milliseconds timeout = 10s) {
  metrics_settings s;
  s.bind = "127.0.0.1";
  s.port = 0;
  s.max_connections = max_connections;
  s.timeout = timeout;
  return s;
}

} // namespace

// -- what the port answers ----------------------------------------------------

TEST(metrics_response, get_metrics_is_prometheus_text) {
  auto res = answer(http::verb::get, "/metrics");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[http::field::content_type],
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res.body(), sample);
  EXPECT_EQ(answer(http::verb::get, "/metrics?name[]=x").body(), sample);
}

TEST(metrics_response, head_has_the_headers_of_get_and_no_body) {
  auto res = answer(http::verb::head, "/metrics");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_TRUE(res.body().empty());
  EXPECT_EQ(res[http::field::content_length], std::to_string(sample.size()));
}

TEST(metrics_response, other_paths_are_404_and_other_methods_405) {
  for (auto target : {"/", "/healthz", "/readyz", "/metrics/", "/message"}) {
    auto res = answer(http::verb::get, target);
    EXPECT_EQ(res.result_int(), 404u) << target;
    EXPECT_EQ(nlohmann::json::parse(res.body())["code"], "GLOBAL_001");
  }
  for (auto m : {http::verb::post, http::verb::put, http::verb::delete_}) {
    auto res = answer(m, "/metrics");
    EXPECT_EQ(res.result_int(), 405u);
    EXPECT_EQ(res[http::field::allow], "GET, HEAD");
    EXPECT_EQ(nlohmann::json::parse(res.body())["code"], "GLOBAL_003");
  }
  auto head404 = answer(http::verb::head, "/nope");
  EXPECT_EQ(head404.result_int(), 404u);
  EXPECT_TRUE(head404.body().empty());
}

// -- the listener -------------------------------------------------------------

TEST(metrics_listener, serves_requests_in_order_on_one_connection) {
  listening l{local()};
  raw_conn c{l.port};
  c.send(get("/metrics") + "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
         + get("/nope"));
  auto first = c.read_response();
  EXPECT_EQ(first.rfind("HTTP/1.1 200", 0), 0u) << first;
  EXPECT_NE(first.find(sample), std::string::npos);
  auto head = c.read_response(true);
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  EXPECT_EQ(header_value(head, "Content-Length"),
            std::to_string(sample.size()));
  auto third = c.read_response();
  EXPECT_EQ(third.rfind("HTTP/1.1 404", 0), 0u)
    << "a HEAD answer left body bytes on the wire: " << third;
}

TEST(metrics_listener, connections_beyond_the_bound_are_closed_at_once) {
  listening l{local(2)};
  raw_conn a{l.port};
  raw_conn b{l.port};
  ASSERT_TRUE(eventually([&] { return l.listener.connections() == 2; }));
  raw_conn over{l.port};
  EXPECT_TRUE(over.closed_within(2s)) << "a third connection stayed open";
  EXPECT_EQ(l.listener.connections(), 2u);
  a.send(get("/metrics"));
  EXPECT_EQ(a.read_response().rfind("HTTP/1.1 200", 0), 0u);
}

TEST(metrics_listener, a_slot_frees_when_a_connection_ends) {
  listening l{local(1)};
  {
    raw_conn a{l.port};
    ASSERT_TRUE(eventually([&] { return l.listener.connections() == 1; }));
  }
  ASSERT_TRUE(eventually([&] { return l.listener.connections() == 0; }));
  raw_conn b{l.port};
  b.send(get("/metrics"));
  EXPECT_EQ(b.read_response().rfind("HTTP/1.1 200", 0), 0u);
}

TEST(metrics_listener, an_idle_connection_is_closed_after_the_timeout) {
  listening l{local(16, 200ms)};
  raw_conn idle{l.port};
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle.closed_within(3s));
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 150ms);
  EXPECT_TRUE(eventually([&] { return l.listener.connections() == 0; }));
  // A request that never ends is cut off the same way.
  raw_conn slow{l.port};
  slow.send("GET /metrics HTTP/1.1\r\nHost: x\r\n");
  EXPECT_TRUE(slow.closed_within(3s));
}

TEST(metrics_listener, a_malformed_request_gets_400_and_the_connection_ends) {
  listening l{local()};
  raw_conn c{l.port};
  c.send("NOT HTTP AT ALL\r\n\r\n");
  auto res = c.read_response();
  EXPECT_EQ(res.rfind("HTTP/1.1 400", 0), 0u) << res;
  EXPECT_TRUE(c.closed_within(2s));
}

TEST(metrics_listener, stop_closes_the_port_and_every_connection) {
  auto l = std::make_unique<listening>(local());
  auto port = l->port;
  raw_conn open{port};
  ASSERT_TRUE(eventually([&] { return l->listener.connections() == 1; }));
  l->listener.stop();
  l->listener.stop(); // idempotent
  EXPECT_TRUE(open.closed_within(2s));
  EXPECT_THROW(raw_conn{port}, std::runtime_error);
}

TEST(metrics_listener, a_taken_port_is_an_error_at_listen) {
  listening first{local()};
  auto s = local();
  s.port = first.port;
  metrics_listener second{s, [] { return sample; }};
  EXPECT_THROW(second.listen(), std::exception);
}
