// Route-level tests of every account endpoint of DESIGN.md §3.1 (/auth/*,
// /member/*) with the exact statuses and codes of §3.4, on SQLite and MariaDB.
#include <gtest/gtest.h>

#include "api_test_fixture.hpp"
#include "net/security/crypto.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using strings = std::vector<std::string>;

namespace {

class auth_routes : public api_test {
protected:
  api_response send_code(const std::string& email,
                         const std::string& peer = "10.0.0.1") {
    return call(verb::post, "/auth/emailVerificationCode",
                json{{"email", email}}, {}, peer);
  }

  api_response confirm(const std::string& email, const std::string& code) {
    return call(verb::post, "/auth/confirmVerificationCode",
                json{{"email", email}, {"verification_code", code}}, {},
                fresh_peer());
  }

  api_response join(const std::string& email,
                    const std::string& password = std::string{good_password}) {
    return call(verb::post, "/auth/join",
                json{{"email", email},
                     {"name", "Alice Doe"},
                     {"nickname", "alice"},
                     {"password", password}});
  }

  api_response login(const std::string& email, const std::string& password,
                     const std::string& peer) {
    return call(verb::post, "/auth/login",
                json{{"email", email}, {"password", password}}, {}, peer);
  }

  api_response reissue(const json& member_id, const std::string& refresh) {
    return call(verb::post, "/auth/reissueToken",
                json{{"member_id", member_id}, {"refresh_token", refresh}});
  }

  api_response verify(const std::string& token) {
    return call(verb::get, "/auth/verifyAccessToken", std::nullopt, token);
  }
};

const strings login_keys{"access_token", "member_id", "name", "nickname",
                         "refresh_token"};
const strings reissue_keys{"access_token", "email",    "member_id",
                           "name",         "nickname", "refresh_token"};
const strings profile_keys{"avatar_url", "email", "member_id", "name",
                           "nickname"};

} // namespace

// -- POST /auth/emailVerificationCode -----------------------------------------

TEST_P(auth_routes, send_code_answers_202_and_mails_a_six_digit_code) {
  auto res = send_code("  Alice@Example.COM ");
  EXPECT_EQ(res.status, 202u) << res.raw;
  EXPECT_EQ(keys_of(res.body), strings{"message"});
  auto mails = mail_->mails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].to, "alice@example.com") << "the address is normalized";
  EXPECT_NE(mails[0].body.find("Your verification code is "),
            std::string::npos);
  EXPECT_EQ(mail_->last_code("alice@example.com").size(), 6u);
}

TEST_P(auth_routes, send_code_refuses_invalid_emails) {
  for (auto bad : {"not-an-email", "a@b", "@example.com", "a@@example.com",
                   "a b@example.com", "a@example.", ""})
    expect_error(send_code(bad, fresh_peer()), 400, "GLOBAL_002", bad);
  expect_error(call(verb::post, "/auth/emailVerificationCode", json::object()),
               400, "GLOBAL_002", "missing email");
  expect_error(
    call(verb::post, "/auth/emailVerificationCode", json{{"email", 42}}), 400,
    "GLOBAL_002", "email as a number");
  EXPECT_TRUE(mail_->mails().empty());
}

TEST_P(auth_routes, send_code_refuses_an_existing_member) {
  auto a = sign_up("alice");
  expect_error(send_code(a.email, fresh_peer()), 400, "AUTH_000");
  expect_error(send_code("ALICE@example.com", fresh_peer()), 400, "AUTH_000",
               "another case of the same address");
}

TEST_P(auth_routes, send_code_needs_a_json_content_type) {
  auto body = json{{"email", "alice@example.com"}}.dump();
  expect_error(call_raw(verb::post, "/auth/emailVerificationCode", body,
                        {{"Content-Type", "text/plain"}}),
               415, "GLOBAL_002", "text/plain");
  expect_error(call_raw(verb::post, "/auth/emailVerificationCode", body, {}),
               415, "GLOBAL_002", "no Content-Type");
  auto ok = call_raw(verb::post, "/auth/emailVerificationCode", body,
                     {{"Content-Type", "Application/JSON; charset=utf-8"}});
  EXPECT_EQ(ok.status, 202u) << "media type with parameters: " << ok.raw;
}

