// Unit tests of HTTP routing and request-target helpers, without sockets.
#include "net/http/router.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "net/http/http_types.hpp"

namespace http = boost::beast::http;
using h2h::net::http_request;
using h2h::net::http_response;
using h2h::net::path_params;
using h2h::net::router;

namespace {

/// Runs `req` through `r` and returns the one response it produced.
http_response run(const router& r, http::verb method, std::string target) {
  http_request req{method, target, 11};
  int calls = 0;
  http_response out;
  r.dispatch(std::move(req), h2h::net::request_meta{}, [&](http_response res) {
    ++calls;
    out = std::move(res);
  });
  EXPECT_EQ(calls, 1) << target;
  return out;
}

/// A handler that answers 200 with "<tag> <param id>".
h2h::net::route_handler answer(std::string tag) {
  return
    [tag](http_request& req, const path_params& params,
          const h2h::net::request_meta&, h2h::net::http_responder respond) {
      auto it = params.find("id");
      auto body = tag + " " + (it == params.end() ? "-" : it->second);
      respond(h2h::net::json_response(req, 200, body));
    };
}

router sample_router() {
  router r;
  r.add(http::verb::get, "/healthz", answer("health"));
  r.add(http::verb::get, "/chat/room/{id}", answer("get-room"));
  r.add(http::verb::delete_, "/chat/room/{id}", answer("delete-room"));
  r.add(http::verb::post, "/chat/room", answer("create-room"));
  return r;
}

} // namespace

// -- matching -----------------------------------------------------------------

TEST(router_match, literal_paths) {
  path_params p;
  EXPECT_TRUE(router::match("/healthz", "/healthz", p));
  EXPECT_TRUE(router::match("/", "/", p));
  EXPECT_FALSE(router::match("/healthz", "/readyz", p));
  EXPECT_FALSE(router::match("/healthz", "/health", p));
  EXPECT_FALSE(router::match("/healthz", "", p));
}

TEST(router_match, params_are_captured) {
  path_params p;
  ASSERT_TRUE(router::match("/chat/room/{id}/members/{member_id}",
                            "/chat/room/r-1/members/42", p));
  EXPECT_EQ(p.size(), 2u);
  EXPECT_EQ(p.at("id"), "r-1");
  EXPECT_EQ(p.at("member_id"), "42");
}

TEST(router_match, segment_count_and_literals_must_agree) {
  path_params p;
  EXPECT_FALSE(router::match("/chat/room/{id}", "/chat/room", p));
  EXPECT_FALSE(router::match("/chat/room/{id}", "/chat/room/1/members", p));
  EXPECT_FALSE(router::match("/chat/room/{id}", "/chat/rooms/1", p));
  EXPECT_FALSE(
    router::match("/chat/room/{id}/members", "/chat/room/1/member", p));
}

TEST(router_match, param_must_not_be_empty) {
  path_params p;
  EXPECT_FALSE(router::match("/chat/room/{id}", "/chat/room/", p));
  EXPECT_FALSE(router::match("/a/{x}/b", "/a//b", p));
}

TEST(router_match, trailing_slash_is_a_different_path) {
  path_params p;
  EXPECT_FALSE(router::match("/healthz", "/healthz/", p));
  EXPECT_FALSE(router::match("/chat/room/{id}", "/chat/room/1/", p));
  EXPECT_FALSE(router::match("/chat/room/", "/chat/room", p));
}

TEST(router_match, params_are_reset_on_each_match) {
  path_params p{{"stale", "x"}};
  ASSERT_TRUE(router::match("/healthz", "/healthz", p));
  EXPECT_TRUE(p.empty());
}

// -- dispatch -----------------------------------------------------------------

TEST(router_dispatch, handler_receives_params_without_query) {
  auto res = run(sample_router(), http::verb::get, "/chat/room/r7?x=1&id=no");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res.body(), "get-room r7");
}

TEST(router_dispatch, same_path_goes_to_the_method_route) {
  auto r = sample_router();
  EXPECT_EQ(run(r, http::verb::delete_, "/chat/room/r7").body(),
            "delete-room r7");
  EXPECT_EQ(run(r, http::verb::post, "/chat/room").body(), "create-room -");
}

TEST(router_dispatch, unknown_path_is_404_global_001) {
  auto res = run(sample_router(), http::verb::get, "/nope?x=1");
  EXPECT_EQ(res.result_int(), 404u);
  EXPECT_EQ(res[http::field::content_type], "application/json");
  auto j = nlohmann::json::parse(res.body());
  EXPECT_EQ(j["status"], 404);
  EXPECT_EQ(j["code"], "GLOBAL_001");
  EXPECT_TRUE(j["message"].is_string());
  EXPECT_EQ(j.size(), 3u);
}

