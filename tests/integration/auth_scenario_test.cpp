// Integration: the original app's account flow and WebSocket security
// against a real h2hd with a 10 s access token, on SQLite and on MariaDB.
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "mariadb.hpp"
#include "process.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* jwt_secret = "integration-secret-0123456789-abcdefgh";
constexpr const char* password = "Passw0rd!";
/// The access token lifetime the server runs with (its minimum).
constexpr auto access_ttl = 10s;

struct rest_result {
  int status = 0;
  json body;
  std::string raw;
};

struct member {
  std::int64_t id = 0;
  std::string email;
  std::string nickname;
  std::string access_token;
  std::string refresh_token;
};

class auth_scenario : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    std::vector<std::string> args{"--port",
                                  "0",
                                  "--bind",
                                  "127.0.0.1",
                                  "--log-level",
                                  "info",
                                  "--auth.password_memory_kib",
                                  "8",
                                  "--auth.password_ops",
                                  "1",
                                  "--auth.access_token_ttl_s",
                                  "10",
                                  "--auth.jwt_secret",
                                  jwt_secret};
    if (GetParam() == "sqlite") {
      args.insert(args.end(), {"--store.sqlite_path", dir_.path() + "/h2h.db"});
    } else {
      auto base = shared_mysql_url();
      if (base.empty())
        GTEST_SKIP() << "H2H_TEST_MYSQL_URL is not set";
      args.insert(args.end(), {"--store.kind", "mysql", "--store.mysql_url",
                               fresh_mysql_database(base)});
    }
    srv_ = std::make_unique<server_process>(H2HD_PATH, args);
  }

  void TearDown() override {
    if (srv_ && HasFailure())
      std::cerr << "---- h2hd log ----\n" << srv_->log() << "------\n";
  }

  std::uint16_t port() const {
    return srv_->port();
  }

  rest_result rest(const std::string& method, const std::string& target,
                   const std::optional<json>& body = std::nullopt,
                   const std::string& token = {}) {
    std::map<std::string, std::string> headers;
    if (!token.empty())
      headers["Authorization"] = "Bearer " + token;
    auto res
      = http_request(port(), method, target, body ? body->dump() : "", headers);
    rest_result out;
    out.status = res.status;
    out.raw = res.body;
    auto j = json::parse(res.body, nullptr, false);
    if (!j.is_discarded())
      out.body = std::move(j);
    return out;
  }

  /// The code the server logged for `email` (no SMTP configured); waits
  /// for the log line, bounded.
  std::string logged_code(const std::string& email) {
    const std::string phrase = "Your verification code is ";
    auto deadline = std::chrono::steady_clock::now() + 5s;
    for (;;) {
      std::istringstream log{srv_->log()};
      std::string line, code;
      while (std::getline(log, line)) {
        auto p = line.find(phrase);
        if (line.find("mail to " + email + " ") != std::string::npos
            && p != std::string::npos)
          code = line.substr(p + phrase.size(), 6);
      }
      if (!code.empty())
        return code;
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("no code logged for " + email);
      std::this_thread::sleep_for(20ms);
    }
  }

  /// Send code, read it from the log, confirm, join, log in.
  member sign_up(const std::string& nickname) {
    member m;
    m.nickname = nickname;
    m.email = nickname + "@example.com";
    auto sent
      = rest("POST", "/auth/emailVerificationCode", json{{"email", m.email}});
    EXPECT_EQ(sent.status, 202) << sent.raw;
    auto confirmed = rest(
      "POST", "/auth/confirmVerificationCode",
      json{{"email", m.email}, {"verification_code", logged_code(m.email)}});
    EXPECT_EQ(confirmed.status, 200) << confirmed.raw;
    auto joined = rest("POST", "/auth/join",
                       json{{"email", m.email},
                            {"name", "Name of " + nickname},
                            {"nickname", nickname},
                            {"password", password}});
    if (joined.status != 201)
      throw std::runtime_error("join failed: " + joined.raw);
    m.id = joined.body.at("member_id");
    log_in(m);
    return m;
  }

  void log_in(member& m) {
    auto res = rest("POST", "/auth/login",
                    json{{"email", m.email}, {"password", password}});
    if (res.status != 200)
      throw std::runtime_error("login failed: " + res.raw);
    m.access_token = res.body.at("access_token");
    m.refresh_token = res.body.at("refresh_token");
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

/// Reads frames until one satisfies `pred` (bounded); nullopt on timeout
/// or close.
std::optional<json> next_where(ws_client& c,
                               const std::function<bool(const json&)>& pred,
                               std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return std::nullopt;
    auto text = c.recv(left);
    if (!text)
      return std::nullopt;
    auto j = json::parse(*text, nullptr, false);
    if (!j.is_discarded() && pred(j))
      return j;
  }
}

