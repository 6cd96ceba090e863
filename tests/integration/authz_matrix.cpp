// The authorization matrix's world: one h2hd, alice's rooms and the six
// kinds of credential (authz_matrix.hpp).
#include "authz_matrix.hpp"

#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "mariadb.hpp"
#include "net/security/crypto.hpp"

namespace h2h::test::authz {

namespace crypto = h2h::net::crypto;
using namespace std::chrono_literals;

const std::vector<cred>& all_creds() {
  static const std::vector<cred> all{cred::none,       cred::expired,
                                     cred::tampered,   cred::other,
                                     cred::non_member, cred::logged_out};
  return all;
}

std::string name_of(cred k) {
  switch (k) {
    case cred::none:
      return "no token";
    case cred::expired:
      return "expired";
    case cred::tampered:
      return "tampered";
    case cred::other:
      return "another member's token";
    case cred::non_member:
      return "non-member";
    case cred::logged_out:
      return "logged out";
  }
  return "?";
}

cells token_cells() {
  return {{cred::none, "400 GLOBAL_103"},
          {cred::expired, "400 GLOBAL_104"},
          {cred::tampered, "400 GLOBAL_103"},
          {cred::logged_out, "400 GLOBAL_103"}};
}

std::string http_outcome(int status, const std::string& body) {
  auto j = json::parse(body, nullptr, false);
  std::string out = std::to_string(status);
  if (j.is_object() && j.contains("code")) {
    out += " " + j.value("code", "");
    // The body's status must agree with the answer's (docs/api.md).
    if (j.value("status", 0) != status)
      out += " (body status " + std::to_string(j.value("status", 0)) + ")";
  } else if (status >= 400) {
    out += " " + body.substr(0, 80);
  }
  return out;
}

std::optional<json> admin_line::answer(ms timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t end;
  while ((end = in_.find('\n')) == std::string::npos)
    if (!fill(deadline))
      return std::nullopt;
  auto line = in_.substr(0, end);
  in_.erase(0, end + 1);
  auto j = json::parse(line, nullptr, false);
  if (j.is_discarded())
    return std::nullopt;
  return j;
}

namespace {

/// The parts of a JWT.
struct jwt_parts {
  std::string header, payload, signature;
};

jwt_parts split(const std::string& token) {
  auto a = token.find('.');
  auto b = token.find('.', a + 1);
  if (a == std::string::npos || b == std::string::npos)
    throw std::runtime_error("not a JWT: " + token);
  return {token.substr(0, a), token.substr(a + 1, b - a - 1),
          token.substr(b + 1)};
}

json claims_of(const std::string& token) {
  std::string text;
  if (!crypto::base64url_decode(split(token).payload, text))
    throw std::runtime_error("payload is not base64url");
  return json::parse(text);
}

/// `claims` under the token's header, signed with the server's key.
std::string signed_token(const std::string& like, const json& claims) {
  auto input = split(like).header + "." + crypto::base64url(claims.dump());
  return input + "."
         + crypto::base64url(
           crypto::hmac_sha256(integration_jwt_secret, input));
}

/// `claims` under the token's header and its original signature.
std::string resigned_not(const std::string& like, const json& claims) {
  auto p = split(like);
  return p.header + "." + crypto::base64url(claims.dump()) + "." + p.signature;
}

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

rest_result must(rest_result r, int status, const std::string& what) {
  if (r.status != status)
    throw std::runtime_error(what + " answered " + std::to_string(r.status)
                             + ": " + r.raw);
  return r;
}

bool is_message(const json& j) {
  auto t = j.value("type", "");
  return t == "MESSAGE" || t == "TALK";
}

bool has_marker(const json& j) {
  return j.value("message", "").find(marker) != std::string::npos;
}

/// ENTERs `room` and waits for the connection's own ENTER notice.
void enter(ws_client& c, const std::string& room, const std::string& nick) {
  ASSERT_TRUE(c.send_json(enter_frame(room, nick)));
  auto notice = c.recv_where([&](const json& j) {
    return j.value("type", "") == "ERROR"
           || (j.value("type", "") == "ENTER" && j.value("roomId", "") == room
               && j.value("sender", "") == nick);
  });
  ASSERT_TRUE(notice) << nick << " got no ENTER notice in " << room;
  ASSERT_EQ((*notice)["type"], "ENTER") << notice->dump();
}

} // namespace

std::string world::token(cred k) const {
  switch (k) {
    case cred::none:
      return {};
    case cred::expired: {
      auto c = claims_of(alice.access_token);
      c["iat"] = now_s() - 7200;
      c["exp"] = now_s() - 3600;
      return signed_token(alice.access_token, c);
    }
    case cred::tampered: {
      auto c = claims_of(alice.access_token);
      c["sub"] = std::to_string(bob.id);
      return resigned_not(alice.access_token, c);
    }
    case cred::other:
      return bob.access_token;
    case cred::non_member:
      return carol.access_token;
    case cred::logged_out:
      return alice_gone.access_token;
  }
  return {};
}

std::unique_ptr<world> authz_matrix::world_;
std::string authz_matrix::store_kind_;

void authz_matrix::SetUpTestSuite() {
  auto x = std::make_unique<world>();
  // The store: SQLite, or MariaDB where ctest says so (the mysql. entries).
  auto* kind = std::getenv("H2H_AUTHZ_STORE");
  store_kind_ = kind ? kind : "sqlite";
  auto args = local_args_on(store_kind_, x->dir);
  if (!args)
    return; // SetUp skips: H2H_TEST_MYSQL_URL is not set
  args->insert(args->end(), {"--auth.require_email_verification", "false",
                             "--admin.token", x->admin_token});
  x->srv = std::make_unique<server_process>(H2HD_PATH, with_accounts(*args));
  auto port = x->port();
  x->alice = sign_up_unverified(port, "alice");
  x->bob = sign_up_unverified(port, "bob");
  x->carol = sign_up_unverified(port, "carol");
  x->eve = sign_up_unverified(port, "eve");
  auto& a = x->alice.access_token;
  x->priv = must(rest(port, "POST", "/chat/room",
                      json{{"name", "alice-private"}, {"private", true}}, a),
                 201, "alice's private room")
              .body.at("roomId")
              .get<std::string>();
  must(rest(port, "POST", "/chat/room/" + x->priv + "/members",
            json{{"member_id", x->bob.id}}, a),
       201, "bob into the private room");
  x->pub
    = must(rest(port, "POST", "/chat/room", json{{"name", "alice-public"}}, a),
           201, "alice's public room")
        .body.at("roomId")
        .get<std::string>();
  must(rest(port, "POST", "/member/device",
            json{{"token", x->device}, {"platform", "android"}}, a),
       201, "alice's device");
  must(rest(port, "POST", "/member/block",
            json{{"member_id", x->alice.id}, {"target_id", x->eve.id}}, a),
       200, "alice blocks eve");
  // Something to leak: a message in the private room before anyone tries.
  must(rest(port, "POST", "/chat/room/" + x->priv + "/message",
            json{{"message", "secret"}}, a),
       201, "alice's secret");
  // The logged-out session was used first, so that the node has it cached
  // as active when it ends (a logout on this node must win at once).
  x->alice_gone = log_in(port, x->alice.email);
  {
    ws_client before{port, with_query_token(x->alice_gone.access_token)};
    enter(before, x->pub, "alice");
    must(rest(port, "POST", "/chat/room/" + x->pub + "/message",
              json{{"message", "from the second session"}},
              x->alice_gone.access_token),
         201, "a send of alice's second session");
    must(rest(port, "POST", "/auth/logout", std::nullopt,
              x->alice_gone.access_token),
         200, "logout of alice's second session");
    auto code = before.wait_closed();
    if (code != std::optional<std::uint16_t>{1008})
      throw std::runtime_error("the logout did not close its WebSocket");
  }
  world_ = std::move(x);
}

void authz_matrix::TearDownTestSuite() {
  world_.reset();
}

void authz_matrix::SetUp() {
  if (!world_ && store_kind_ == "mysql")
    GTEST_SKIP() << "H2H_TEST_MYSQL_URL is not set";
  ASSERT_TRUE(world_) << "the suite's h2hd did not start";
  watcher_ = std::make_unique<ws_client>(
    w().port(), with_query_token(w().alice.access_token));
  enter(*watcher_, w().priv, "alice");
  enter(*watcher_, w().pub, "alice");
}

std::string authz_matrix::fill(std::string text) {
  auto& x = w();
  const std::pair<std::string, std::string> subs[]
    = {{"{alice}", std::to_string(x.alice.id)},
       {"{bob}", std::to_string(x.bob.id)},
       {"{carol}", std::to_string(x.carol.id)},
       {"{eve}", std::to_string(x.eve.id)},
       {"{priv}", x.priv},
       {"{pub}", x.pub},
       {"{device}", x.device},
       {"{alice.refresh}", x.alice.refresh_token},
       {"{alice_gone.refresh}", x.alice_gone.refresh_token}};
  for (auto& [from, to] : subs)
    for (auto p = text.find(from); p != std::string::npos;
         p = text.find(from, p + to.size()))
      text.replace(p, from.size(), to);
  return text;
}

json authz_matrix::fill(const json& body) {
  if (body.is_object()) {
    json out = json::object();
    for (auto& [k, v] : body.items())
      out[k] = fill(v);
    return out;
  }
  if (!body.is_string())
    return body;
  auto s = body.get<std::string>();
  for (auto id : {"{alice}", "{bob}", "{carol}", "{eve}"})
    if (s == id)
      return std::stoll(fill(s));
  return fill(s);
}

void authz_matrix::expect_nothing_stored_or_delivered() {
  auto& x = w();
  ASSERT_FALSE(watcher_->closed()) << "alice's connection was ended";
  // Alice's own message in each room: whatever a refused attempt had got
  // into a room would reach her before its ACK.
  for (const auto& room : {x.priv, x.pub}) {
    static int sent = 0;
    auto cmid = "sentinel-" + std::to_string(++sent);
    ASSERT_TRUE(
      watcher_->send_json(message_frame(room, "alice", "sentinel", cmid)));
    auto ack = watcher_->recv_where([&](const json& j) {
      if (is_message(j) && has_marker(j))
        ADD_FAILURE() << "delivered to alice: " << j.dump();
      return (j.value("type", "") == "ACK"
              && j.value("clientMsgId", "") == cmid)
             || j.value("type", "") == "ERROR";
    });
    ASSERT_TRUE(ack) << "no ACK for alice's sentinel in " << room;
    EXPECT_EQ((*ack)["type"], "ACK") << ack->dump();
    auto history = rest(x.port(), "GET", "/messages/room/" + room + "?size=100",
                        std::nullopt, x.alice.access_token);
    ASSERT_EQ(history.status, 200) << history.raw;
    bool sentinel = false;
    for (auto& m : history.body) {
      EXPECT_FALSE(has_marker(m)) << "stored in " << room << ": " << m.dump();
      sentinel = sentinel || m.value("message", "") == "sentinel";
    }
    EXPECT_TRUE(sentinel) << "the control message is in history";
  }
}

} // namespace h2h::test::authz