TEST_P(auth_routes, send_code_refuses_unreadable_json) {
  auto json_type
    = std::map<std::string, std::string>{{"Content-Type", "application/json"}};
  expect_error(call_raw(verb::post, "/auth/emailVerificationCode",
                        "{\"email\":", json_type),
               400, "GLOBAL_004", "truncated JSON");
  expect_error(
    call_raw(verb::post, "/auth/emailVerificationCode", "", json_type), 400,
    "GLOBAL_004", "empty body");
  expect_error(
    call_raw(verb::post, "/auth/emailVerificationCode", "[1,2]", json_type),
    400, "GLOBAL_002", "not an object");
}

TEST_P(auth_routes, send_code_is_rate_limited_per_email) {
  const std::string email = "alice@example.com";
  for (int i = 0; i < settings_.code_requests; ++i)
    EXPECT_EQ(send_code(email, fresh_peer()).status, 202u) << "request " << i;
  expect_error(send_code(email, fresh_peer()), 429, "GLOBAL_429",
               "one request over the per-email limit");
  EXPECT_EQ(send_code("bob@example.com", fresh_peer()).status, 202u)
    << "other addresses are not limited";
  advance_s(settings_.code_window_s);
  EXPECT_EQ(send_code(email, fresh_peer()).status, 202u)
    << "a new window allows codes again";
}

TEST_P(auth_routes, send_code_is_rate_limited_per_peer) {
  const int per_peer = settings_.code_requests * 4;
  for (int i = 0; i < per_peer; ++i)
    EXPECT_EQ(
      send_code("m" + std::to_string(i) + "@example.com", "10.9.9.9").status,
      202u)
      << "request " << i;
  expect_error(send_code("late@example.com", "10.9.9.9"), 429, "GLOBAL_429");
  EXPECT_EQ(send_code("late@example.com", "10.9.9.10").status, 202u);
}

// -- POST /auth/confirmVerificationCode ---------------------------------------

TEST_P(auth_routes, confirm_accepts_the_mailed_code) {
  auto code = request_code("alice@example.com");
  auto res = confirm("alice@example.com", code);
  EXPECT_EQ(res.status, 200u) << res.raw;
  EXPECT_EQ(keys_of(res.body), strings{"message"});
}

TEST_P(auth_routes, confirm_refuses_a_wrong_code_and_keeps_the_right_one) {
  auto code = request_code("alice@example.com");
  auto wrong = code == "000000" ? "111111" : "000000";
  expect_error(confirm("alice@example.com", wrong), 401, "AUTH_003");
  expect_error(confirm("alice@example.com", "12345"), 401, "AUTH_003",
               "five digits");
  EXPECT_EQ(confirm("alice@example.com", code).status, 200u);
}

TEST_P(auth_routes, confirm_refuses_an_expired_code) {
  auto code = request_code("alice@example.com");
  advance_ms(settings_.code_ttl_s * 1000 - 1);
  EXPECT_EQ(confirm("alice@example.com", code).status, 200u)
    << "one millisecond before the end of code_ttl";
  auto late = request_code("bob@example.com");
  advance_s(settings_.code_ttl_s);
  expect_error(confirm("bob@example.com", late), 401, "AUTH_004");
}

TEST_P(auth_routes, confirm_gives_up_after_too_many_wrong_attempts) {
  auto code = request_code("alice@example.com");
  auto wrong = code == "000000" ? "111111" : "000000";
  for (int i = 0; i < settings_.code_max_attempts; ++i)
    expect_error(confirm("alice@example.com", wrong), 401, "AUTH_003",
                 "wrong attempt " + std::to_string(i));
  expect_error(confirm("alice@example.com", code), 401, "AUTH_004",
               "the right code after too many wrong ones");
  expect_error(join("alice@example.com"), 401, "AUTH_003",
               "joining is still refused");
}