std::optional<json> next_error(ws_client& c,
                               std::chrono::milliseconds timeout = 5s) {
  return next_where(
    c, [](const json& j) { return j.value("type", "") == "ERROR"; }, timeout);
}

std::optional<json> next_event(ws_client& c, const std::string& room,
                               const std::string& type) {
  return next_where(c, [&](const json& j) {
    return j.value("roomId", "") == room && j.value("type", "") == type;
  });
}

ws_options with_query_token(const std::string& token) {
  ws_options o;
  o.target = "/message?access_token=" + token;
  return o;
}

ws_options with_header_token(const std::string& token) {
  ws_options o;
  o.headers["Authorization"] = "Bearer " + token;
  return o;
}

} // namespace

TEST_P(auth_scenario, the_original_apps_account_flow) {
  auto start = std::chrono::steady_clock::now();
  auto a = sign_up("alice");
  auto verified = rest("GET", "/auth/verifyAccessToken", {}, a.access_token);
  EXPECT_EQ(verified.status, 200) << verified.raw;
  EXPECT_EQ(verified.body, json({{"message", "verified"}}));

  // The app keeps using its token until the server calls it expired.
  rest_result expired;
  auto deadline = start + access_ttl + 5s;
  do {
    std::this_thread::sleep_for(250ms);
    expired = rest("GET", "/auth/verifyAccessToken", {}, a.access_token);
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
  auto reissued = rest("POST", "/auth/reissueToken",
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

  auto profile = rest("GET", "/member/profile", {}, access);
  ASSERT_EQ(profile.status, 200) << profile.raw;
  EXPECT_EQ(profile.body["member_id"], a.id);
  EXPECT_EQ(profile.body["email"], a.email);
  EXPECT_EQ(profile.body["nickname"], "alice");

  auto out = rest("POST", "/auth/logout", {}, access);
  EXPECT_EQ(out.status, 200) << out.raw;
  expect_error(
    rest("POST", "/auth/reissueToken",
         json{{"member_id", std::to_string(a.id)}, {"refresh_token", refresh}}),
    401, "AUTH_007", "the refresh token after logout");
  expect_error(
    rest("POST", "/auth/reissueToken",
         json{{"member_id", a.id}, {"refresh_token", a.refresh_token}}),
    401, "AUTH_007", "the first, used refresh token");
  expect_error(rest("GET", "/auth/verifyAccessToken", {}, access), 400,
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

  auto a = sign_up("alice");
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
    = rest("POST", "/chat/room", json{{"name", "secret"}, {"private", true}},
           a.access_token);
  ASSERT_EQ(created.status, 201) << created.raw;
  std::string secret = created.body["roomId"];
  auto b = sign_up("bob");
  ws_client bob{port(), with_header_token(b.access_token)};
  ASSERT_TRUE(bob.send_json(enter_frame(secret, "bob")));
  auto refused = next_error(bob);
  ASSERT_TRUE(refused);
  EXPECT_EQ((*refused)["code"], "CHAT_002");
  auto invited = rest("POST", "/chat/room/" + secret + "/members",
                      json{{"member_id", b.id}}, a.access_token);
  ASSERT_EQ(invited.status, 201) << invited.raw;
  ASSERT_TRUE(bob.send_json(enter_frame(secret, "bob")));
  auto bob_in = next_where(bob, [&](const json& j) {
    return j.value("type", "") == "ERROR"
           || (j.value("roomId", "") == secret
               && j.value("type", "") == "ENTER");
  });
  ASSERT_TRUE(bob_in);
  EXPECT_EQ((*bob_in)["type"], "ENTER") << bob_in->dump();
  EXPECT_EQ((*bob_in)["senderId"], b.id);

  // A logged-out session cannot connect.
  auto c = sign_up("carol");
  ASSERT_EQ(rest("POST", "/auth/logout", {}, c.access_token).status, 200);
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
  auto gone = next_where(
    alice,
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
