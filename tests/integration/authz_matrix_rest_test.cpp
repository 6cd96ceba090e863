// The authorization matrix, HTTP half: every REST route of docs/api.md (and
// the event stream and HTTP send) x the six credentials of authz_matrix.hpp
// gets its documented refusal, and nothing changes: profiles, blocks,
// devices, avatars, rooms, members, reports and history are as before.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "authz_matrix.hpp"
#include "net/rest/api.hpp"
#include "net/rest/ops_routes.hpp"
#include "net/rest/send_route.hpp"
#include "sse_client.hpp"

using namespace h2h::test;
using namespace h2h::test::authz;

namespace {

/// One route: what is sent, and per column the documented refusal
/// ("status code"). A column left out is not meaningful for the route
/// (`note` says why); a route without cells needs no token by design.
struct rest_row {
  std::string method;
  /// The route's pattern as the router (or the upgrade table) has it.
  std::string pattern;
  /// The request target, with authz_matrix::fill placeholders.
  std::string target;
  /// The JSON body (null: none); "multipart" is alice's avatar upload.
  json body;
  cells expect;
  std::string note;
  /// A body per column where the columns differ in what they present.
  std::map<cred, json> bodies = {};
};

cells with(cells base, const cells& more) {
  for (auto& [k, v] : more)
    base[k] = v;
  return base;
}

const cells forbidden_to_bob
  = with(token_cells(), {{cred::other, "403 GLOBAL_105"}});

/// The events route is not in the router: the upgrade table serves it
/// (apps/h2hd/chat_streams.cpp).
constexpr const char* events_pattern = "/chat/room/{roomId}/events";

const std::vector<rest_row>& table() {
  static const std::vector<rest_row> rows{
    // -- accounts: no token by design ------------------------------------
    {"POST", "/auth/emailVerificationCode", "", {}, {}, "public"},
    {"POST", "/auth/confirmVerificationCode", "", {}, {}, "public"},
    {"POST", "/auth/join", "", {}, {}, "public"},
    {"POST", "/auth/login", "", {}, {}, "public"},
    {"GET", "/media/avatars/{member_id}/{file}", "", {}, {}, "public"},
    {"GET", "/healthz", "", {}, {}, "public"},
    {"GET", "/readyz", "", {}, {}, "public"},
    // -- accounts: a refresh token, not an access token, is presented ----
    {"POST",
     "/auth/reissueToken",
     "/auth/reissueToken",
     {},
     {{cred::none, "401 AUTH_007"},
      {cred::other, "401 AUTH_007"},
      {cred::logged_out, "401 AUTH_007"}},
     "refresh tokens are opaque: none expires or is tampered here",
     {{cred::none, json{{"member_id", "{alice}"}}},
      {cred::other,
       json{{"member_id", "{bob}"}, {"refresh_token", "{alice.refresh}"}}},
      {cred::logged_out, json{{"member_id", "{alice}"},
                              {"refresh_token", "{alice_gone.refresh}"}}}}},
    // -- accounts: the caller's own ---------------------------------------
    {"GET",
     "/auth/verifyAccessToken",
     "/auth/verifyAccessToken",
     {},
     token_cells(),
     "no resource of anyone else"},
    {"POST",
     "/auth/logout",
     "/auth/logout",
     {},
     token_cells(),
     "ends the caller's own session only"},
    {"GET",
     "/member/profile",
     "/member/profile?member_id={alice}",
     {},
     token_cells(),
     "every member may read a profile (docs/api.md)"},
    {"PATCH", "/member/profile", "/member/profile",
     json{{"member_id", "{alice}"}, {"nickname", "forbidden"}},
     forbidden_to_bob, ""},
    {"POST", "/member/device", "/member/device",
     json{{"token", "forbidden-device"}, {"platform", "android"}},
     token_cells(),
     "registers the caller's own device (a token is the latest claimer's: "
     "an FCM token is a device's secret)"},
    {"DELETE",
     "/member/device/{token}",
     "/member/device/{device}",
     {},
     with(token_cells(), {{cred::other, "404 GLOBAL_001"}}),
     "another member's device is not found"},
    {"POST", "/member/uploadAvatar", "/member/uploadAvatar", "multipart",
     forbidden_to_bob, ""},
    {"POST", "/member/report", "/member/report",
     json{{"member_id", "{alice}"},
          {"target_id", "{carol}"},
          {"reason", "forbidden"}},
     forbidden_to_bob, ""},
    {"DELETE",
     "/member/delete/{member_id}",
     "/member/delete/{alice}",
     {},
     forbidden_to_bob,
     ""},
    {"POST", "/member/block", "/member/block",
     json{{"member_id", "{alice}"}, {"target_id", "{carol}"}}, forbidden_to_bob,
     ""},
    {"POST", "/member/unblock", "/member/unblock",
     json{{"member_id", "{alice}"}, {"target_id", "{eve}"}}, forbidden_to_bob,
     ""},
    {"GET",
     "/member/getBlockingMembers",
     "/member/getBlockingMembers?member_id={alice}",
     {},
     forbidden_to_bob,
     ""},
    // -- rooms and history ------------------------------------------------
    {"POST", "/chat/room", "/chat/room",
     json{{"name", "forbidden"}, {"private", true}}, token_cells(),
     "creates the caller's own room"},
    {"GET",
     "/chat/rooms",
     "/chat/rooms",
     {},
     token_cells(),
     "lists what the caller may see"},
    {"GET",
     "/chat/room/{id}",
     "/chat/room/{priv}",
     {},
     with(token_cells(), {{cred::non_member, "403 CHAT_002"}}),
     "bob is a member of the room"},
    {"DELETE",
     "/chat/room/{id}",
     "/chat/room/{priv}",
     {},
     with(forbidden_to_bob, {{cred::non_member, "403 GLOBAL_105"}}),
     ""},
    {"POST", "/chat/room/{id}/members", "/chat/room/{priv}/members",
     json{{"member_id", "{carol}"}},
     with(forbidden_to_bob, {{cred::non_member, "403 GLOBAL_105"}}), ""},
    {"DELETE",
     "/chat/room/{id}/members/{member_id}",
     "/chat/room/{priv}/members/{bob}",
     {},
     with(token_cells(), {{cred::non_member, "403 GLOBAL_105"}}),
     "bob may remove himself (leaving is allowed)"},
    {"GET",
     "/messages/room/{id}",
     "/messages/room/{priv}",
     {},
     with(token_cells(), {{cred::non_member, "403 CHAT_002"}}),
     "bob is a member of the room"},
    // -- real time over plain HTTP ----------------------------------------
    {"POST", "/chat/room/{roomId}/message", "/chat/room/{priv}/message",
     json{{"message", "forbidden http send"}},
     with(token_cells(), {{cred::non_member, "403 CHAT_002"}}),
     "bob is a member of the room"},
    {"GET",
     events_pattern,
     "/chat/room/{priv}/events?lastEventId=0",
     {},
     with(token_cells(), {{cred::non_member, "403 CHAT_002"}}),
     "bob is a member of the room"},
  };
  return rows;
}

/// Alice's avatar upload (docs/api.md): member_id and a PNG.
std::string avatar_body(const std::string& member_id) {
  std::string png = "\x89PNG\r\n\x1a\n";
  png += std::string(32, 'x');
  return "--B0undary\r\nContent-Disposition: form-data; name=\"member_id\"\r\n"
         "\r\n"
         + member_id
         + "\r\n--B0undary\r\nContent-Disposition: form-data; name=\"file\"; "
           "filename=\"forbidden.png\"\r\nContent-Type: image/png\r\n\r\n"
         + png + "\r\n--B0undary--\r\n";
}

/// Segments with a placeholder as `{}`: the docs and the router name
/// their parameters differently.
std::string shape(std::string path) {
  path = path.substr(0, path.find('?'));
  std::string out;
  std::istringstream in{path};
  std::string seg;
  while (std::getline(in, seg, '/'))
    if (!seg.empty())
      out += "/" + (seg.find('{') != std::string::npos ? "{}" : seg);
  return out;
}

bool in_table(const std::string& method, const std::string& path) {
  return std::any_of(table().begin(), table().end(), [&](const rest_row& r) {
    return r.method == method && shape(r.pattern) == shape(path);
  });
}

} // namespace