TEST_P(auth_routes, confirm_refuses_unknown_emails_and_replaced_codes) {
  expect_error(confirm("nobody@example.com", "123456"), 401, "AUTH_003");
  auto first = request_code("alice@example.com");
  auto second = request_code("alice@example.com");
  if (first != second)
    expect_error(confirm("alice@example.com", first), 401, "AUTH_003",
                 "a code replaced by a newer one");
  EXPECT_EQ(confirm("alice@example.com", second).status, 200u);
}

TEST_P(auth_routes, confirm_requires_its_fields) {
  expect_error(call(verb::post, "/auth/confirmVerificationCode",
                    json{{"email", "alice@example.com"}}),
               400, "GLOBAL_002", "no verification_code");
  expect_error(call(verb::post, "/auth/confirmVerificationCode",
                    json{{"verification_code", "123456"}}),
               400, "GLOBAL_002", "no email");
}

// -- POST /auth/join ----------------------------------------------------------

TEST_P(auth_routes, join_creates_a_member) {
  verify_email("alice@example.com");
  auto res = join("alice@example.com");
  ASSERT_EQ(res.status, 201u) << res.raw;
  EXPECT_EQ(keys_of(res.body), strings{"member_id"});
  ASSERT_TRUE(res.body["member_id"].is_number_integer());
  auto id = res.body["member_id"].get<std::int64_t>();
  EXPECT_GT(id, 0);
  auto m = db_->member_by_id(id);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->email, "alice@example.com");
  EXPECT_EQ(m->nickname, "alice");
  EXPECT_EQ(m->password_hash.rfind("$argon2id$", 0), 0u)
    << "stored as an Argon2id hash, never in clear";
}

TEST_P(auth_routes, join_refuses_weak_passwords) {
  verify_email("alice@example.com");
  for (auto weak :
       {"passw0rd!", "PASSW0RD!", "Password!", "Passw0rdx", "Pa0!xyz", ""})
    expect_error(join("alice@example.com", weak), 400, "GLOBAL_002", weak);
  expect_error(join("alice@example.com", "Aa1!" + std::string(125, 'x')), 400,
               "GLOBAL_002", "129 characters");
  EXPECT_EQ(join("alice@example.com", "Pa0!wxyz").status, 201u)
    << "eight characters of all four kinds";
}

TEST_P(auth_routes, join_needs_a_confirmed_code) {
  expect_error(join("alice@example.com"), 401, "AUTH_003", "no code at all");
  request_code("alice@example.com");
  expect_error(join("alice@example.com"), 401, "AUTH_003",
               "a code sent but not confirmed");
  verify_email("bob@example.com");
  advance_s(settings_.verified_join_window_s + 1);
  expect_error(join("bob@example.com"), 401, "AUTH_003",
               "confirmed too long ago");
}

TEST_P(auth_routes, join_refuses_a_duplicate_email) {
  verify_email("alice@example.com");
  ASSERT_EQ(join("alice@example.com").status, 201u);
  expect_error(join("alice@example.com"), 400, "AUTH_000");
  expect_error(join("Alice@Example.com"), 400, "AUTH_000", "another case");
}

TEST_P(auth_routes, join_requires_name_and_nickname) {
  verify_email("alice@example.com");
  auto base = json{{"email", "alice@example.com"},
                   {"name", "Alice"},
                   {"nickname", "alice"},
                   {"password", std::string{good_password}}};
  for (auto [key, value] :
       {std::pair{"name", json(nullptr)}, std::pair{"nickname", json(nullptr)},
        std::pair{"name", json("")}, std::pair{"nickname", json(7)},
        std::pair{"name", json(std::string(51, 'n'))}}) {
    auto body = base;
    if (value.is_null())
      body.erase(key);
    else
      body[key] = value;
    expect_error(call(verb::post, "/auth/join", body), 400, "GLOBAL_002",
                 body.dump());
  }
  EXPECT_EQ(call(verb::post, "/auth/join", base).status, 201u);
}