TEST(router_dispatch, known_path_with_other_method_is_405_global_003) {
  auto r = sample_router();
  for (auto method : {http::verb::post, http::verb::put, http::verb::patch}) {
    auto res = run(r, method, "/chat/room/r7");
    EXPECT_EQ(res.result_int(), 405u);
    auto j = nlohmann::json::parse(res.body());
    EXPECT_EQ(j["status"], 405);
    EXPECT_EQ(j["code"], "GLOBAL_003");
  }
  EXPECT_EQ(run(r, http::verb::get, "/chat/room").result_int(), 405u);
}

TEST(router_dispatch, head_is_served_by_get_routes_only) {
  auto r = sample_router();
  EXPECT_EQ(run(r, http::verb::head, "/healthz").result_int(), 200u);
  EXPECT_EQ(run(r, http::verb::head, "/chat/room").result_int(), 405u);
}

TEST(router_dispatch, head_answers_the_get_headers_without_a_body) {
  auto r = sample_router();
  for (auto target : {"/healthz", "/chat/room/r7", "/nope", "/chat/room"}) {
    auto get = run(r, http::verb::get, target);
    auto head = run(r, http::verb::head, target);
    ASSERT_FALSE(get.body().empty()) << target;
    EXPECT_EQ(head.result_int(), get.result_int()) << target;
    EXPECT_TRUE(head.body().empty()) << target << ": " << head.body();
    EXPECT_EQ(head[http::field::content_length],
              std::to_string(get.body().size()))
      << target << ": Content-Length is that of the GET body";
    std::vector<std::pair<std::string, std::string>> get_fields, head_fields;
    for (auto& f : get)
      get_fields.emplace_back(f.name_string(), f.value());
    for (auto& f : head)
      head_fields.emplace_back(f.name_string(), f.value());
    EXPECT_EQ(head_fields, get_fields) << target;
  }
}

TEST(router_dispatch, head_form_of_a_response_is_idempotent) {
  auto res = h2h::net::json_response(h2h::net::reply_shape{}, 200, "12345");
  h2h::net::make_head_response(res);
  h2h::net::make_head_response(res);
  EXPECT_TRUE(res.body().empty());
  EXPECT_EQ(res[http::field::content_length], "5");
}

TEST(router_dispatch, error_keeps_version_and_keep_alive_of_request) {
  http_request req{http::verb::get, "/x", 10};
  req.keep_alive(false);
  auto res = h2h::net::error_response(req, h2h::errc::unknown_path, "gone");
  EXPECT_EQ(res.version(), 10u);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(res[http::field::content_length],
            std::to_string(res.body().size()));
  EXPECT_EQ(res.body(),
            R"({"status":404,"code":"GLOBAL_001","message":"gone"})");
}

// -- request targets ----------------------------------------------------------

TEST(target, path_drops_the_query) {
  using h2h::net::target_path;
  EXPECT_EQ(target_path("/messages/room/r1?before=10&limit=5"),
            "/messages/room/r1");
  EXPECT_EQ(target_path("/healthz"), "/healthz");
  EXPECT_EQ(target_path("/a?"), "/a");
  EXPECT_EQ(target_path("?x=1"), "");
}

TEST(target, query_param_is_percent_decoded) {
  using h2h::net::query_param;
  std::string t = "/p?a=1&b=hello%20world&c=x+y&d=%2F%2f&e&f=&%67=7&h=%41";
  EXPECT_EQ(query_param(t, "a").value, "1");
  EXPECT_EQ(query_param(t, "b").value, "hello world");
  EXPECT_EQ(query_param(t, "c").value, "x y");
  EXPECT_EQ(query_param(t, "d").value, "//");
  EXPECT_EQ(query_param(t, "g").value, "7") << "keys are decoded too";
  EXPECT_EQ(query_param(t, "h").value, "A") << "escape at the very end";
  auto e = query_param(t, "e");
  EXPECT_TRUE(e.found);
  EXPECT_EQ(e.value, "");
  auto f = query_param(t, "f");
  EXPECT_TRUE(f.found);
  EXPECT_EQ(f.value, "");
}

TEST(target, missing_query_params_are_not_found) {
  using h2h::net::query_param;
  EXPECT_FALSE(query_param("/p?a=1", "b").found);
  EXPECT_FALSE(query_param("/p", "a").found);
  EXPECT_FALSE(query_param("/p?", "a").found);
  EXPECT_FALSE(query_param("/p?ab=1", "a").found);
}

TEST(target, first_occurrence_wins_and_bad_escapes_stay_literal) {
  using h2h::net::query_param;
  EXPECT_EQ(query_param("/p?a=1&a=2", "a").value, "1");
  EXPECT_EQ(query_param("/p?a=%zz", "a").value, "%zz");
  EXPECT_EQ(query_param("/p?a=100%", "a").value, "100%");
  EXPECT_EQ(query_param("/p?a=%4", "a").value, "%4");
}

TEST(router_match, captured_segments_are_percent_decoded) {
  path_params params;
  ASSERT_TRUE(router::match("/member/device/{token}",
                            "/member/device/abc%3AAPA91b%2Bx", params));
  // '+' stays '+' in a path (only query strings use it for spaces).
  EXPECT_EQ(params.at("token"), "abc:APA91b+x");
}
