// Integration: the original app's account flow and WebSocket security
// against a real h2hd with a 10 s access token, on SQLite and on MariaDB.
#include <gtest/gtest.h>

#include <thread>

#include "accounts.hpp"
#include "mariadb.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

/// The access token lifetime the server runs with (its minimum).
constexpr auto access_ttl = 10s;

class auth_scenario : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    auto args = local_args_on(GetParam(), dir_);
    if (!args)
      GTEST_SKIP() << "H2H_TEST_MYSQL_URL is not set";
    args->insert(args->end(),
                 {"--log-level", "info", "--auth.access_token_ttl_s", "10"});
    srv_ = std::make_unique<server_process>(H2HD_PATH, with_accounts(*args));
  }

  std::uint16_t port() const {
    return srv_->port();
  }

  temp_dir dir_;
  std::unique_ptr<server_process> srv_;
};

void expect_error(const rest_result& r, int status, const std::string& code,
                  const std::string& what = {}) {
  EXPECT_EQ(r.status, status) << what << ": " << r.raw;
  EXPECT_EQ(r.body.value("code", ""), code) << what << ": " << r.raw;
  EXPECT_EQ(r.body.value("status", 0), status) << what << ": " << r.raw;
}

std::vector<std::string> keys_of(const json& j) {
  std::vector<std::string> out;
  for (auto& [k, v] : j.items())
    out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<json> next_event(ws_client& c, const std::string& room,
                               const std::string& type) {
  return c.recv_where([&](const json& j) {
    return j.value("roomId", "") == room && j.value("type", "") == type;
  });
}

} // namespace

TEST_P(auth_scenario, the_original_apps_account_flow) {
  auto start = std::chrono::steady_clock::now();
  auto a = sign_up(*srv_, "alice");
  auto verified
    = rest(port(), "GET", "/auth/verifyAccessToken", {}, a.access_token);
  EXPECT_EQ(verified.status, 200) << verified.raw;
  EXPECT_EQ(verified.body, json({{"message", "verified"}}));

  // The app keeps using its token until the server calls it expired.
  rest_result expired;
  auto deadline = start + access_ttl + 5s;
  do {
    std::this_thread::sleep_for(250ms);
    expired
      = rest(port(), "GET", "/auth/verifyAccessToken", {}, a.access_token);
  } while (expired.status == 200
           && std::chrono::steady_clock::now() < deadline);
  expect_error(expired, 400, "GLOBAL_104", "after access_token_ttl_s");
  EXPECT_GE(std::chrono::steady_clock::now() - start, access_ttl - 1s)
    << "the token lived about its ttl";
  {
    ws_client late{port(), with_query_token(a.access_token)};
    auto err = next_error(late);
    ASSERT_TRUE(err) << "an expired token on the upgrade";
    EXPECT_EQ((*err)["code"], "GLOBAL_104");
    EXPECT_EQ(late.wait_closed(), std::optional<std::uint16_t>{1008});
  }

  // The app sends member_id as a string.
  auto reissued = rest(port(), "POST", "/auth/reissueToken",
                       json{{"member_id", std::to_string(a.id)},
                            {"refresh_token", a.refresh_token}});
  ASSERT_EQ(reissued.status, 200) << reissued.raw;
  EXPECT_EQ(keys_of(reissued.body),
            (std::vector<std::string>{"access_token", "email", "member_id",
                                      "name", "nickname", "refresh_token"}));
  EXPECT_EQ(reissued.body["member_id"], a.id);
  EXPECT_EQ(reissued.body["email"], a.email);
  std::string access = reissued.body["access_token"];
  std::string refresh = reissued.body["refresh_token"];
  EXPECT_NE(refresh, a.refresh_token);

  auto profile = rest(port(), "GET", "/member/profile", {}, access);
  ASSERT_EQ(profile.status, 200) << profile.raw;
  EXPECT_EQ(profile.body["member_id"], a.id);
  EXPECT_EQ(profile.body["email"], a.email);
  EXPECT_EQ(profile.body["nickname"], "alice");

  auto out = rest(port(), "POST", "/auth/logout", {}, access);
  EXPECT_EQ(out.status, 200) << out.raw;
  expect_error(
    rest(port(), "POST", "/auth/reissueToken",
         json{{"member_id", std::to_string(a.id)}, {"refresh_token", refresh}}),
    401, "AUTH_007", "the refresh token after logout");
  expect_error(
    rest(port(), "POST", "/auth/reissueToken",
         json{{"member_id", a.id}, {"refresh_token", a.refresh_token}}),
    401, "AUTH_007", "the first, used refresh token");
  expect_error(rest(port(), "GET", "/auth/verifyAccessToken", {}, access), 400,
               "GLOBAL_103", "the access token after logout");
}