// -- POST /auth/login ---------------------------------------------------------

TEST_P(auth_routes, login_answers_tokens_and_names) {
  auto a = sign_up("alice");
  auto res = login(a.email, a.password, fresh_peer());
  ASSERT_EQ(res.status, 200u) << res.raw;
  EXPECT_EQ(keys_of(res.body), login_keys);
  EXPECT_EQ(res.body["member_id"], a.member_id);
  EXPECT_EQ(res.body["name"], a.name);
  EXPECT_EQ(res.body["nickname"], a.nickname);
  auto payload = token_payload(res.body["access_token"]);
  EXPECT_EQ(payload["sub"], std::to_string(a.member_id)) << "sub is a string";
  EXPECT_EQ(payload["iat"], now_ms() / 1000);
  EXPECT_EQ(payload["exp"], now_ms() / 1000 + settings_.access_ttl_s);
  EXPECT_NE(res.body["refresh_token"], a.refresh_token) << "a new session";
  auto upper = login("ALICE@EXAMPLE.COM", a.password, fresh_peer());
  EXPECT_EQ(upper.status, 200u) << "emails are case-insensitive";
}

TEST_P(auth_routes, login_refuses_unknown_members_and_wrong_passwords) {
  auto a = sign_up("alice");
  expect_error(login("nobody@example.com", a.password, fresh_peer()), 400,
               "AUTH_005");
  expect_error(login(a.email, "Wr0ng-password", fresh_peer()), 400, "AUTH_006");
  expect_error(call(verb::post, "/auth/login", json{{"email", a.email}}), 400,
               "GLOBAL_002", "no password");
}

TEST_P(auth_routes, login_is_rate_limited_per_email) {
  auto a = sign_up("alice");
  for (int i = 0; i < settings_.login_attempts; ++i)
    expect_error(login(a.email, "Wr0ng-password", fresh_peer()), 400,
                 "AUTH_006", "attempt " + std::to_string(i));
  expect_error(login(a.email, a.password, fresh_peer()), 429, "GLOBAL_429",
               "even the right password, from another address");
  advance_s(settings_.login_window_s);
  EXPECT_EQ(login(a.email, a.password, fresh_peer()).status, 200u)
    << "a new window";
}

TEST_P(auth_routes, a_successful_login_clears_the_email_count) {
  auto a = sign_up("alice");
  for (int i = 0; i + 1 < settings_.login_attempts; ++i)
    login(a.email, "Wr0ng-password", fresh_peer());
  ASSERT_EQ(login(a.email, a.password, fresh_peer()).status, 200u);
  for (int i = 0; i + 1 < settings_.login_attempts; ++i)
    expect_error(login(a.email, "Wr0ng-password", fresh_peer()), 400,
                 "AUTH_006");
}

TEST_P(auth_routes, login_is_rate_limited_per_peer) {
  auto a = sign_up("alice");
  const int per_peer = settings_.login_attempts * 4;
  for (int i = 0; i < per_peer; ++i)
    expect_error(
      login("m" + std::to_string(i) + "@example.com", a.password, "10.7.7.7"),
      400, "AUTH_005", "attempt " + std::to_string(i));
  expect_error(login(a.email, a.password, "10.7.7.7"), 429, "GLOBAL_429");
  EXPECT_EQ(login(a.email, a.password, "10.7.7.8").status, 200u)
    << "other addresses are not limited";
}

// -- GET /auth/verifyAccessToken ----------------------------------------------

