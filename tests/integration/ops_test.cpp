// Integration: the operational surface of a real h2hd. HEAD answers carry
// headers only (a keep-alive connection keeps parsing cleanly), and
// /metrics lives on a port of its own, not on the public one.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "process.hpp"
#include "raw_conn.hpp"

using namespace h2h::test;
using json = nlohmann::json;

namespace {

std::string request(const std::string& method, const std::string& target) {
  return method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
}

} // namespace

TEST(ops, head_answers_carry_headers_only_on_a_keep_alive_connection) {
  temp_dir dir;
  server_process srv{H2HD_PATH, local_args(dir)};
  raw_conn c{srv.port()};
  c.send(request("HEAD", "/healthz"));
  auto head = c.read_response(true);
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  EXPECT_EQ(header_value(head, "Content-Length"),
            std::to_string(std::string{R"({"status":"ok"})"}.size()));
  EXPECT_EQ(header_value(head, "Content-Type"), "application/json");
  // The next request on the same connection: its answer must come first,
  // not the HEAD's body.
  c.send(request("GET", "/healthz"));
  auto get = c.read_response();
  EXPECT_EQ(get.rfind("HTTP/1.1 200", 0), 0u)
    << "bytes after the HEAD answer: " << get;
  EXPECT_EQ(get.substr(get.find("\r\n\r\n") + 4), R"({"status":"ok"})");
  // A deferred answer (a store round trip) and an error answer, too.
  for (auto target : {"/readyz", "/no/such/path", "/auth/verifyAccessToken"}) {
    c.send(request("HEAD", target));
    auto res = c.read_response(true);
    EXPECT_FALSE(header_value(res, "Content-Length").empty()) << res;
    c.send(request("GET", "/healthz"));
    auto next = c.read_response();
    EXPECT_EQ(next.rfind("HTTP/1.1 200", 0), 0u)
      << "after HEAD " << target << ": " << next;
  }
  EXPECT_TRUE(c.pending().empty()) << c.pending();
  EXPECT_EQ(srv.stop(), 0);
}

TEST(ops, metrics_are_served_on_their_own_port_and_not_on_the_public_one) {
  temp_dir dir;
  server_process srv{H2HD_PATH, local_args(dir)};
  ASSERT_NE(srv.metrics_port(), 0);
  ASSERT_NE(srv.metrics_port(), srv.port());
  auto m = http_request(srv.metrics_port(), "GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.headers["Content-Type"],
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m.body.find("h2h_connections_open"), std::string::npos);
  EXPECT_NE(m.body.find("h2h_persistence_batches_total"), std::string::npos);
  auto pub = http_request(srv.port(), "GET", "/metrics");
  EXPECT_EQ(pub.status, 404);
  EXPECT_EQ(json::parse(pub.body)["code"], "GLOBAL_001");
  auto other = http_request(srv.metrics_port(), "GET", "/healthz");
  EXPECT_EQ(other.status, 404) << "the metrics port serves /metrics only";
  raw_conn c{srv.metrics_port()};
  c.send(request("HEAD", "/metrics") + request("GET", "/metrics"));
  auto head = c.read_response(true);
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  auto get = c.read_response();
  EXPECT_EQ(get.rfind("HTTP/1.1 200", 0), 0u) << get;
  EXPECT_NE(srv.log().find("metrics listening on 127.0.0.1:"),
            std::string::npos);
  EXPECT_EQ(srv.stop(), 0);
}

TEST(ops, a_taken_metrics_port_stops_the_start) {
  temp_dir dir;
  server_process first{H2HD_PATH, local_args(dir)};
  temp_dir other;
  auto second_args = local_args(other);
  second_args.push_back("--metrics.port");
  second_args.push_back(std::to_string(first.metrics_port()));
  try {
    server_process second{H2HD_PATH, second_args};
    ADD_FAILURE() << "a second h2hd started on a taken metrics port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string{e.what()}.find("(metrics)"), std::string::npos)
      << e.what();
  }
  EXPECT_EQ(first.stop(), 0);
}
