// /readyz and the Prometheus text without sockets: a single node's answers
// stay as they were, a cluster node adds its cluster view, and only the
// store decides readiness (a node that lost Redis stays ready).
#include "net/rest/ops_routes.hpp"

#include <functional>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "net/http/router.hpp"

namespace http = boost::beast::http;
using h2h::net::http_request;
using h2h::net::http_response;
using h2h::net::ops_sources;
using status = ops_sources::cluster_status;

namespace {

/// Store outcome a test gives the /readyz route.
enum class store_state { none, ok, down };

ops_sources sources(store_state store, std::optional<status> cluster,
                    bool draining = false) {
  ops_sources src;
  src.draining = [draining] { return draining; };
  if (store != store_state::none)
    src.check_store = [store](std::function<void(bool)> done) {
      done(store == store_state::ok);
    };
  if (cluster)
    src.cluster = [cluster] { return cluster; };
  return src;
}

/// GET /readyz through the route table; the one answer it gives.
http_response readyz(ops_sources src) {
  h2h::net::router r;
  h2h::net::add_ops_routes(r, std::move(src));
  int calls = 0;
  http_response out;
  r.dispatch(http_request{http::verb::get, "/readyz", 11},
             h2h::net::request_meta{}, [&](http_response res) {
               ++calls;
               out = std::move(res);
             });
  EXPECT_EQ(calls, 1);
  return out;
}

} // namespace

TEST(ops_readyz, a_single_node_answers_as_before) {
  auto ok = readyz(sources(store_state::ok, std::nullopt));
  EXPECT_EQ(ok.result_int(), 200u);
  EXPECT_EQ(ok.body(), R"({"status":"ready","store":"ok"})");
  auto down = readyz(sources(store_state::down, std::nullopt));
  EXPECT_EQ(down.result_int(), 503u);
  EXPECT_EQ(down.body(), R"({"status":"unavailable","store":"unreachable"})");
  auto draining = readyz(sources(store_state::ok, std::nullopt, true));
  EXPECT_EQ(draining.result_int(), 503u);
  EXPECT_EQ(draining.body(), R"({"status":"draining","store":"unknown"})");
  auto no_store = readyz(sources(store_state::none, std::nullopt));
  EXPECT_EQ(no_store.result_int(), 200u);
  EXPECT_EQ(no_store.body(), R"({"status":"ready"})");
  // A cluster source that says "not a cluster" changes nothing either.
  auto src = sources(store_state::ok, std::nullopt);
  src.cluster = [] { return std::optional<status>{}; };
  EXPECT_EQ(readyz(std::move(src)).body(),
            R"({"status":"ready","store":"ok"})");
}

TEST(ops_readyz, a_cluster_node_tells_its_node_id_node_count_and_registry) {
  auto res = readyz(sources(store_state::ok, status{"n1", 3, true}));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(),
            R"({"status":"ready","store":"ok",)"
            R"("cluster":{"node":"n1","nodes":3,"registry":"ok"}})");
  EXPECT_EQ(res[http::field::content_type], "application/json");
}

TEST(ops_readyz, a_node_that_lost_redis_stays_ready) {
  auto res = readyz(sources(store_state::ok, status{"n2", 2, false}));
  EXPECT_EQ(res.result_int(), 200u) << "it serves with the last node set";
  EXPECT_EQ(res.body(),
            R"({"status":"ready","store":"ok",)"
            R"("cluster":{"node":"n2","nodes":2,"registry":"unreachable"}})");
}

TEST(ops_readyz, the_store_alone_decides_readiness_in_a_cluster) {
  auto down = readyz(sources(store_state::down, status{"n1", 3, true}));
  EXPECT_EQ(down.result_int(), 503u);
  EXPECT_EQ(down.body(),
            R"({"status":"unavailable","store":"unreachable",)"
            R"("cluster":{"node":"n1","nodes":3,"registry":"ok"}})");
  auto draining
    = readyz(sources(store_state::ok, status{"n1", 3, false}, true));
  EXPECT_EQ(draining.result_int(), 503u);
  EXPECT_EQ(nlohmann::json::parse(draining.body())["cluster"]["registry"],
            "unreachable");
}