TEST_P(auth_routes, verify_accepts_a_valid_token) {
  auto a = sign_up("alice");
  auto res = verify(a.access_token);
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.body, json({{"message", "verified"}}));
  auto q
    = call(verb::get, "/auth/verifyAccessToken?access_token=" + a.access_token);
  EXPECT_EQ(q.status, 200u) << "the token in the query string: " << q.raw;
  auto lower
    = call(verb::get, "/auth/verifyAccessToken", std::nullopt, {}, "10.0.0.1",
           {{"Authorization", "bearer " + a.access_token}});
  EXPECT_EQ(lower.status, 200u) << "the scheme is case-insensitive";
}

TEST_P(auth_routes, verify_refuses_missing_and_garbage_tokens) {
  sign_up("alice");
  expect_error(verify(""), 400, "GLOBAL_103", "no token");
  for (auto bad : {"abc", "a.b.c", "...", "eyJ.eyJ.sig", "Bearer"})
    expect_error(verify(bad), 400, "GLOBAL_103", bad);
  expect_error(call(verb::get, "/auth/verifyAccessToken", std::nullopt, {},
                    "10.0.0.1", {{"Authorization", "Basic dXNlcjpwYXNz"}}),
               400, "GLOBAL_103", "another scheme");
}

TEST_P(auth_routes, verify_reports_expired_tokens) {
  auto a = sign_up("alice");
  advance_s(settings_.access_ttl_s - 1);
  EXPECT_EQ(verify(a.access_token).status, 200u) << "one second left";
  advance_s(1);
  expect_error(verify(a.access_token), 400, "GLOBAL_104");
}

// -- POST /auth/reissueToken --------------------------------------------------

TEST_P(auth_routes, reissue_rotates_both_tokens) {
  auto a = sign_up("alice");
  advance_s(5);
  auto res = reissue(a.member_id, a.refresh_token);
  ASSERT_EQ(res.status, 200u) << res.raw;
  EXPECT_EQ(keys_of(res.body), reissue_keys);
  EXPECT_EQ(res.body["member_id"], a.member_id);
  EXPECT_EQ(res.body["email"], a.email);
  EXPECT_EQ(res.body["name"], a.name);
  EXPECT_EQ(res.body["nickname"], a.nickname);
  EXPECT_NE(res.body["access_token"], a.access_token);
  EXPECT_NE(res.body["refresh_token"], a.refresh_token);
  EXPECT_EQ(verify(res.body["access_token"]).status, 200u);
  // The old access token lives until it expires (only refresh tokens are
  // single use; see the report).
  EXPECT_EQ(verify(a.access_token).status, 200u);
  auto again = reissue(a.member_id, res.body["refresh_token"]);
  EXPECT_EQ(again.status, 200u) << "the new refresh token works: " << again.raw;
}

TEST_P(auth_routes, reissue_takes_member_id_as_a_string) {
  auto a = sign_up("alice");
  auto res = reissue(std::to_string(a.member_id), a.refresh_token);
  ASSERT_EQ(res.status, 200u) << res.raw;
  EXPECT_EQ(res.body["member_id"], a.member_id) << "answered as a number";
}

TEST_P(auth_routes, reissue_refuses_invalid_member_ids) {
  auto a = sign_up("alice");
  for (auto bad : {json("abc"), json(-1), json(0), json("-1"), json(""),
                   json(1.5), json(nullptr), json::array()})
    expect_error(reissue(bad, a.refresh_token), 400, "MEMBER_005", bad.dump());
  expect_error(call(verb::post, "/auth/reissueToken",
                    json{{"refresh_token", a.refresh_token}}),
               400, "MEMBER_005", "no member_id");
  EXPECT_EQ(reissue(a.member_id, a.refresh_token).status, 200u)
    << "refusals do not burn the token";
}