namespace h2h::test::authz {

class authz_rest : public authz_matrix {
protected:
  std::string run(const rest_row& r, cred k) {
    auto token = w().token(k);
    std::map<std::string, std::string> headers;
    if (!token.empty())
      headers["Authorization"] = "Bearer " + token;
    std::string body;
    if (auto b = r.bodies.find(k); b != r.bodies.end()) {
      body = fill(b->second).dump();
    } else if (r.body.is_string() && r.body.get<std::string>() == "multipart") {
      body = avatar_body(std::to_string(w().alice.id));
      headers["Content-Type"] = "multipart/form-data; boundary=B0undary";
    } else if (!r.body.is_null()) {
      body = fill(r.body).dump();
    }
    auto target = fill(r.target);
    if (r.pattern == events_pattern) {
      sse_client c{w().port(), target, headers};
      if (c.status() == 200)
        return "200 (the stream opened)";
      return http_outcome(c.status(), c.body());
    }
    auto res = http_request(w().port(), r.method, target, body, headers);
    return http_outcome(res.status, res.body);
  }
};

TEST_F(authz_rest, every_route_refuses_every_credential_it_must) {
  int tried = 0;
  for (auto& r : table()) {
    for (auto& [k, expected] : r.expect) {
      ++tried;
      auto got = run(r, k);
      EXPECT_EQ(got, expected)
        << r.method << " " << r.target << " with " << name_of(k);
      std::cout << r.method << " " << r.target << " | " << name_of(k) << " | "
                << got << "\n";
    }
  }
  EXPECT_GE(tried, 90) << "the table lost cells";
  auto& x = w();
  auto port = x.port();
  auto& a = x.alice.access_token;
  // Nothing changed: alice is still alice, with her session, blocks,
  // device and rooms; bob and carol are what they were.
  auto alice = rest(port, "GET", "/member/profile", std::nullopt, a);
  ASSERT_EQ(alice.status, 200) << alice.raw << " (alice's session ended?)";
  EXPECT_EQ(alice.body["nickname"], "alice");
  EXPECT_EQ(alice.body["name"], "Name of alice");
  EXPECT_EQ(alice.body["avatar_url"], "") << "no avatar was stored";
  auto bob
    = rest(port, "GET", "/member/profile", std::nullopt, x.bob.access_token);
  EXPECT_EQ(bob.body.value("nickname", ""), "bob") << bob.raw;
  auto blocks
    = rest(port, "GET", "/member/getBlockingMembers", std::nullopt, a);
  ASSERT_EQ(blocks.status, 200) << blocks.raw;
  EXPECT_EQ(blocks.body["size"], 1) << blocks.raw;
  EXPECT_EQ(blocks.body["members"][0]["id"], x.eve.id) << blocks.raw;
  auto bobs = rest(port, "GET", "/member/getBlockingMembers", std::nullopt,
                   x.bob.access_token);
  EXPECT_EQ(bobs.body.value("size", -1), 0) << bobs.raw;
  auto room = rest(port, "GET", "/chat/room/" + x.priv, std::nullopt, a);
  ASSERT_EQ(room.status, 200) << room.raw;
  EXPECT_EQ(room.body["members"], (json{x.alice.id, x.bob.id})) << room.raw;
  auto rooms = rest(port, "GET", "/chat/rooms", std::nullopt, a);
  ASSERT_EQ(rooms.status, 200) << rooms.raw;
  for (auto& r : rooms.body)
    EXPECT_NE(r.value("name", ""), marker) << "a refused room was created";
  for (auto* t : {&x.carol.access_token, &x.eve.access_token}) {
    auto carol_rooms = rest(port, "GET", "/chat/rooms", std::nullopt, *t);
    for (auto& r : carol_rooms.body)
      EXPECT_NE(r.value("roomId", ""), x.priv) << "carol was let in";
  }
  // No report was filed (the admin port answers from loopback).
  admin_line admin{x.srv->admin_port()};
  admin.send("{\"cmd\":\"reports\"}\n");
  auto reports = admin.answer();
  ASSERT_TRUE(reports);
  EXPECT_EQ((*reports)["result"]["reports"], json::array()) << *reports;
  // No device was registered for alice by a refused call, and bob did not
  // remove hers: the first is not found, the second is.
  EXPECT_EQ(
    rest(port, "DELETE", "/member/device/forbidden-device", std::nullopt, a)
      .status,
    404);
  EXPECT_EQ(
    rest(port, "DELETE", "/member/device/" + x.device, std::nullopt, a).status,
    204);
  expect_nothing_stored_or_delivered();
}

TEST_F(authz_rest, the_table_covers_every_route_of_the_router_and_the_docs) {
  // The router of a node (api, HTTP send, operations) without a server.
  h2h::net::router r;
  h2h::net::add_api_routes(
    r, std::make_shared<h2h::net::api_context>(h2h::net::api_settings{}));
  h2h::net::add_send_route(r, std::make_shared<h2h::net::send_route_deps>());
  h2h::net::add_ops_routes(r, h2h::net::ops_sources{});
  std::set<std::string> routed;
  for (auto& [verb, pattern] : r.routes()) {
    auto name = boost::beast::http::to_string(verb);
    auto method = std::string(name.data(), name.size());
    routed.insert(method + " " + pattern);
    EXPECT_TRUE(in_table(method, pattern))
      << method << " " << pattern << " is missing from the matrix";
  }
  for (auto& row : table())
    EXPECT_TRUE(routed.count(row.method + " " + row.pattern)
                || row.pattern == events_pattern)
      << row.method << " " << row.pattern << " is no route any more";
  // Every call of docs/api.md's tables ("| `METHOD /path` |").
  std::ifstream doc{std::string{H2H_SOURCE_DIR} + "/docs/api.md"};
  ASSERT_TRUE(doc) << "docs/api.md";
  std::string line;
  int documented = 0;
  while (std::getline(doc, line)) {
    if (line.rfind("| `", 0) != 0)
      continue;
    auto end = line.find('`', 3);
    auto call = line.substr(3, end - 3);
    auto space = call.find(' ');
    if (space == std::string::npos || call[space + 1] != '/')
      continue;
    ++documented;
    EXPECT_TRUE(in_table(call.substr(0, space), call.substr(space + 1)))
      << call << " (docs/api.md) is missing from the matrix";
  }
  EXPECT_GE(documented, 25) << "docs/api.md's tables were not read";
}

} // namespace h2h::test::authz