TEST_P(auth_scenario, websocket_security_with_real_connections) {
  // Without a token (or with a bad one) the upgrade completes, then the
  // server explains and closes with 1008.
  for (auto opts : {ws_options{}, with_query_token("garbage"),
                    with_header_token("a.b.c")}) {
    ws_client anon{port(), opts};
    auto err = next_error(anon);
    ASSERT_TRUE(err) << opts.target;
    EXPECT_EQ((*err)["code"], "GLOBAL_103") << opts.target;
    EXPECT_EQ(anon.wait_closed(), std::optional<std::uint16_t>{1008});
  }

  auto a = sign_up(*srv_, "alice");
  auto logged_in_at = std::chrono::steady_clock::now();
  ws_client alice{port(), with_query_token(a.access_token)};

  // A valid token: the sender is the member, whatever the frame says.
  const std::string room = "lobby-" + GetParam();
  ASSERT_TRUE(alice.send_json(enter_frame(room, "alice")));
  auto entered = next_event(alice, room, "ENTER");
  ASSERT_TRUE(entered);
  EXPECT_EQ((*entered)["sender"], "alice");
  EXPECT_EQ((*entered)["senderId"], a.id);
  ASSERT_TRUE(alice.send_json(message_frame(room, "alice", "hello", "c-1")));
  auto said = next_event(alice, room, "MESSAGE");
  ASSERT_TRUE(said);
  EXPECT_EQ((*said)["sender"], "alice");
  EXPECT_EQ((*said)["senderId"], a.id);
  EXPECT_EQ((*said)["message"], "hello");
  ASSERT_TRUE(alice.send_json(message_frame(room, "mallory", "evil", "c-2")));
  auto forged = next_error(alice);
  ASSERT_TRUE(forged);
  EXPECT_EQ((*forged)["code"], "GLOBAL_105");
  EXPECT_FALSE(alice.closed()) << "a refused frame keeps the connection";

  // A private room: strangers are refused until the owner invites them.
  auto created
    = rest(port(), "POST", "/chat/room",
           json{{"name", "secret"}, {"private", true}}, a.access_token);
  ASSERT_EQ(created.status, 201) << created.raw;
  std::string secret = created.body["roomId"];
  auto b = sign_up(*srv_, "bob");
  ws_client bob{port(), with_header_token(b.access_token)};
  ASSERT_TRUE(bob.send_json(enter_frame(secret, "bob")));
  auto refused = next_error(bob);
  ASSERT_TRUE(refused);
  EXPECT_EQ((*refused)["code"], "CHAT_002");
  auto invited = rest(port(), "POST", "/chat/room/" + secret + "/members",
                      json{{"member_id", b.id}}, a.access_token);
  ASSERT_EQ(invited.status, 201) << invited.raw;
  ASSERT_TRUE(bob.send_json(enter_frame(secret, "bob")));
  auto bob_in = bob.recv_where([&](const json& j) {
    return j.value("type", "") == "ERROR"
           || (j.value("roomId", "") == secret
               && j.value("type", "") == "ENTER");
  });
  ASSERT_TRUE(bob_in);
  EXPECT_EQ((*bob_in)["type"], "ENTER") << bob_in->dump();
  EXPECT_EQ((*bob_in)["senderId"], b.id);

  // A logged-out session cannot connect.
  auto c = sign_up(*srv_, "carol");
  ASSERT_EQ(rest(port(), "POST", "/auth/logout", {}, c.access_token).status,
            200);
  {
    ws_client carol{port(), with_query_token(c.access_token)};
    auto err = next_error(carol);
    ASSERT_TRUE(err);
    EXPECT_EQ((*err)["code"], "GLOBAL_103");
    EXPECT_EQ(carol.wait_closed(), std::optional<std::uint16_t>{1008});
  }

  // Alice's token expires while she is connected: she is told and closed.
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    logged_in_at + access_ttl + 5s - std::chrono::steady_clock::now());
  auto gone = alice.recv_where(
    [](const json& j) {
      return j.value("type", "") == "ERROR"
             && j.value("code", "") == "GLOBAL_104";
    },
    left);
  EXPECT_TRUE(gone) << "an ERROR GLOBAL_104 before the close";
  EXPECT_EQ(alice.wait_closed(5s), std::optional<std::uint16_t>{1008});
  EXPECT_GE(std::chrono::steady_clock::now() - logged_in_at, access_ttl - 1s);
  EXPECT_EQ(srv_->stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(stores, auth_scenario,
                         ::testing::Values("sqlite", "mysql"),
                         [](const auto& info) { return info.param; });