TEST_P(auth_routes, reissue_refuses_unknown_and_foreign_refresh_tokens) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  expect_error(reissue(a.member_id, "not-a-token"), 401, "AUTH_007");
  expect_error(reissue(a.member_id, h2h::net::crypto::random_token(32)), 401,
               "AUTH_007", "random");
  expect_error(reissue(a.member_id, ""), 401, "AUTH_007", "empty");
  expect_error(
    call(verb::post, "/auth/reissueToken", json{{"member_id", a.member_id}}),
    401, "AUTH_007", "missing");
  expect_error(reissue(a.member_id, b.refresh_token), 401, "AUTH_007",
               "bob's token with alice's id");
  expect_error(reissue(b.member_id + a.member_id + 1000, a.refresh_token), 401,
               "AUTH_007", "an unknown member");
}

TEST_P(auth_routes, reissue_reuse_kills_the_whole_session) {
  auto a = sign_up("alice");
  auto first = reissue(a.member_id, a.refresh_token);
  ASSERT_EQ(first.status, 200u);
  // Past the moment in which a second rotation with it is a client's twin.
  advance_ms(settings_.refresh_reuse_grace_ms + 1);
  expect_error(reissue(a.member_id, a.refresh_token), 401, "AUTH_007",
               "the used token again");
  expect_error(reissue(a.member_id, first.body["refresh_token"]), 401,
               "AUTH_007", "the newest token of the reused session");
  expect_error(verify(first.body["access_token"]), 400, "GLOBAL_103",
               "the access token of the revoked session");
  // Another login is unaffected.
  log_in(a);
  EXPECT_EQ(verify(a.access_token).status, 200u);
}

// The Android app rotates its refresh token after every non-2xx answer and
// retries once (issue 19): a normal user's failing calls must never cost
// the session.
TEST_P(auth_routes, twenty_failed_calls_rotate_twenty_times_in_a_minute) {
  auto a = sign_up("alice");
  auto refresh = a.refresh_token;
  for (int i = 0; i < 20; ++i) {
    auto failed = call(verb::get, "/member/profile?member_id=abc", std::nullopt,
                       a.access_token);
    ASSERT_EQ(failed.status, 400u);
    advance_ms(2500);
    auto res = reissue(a.member_id, refresh);
    ASSERT_EQ(res.status, 200u) << "rotation " << i << ": " << res.raw;
    refresh = res.body["refresh_token"];
    a.access_token = res.body["access_token"];
  }
  EXPECT_EQ(verify(a.access_token).status, 200u);
}

TEST_P(auth_routes, two_rotations_at_once_with_one_token_keep_the_session) {
  // Two calls failed together: the app rotates for each with the token it
  // holds. Both get a pair; neither ends the session.
  auto a = sign_up("alice");
  auto first = reissue(a.member_id, a.refresh_token);
  ASSERT_EQ(first.status, 200u) << first.raw;
  advance_ms(settings_.refresh_reuse_grace_ms);
  auto second = reissue(a.member_id, a.refresh_token);
  ASSERT_EQ(second.status, 200u) << second.raw;
  EXPECT_NE(second.body["refresh_token"], first.body["refresh_token"]);
  EXPECT_EQ(verify(first.body["access_token"]).status, 200u);
  EXPECT_EQ(verify(second.body["access_token"]).status, 200u);
  EXPECT_EQ(reissue(a.member_id, second.body["refresh_token"]).status, 200u);
  EXPECT_EQ(reissue(a.member_id, first.body["refresh_token"]).status, 200u);
  // Later the old token is a copy again: the session ends.
  advance_ms(1);
  expect_error(reissue(a.member_id, a.refresh_token), 401, "AUTH_007",
               "the first token after the grace");
  expect_error(verify(second.body["access_token"]), 400, "GLOBAL_103");
}

TEST_P(auth_routes, reissue_refuses_expired_refresh_tokens) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  advance_ms(settings_.refresh_ttl_s * 1000 - 1);
  EXPECT_EQ(reissue(b.member_id, b.refresh_token).status, 200u)
    << "one millisecond left";
  advance_ms(1);
  expect_error(reissue(a.member_id, a.refresh_token), 401, "AUTH_008");
}