TEST(ops_readyz, the_cluster_view_is_read_when_the_store_answers) {
  // The store's answer comes later, on another thread in h2hd: the
  // cluster view must be the one of that moment, not of the request.
  std::function<void(bool)> pending;
  std::size_t nodes = 1;
  ops_sources src;
  src.check_store
    = [&](std::function<void(bool)> done) { pending = std::move(done); };
  src.cluster = [&] { return std::optional<status>{status{"n1", nodes}}; };
  h2h::net::router r;
  h2h::net::add_ops_routes(r, std::move(src));
  std::optional<http_response> out;
  r.dispatch(http_request{http::verb::get, "/readyz", 11},
             h2h::net::request_meta{},
             [&](http_response res) { out = std::move(res); });
  ASSERT_FALSE(out);
  ASSERT_TRUE(pending);
  nodes = 4;
  pending(true);
  ASSERT_TRUE(out);
  EXPECT_EQ(nlohmann::json::parse(out->body())["cluster"]["nodes"], 4);
}

TEST(ops_readyz, any_node_id_renders_as_valid_json) {
  auto body
    = h2h::net::readyz_body("ready", "ok", status{"a\"b\\c\n\xff", 1, true});
  auto parsed = nlohmann::json::parse(body); // throws on bad JSON
  EXPECT_EQ(parsed["cluster"]["nodes"], 1);
  EXPECT_EQ(parsed["status"], "ready");
}

TEST(ops_metrics, a_single_node_has_no_cluster_gauges) {
  ops_sources none;
  auto plain = h2h::net::metrics_text(none);
  ops_sources not_cluster;
  not_cluster.cluster = [] { return std::optional<status>{}; };
  EXPECT_EQ(h2h::net::metrics_text(not_cluster), plain);
  EXPECT_EQ(plain.find("h2h_cluster"), std::string::npos);
}

TEST(ops_metrics, a_cluster_node_has_node_count_and_registry_gauges) {
  auto up = h2h::net::metrics_text(sources(store_state::ok, status{"n1", 3}));
  EXPECT_NE(up.find("# TYPE h2h_cluster_nodes gauge\nh2h_cluster_nodes 3\n"),
            std::string::npos)
    << up;
  EXPECT_NE(up.find("# TYPE h2h_cluster_registry_up gauge\n"
                    "h2h_cluster_registry_up 1\n"),
            std::string::npos)
    << up;
  auto down
    = h2h::net::metrics_text(sources(store_state::ok, status{"n1", 1, false}));
  EXPECT_NE(down.find("h2h_cluster_registry_up 0\n"), std::string::npos)
    << down;
  EXPECT_NE(down.find("h2h_cluster_nodes 1\n"), std::string::npos) << down;
}

TEST(ops_metrics, push_counters_appear_only_when_push_is_on) {
  ops_sources off;
  EXPECT_EQ(h2h::net::metrics_text(off).find("h2h_push_"), std::string::npos);
  auto p = std::make_shared<h2h::push_metrics>();
  p->sent = 7;
  p->failed_auth = 1;
  p->failed_rejected = 2;
  p->failed_retries = 3;
  p->retried = 4;
  p->coalesced = 19;
  p->dropped = 5;
  p->tokens_removed = 6;
  p->queue_length = 8;
  ops_sources on;
  on.push = p;
  auto text = h2h::net::metrics_text(on);
  for (const char* line :
       {"# TYPE h2h_push_sent_total counter\nh2h_push_sent_total 7\n",
        "# TYPE h2h_push_failed_total counter\n"
        "h2h_push_failed_total{reason=\"auth\"} 1\n"
        "h2h_push_failed_total{reason=\"rejected\"} 2\n"
        "h2h_push_failed_total{reason=\"retries\"} 3\n",
        "h2h_push_retried_total 4\n", "h2h_push_coalesced_total 19\n",
        "h2h_push_dropped_total 5\n", "h2h_push_tokens_removed_total 6\n",
        "# TYPE h2h_push_queue gauge\nh2h_push_queue 8\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n---\n" << text;
}