// -- POST /auth/logout --------------------------------------------------------

TEST_P(auth_routes, logout_ends_the_session) {
  auto a = sign_up("alice");
  auto other = a;
  log_in(other);
  auto res = call(verb::post, "/auth/logout", std::nullopt, a.access_token);
  EXPECT_EQ(res.status, 200u) << res.raw;
  EXPECT_EQ(keys_of(res.body), strings{"message"});
  expect_error(verify(a.access_token), 400, "GLOBAL_103",
               "access after logout");
  expect_error(reissue(a.member_id, a.refresh_token), 401, "AUTH_007",
               "refresh after logout");
  expect_error(call(verb::post, "/auth/logout", std::nullopt, a.access_token),
               400, "GLOBAL_103", "logout twice");
  EXPECT_EQ(verify(other.access_token).status, 200u)
    << "another session of the same member";
  expect_error(call(verb::post, "/auth/logout"), 400, "GLOBAL_103", "no token");
}

// -- /member/profile ----------------------------------------------------------

TEST_P(auth_routes, profile_shows_own_and_other_members) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto own = call(verb::get, "/member/profile", std::nullopt, a.access_token);
  ASSERT_EQ(own.status, 200u) << own.raw;
  EXPECT_EQ(keys_of(own.body), profile_keys);
  EXPECT_EQ(own.body["member_id"], a.member_id);
  EXPECT_EQ(own.body["email"], a.email);
  EXPECT_EQ(own.body["name"], a.name);
  EXPECT_EQ(own.body["nickname"], a.nickname);
  EXPECT_EQ(own.body["avatar_url"], "");
  auto other = call(verb::get,
                    "/member/profile?member_id=" + std::to_string(b.member_id),
                    std::nullopt, a.access_token);
  ASSERT_EQ(other.status, 200u) << other.raw;
  EXPECT_EQ(other.body["member_id"], b.member_id);
  EXPECT_EQ(other.body["nickname"], "bob");
}

TEST_P(auth_routes, profile_refuses_invalid_and_unknown_members) {
  auto a = sign_up("alice");
  for (auto bad : {"abc", "-1", "0", "", "1x"})
    expect_error(call(verb::get,
                      std::string{"/member/profile?member_id="} + bad,
                      std::nullopt, a.access_token),
                 400, "MEMBER_005", bad);
  expect_error(
    call(verb::get,
         "/member/profile?member_id=" + std::to_string(a.member_id + 1000),
         std::nullopt, a.access_token),
    400, "AUTH_005");
  expect_error(call(verb::get, "/member/profile"), 400, "GLOBAL_103",
               "no token");
}

TEST_P(auth_routes, patch_profile_updates_own_profile) {
  auto a = sign_up("alice");
  auto res = call(verb::patch, "/member/profile",
                  json{{"name", "Alice Liddell"}, {"nickname", "ali"}},
                  a.access_token);
  ASSERT_EQ(res.status, 200u) << res.raw;
  EXPECT_EQ(keys_of(res.body), profile_keys);
  EXPECT_EQ(res.body["name"], "Alice Liddell");
  EXPECT_EQ(res.body["nickname"], "ali");
  auto nick = call(verb::patch, "/member/profile", json{{"nickname", "al"}},
                   a.access_token);
  ASSERT_EQ(nick.status, 200u) << nick.raw;
  EXPECT_EQ(nick.body["name"], "Alice Liddell") << "name unchanged";
  EXPECT_EQ(nick.body["nickname"], "al");
  auto get = call(verb::get, "/member/profile", std::nullopt, a.access_token);
  EXPECT_EQ(get.body["nickname"], "al");
  auto own_id
    = call(verb::patch, "/member/profile",
           json{{"member_id", a.member_id}, {"name", "A"}}, a.access_token);
  EXPECT_EQ(own_id.status, 200u) << "naming oneself: " << own_id.raw;
}

TEST_P(auth_routes, patch_profile_refuses_bad_fields_and_other_members) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  for (auto bad : {json::object(), json{{"name", ""}}, json{{"nickname", ""}},
                   json{{"nickname", 5}}, json{{"name", std::string(51, 'x')}}})
    expect_error(call(verb::patch, "/member/profile", bad, a.access_token), 400,
                 "GLOBAL_002", bad.dump());
  expect_error(call(verb::patch, "/member/profile",
                    json{{"member_id", b.member_id}, {"nickname", "evil"}},
                    a.access_token),
               403, "GLOBAL_105");
  EXPECT_EQ(db_->member_by_id(b.member_id)->nickname, "bob");
  expect_error(call(verb::patch, "/member/profile", json{{"nickname", "x"}}),
               400, "GLOBAL_103", "no token");
}

// -- /member/device -----------------------------------------------------------

TEST_P(auth_routes, devices_register_and_unregister) {
  auto a = sign_up("alice");
  auto res = call(verb::post, "/member/device",
                  json{{"token", "fcm:abc-DEF_123"}, {"platform", "ios"}},
                  a.access_token);
  EXPECT_EQ(res.status, 201u) << res.raw;
  auto plain = call(verb::post, "/member/device", json{{"token", "fcm-2"}},
                    a.access_token);
  EXPECT_EQ(plain.status, 201u) << "platform is optional: " << plain.raw;
  auto devices = db_->devices_of(a.member_id);
  ASSERT_EQ(devices.size(), 2u);
  auto del = call(verb::delete_, "/member/device/fcm:abc-DEF_123", std::nullopt,
                  a.access_token);
  EXPECT_EQ(del.status, 204u) << del.raw;
  EXPECT_TRUE(del.raw.empty());
  EXPECT_EQ(db_->devices_of(a.member_id).size(), 1u);
  expect_error(call(verb::delete_, "/member/device/fcm:abc-DEF_123",
                    std::nullopt, a.access_token),
               404, "GLOBAL_001", "deleted twice");
}

TEST_P(auth_routes, devices_refuse_bad_input_and_other_members) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  for (auto bad : {json{{"token", "t"}, {"platform", "windows"}},
                   json{{"token", "t"}, {"platform", 1}},
                   json{{"platform", "android"}}, json{{"token", ""}}})
    expect_error(call(verb::post, "/member/device", bad, a.access_token), 400,
                 "GLOBAL_002", bad.dump());
  ASSERT_EQ(call(verb::post, "/member/device", json{{"token", "bob-phone"}},
                 b.access_token)
              .status,
            201u);
  expect_error(call(verb::delete_, "/member/device/bob-phone", std::nullopt,
                    a.access_token),
               404, "GLOBAL_001", "bob's device by alice");
  EXPECT_EQ(db_->devices_of(b.member_id).size(), 1u);
  expect_error(
    call(verb::delete_, "/member/device/nothing", std::nullopt, a.access_token),
    404, "GLOBAL_001", "unknown device");
  expect_error(call(verb::post, "/member/device", json{{"token", "t"}}), 400,
               "GLOBAL_103", "no token");
}

// -- routing ------------------------------------------------------------------

TEST_P(auth_routes, unknown_paths_and_wrong_methods) {
  expect_error(call(verb::get, "/auth/nothing"), 404, "GLOBAL_001");
  expect_error(call(verb::get, "/member/profile/extra"), 404, "GLOBAL_001");
  expect_error(call(verb::get, "/auth/login"), 405, "GLOBAL_003");
  expect_error(call(verb::put, "/member/profile", json::object()), 405,
               "GLOBAL_003");
  expect_error(call(verb::delete_, "/auth/join"), 405, "GLOBAL_003");
  expect_error(call(verb::post, "/auth/verifyAccessToken"), 405, "GLOBAL_003");
}

H2H_API_STORES(auth_routes);
