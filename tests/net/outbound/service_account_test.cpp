// The pure OAuth2 parts: the credentials file checked with every problem
// listed, the RS256 assertion (header, claims, a signature that verifies
// with the public key), the token answer and the cache.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "net/outbound/service_account.hpp"
#include "net/security/crypto.hpp"
#include "rsa_test_keys.hpp"

using namespace h2h;
using namespace h2h::net;
using json = nlohmann::json;

namespace {

const test::rsa_pair& keys() {
  static const test::rsa_pair pair = test::make_rsa_pair();
  return pair;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out{""};
  for (char c : s)
    if (c == sep)
      out.emplace_back();
    else
      out.back() += c;
  return out;
}

std::string decode(const std::string& part) {
  std::string out;
  EXPECT_TRUE(crypto::base64url_decode(part, out)) << part;
  return out;
}

} // namespace

TEST(PushServiceAccount, AValidFileHasNoProblems) {
  auto text
    = test::service_account_json("push@p.iam.example", keys().private_pem,
                                 "https://oauth2.example/token", "p-1");
  auto r = parse_service_account(text);
  EXPECT_TRUE(r.problems.empty()) << r.problems.front();
  EXPECT_EQ(r.account.client_email, "push@p.iam.example");
  EXPECT_EQ(r.account.project_id, "p-1");
  EXPECT_EQ(r.account.token_uri, "https://oauth2.example/token");
}

TEST(PushServiceAccount, EveryMissingFieldIsListed) {
  auto r = parse_service_account(R"({"type":"service_account"})");
  ASSERT_EQ(r.problems.size(), 4u);
  EXPECT_NE(r.problems[0].find("client_email"), std::string::npos);
  EXPECT_NE(r.problems[1].find("private_key"), std::string::npos);
  EXPECT_NE(r.problems[2].find("token_uri"), std::string::npos);
  EXPECT_NE(r.problems[3].find("project_id"), std::string::npos);
}

TEST(PushServiceAccount, ABadKeyAndABadUriAreBothListed) {
  auto text = test::service_account_json(
    "a@b", "-----BEGIN PRIVATE KEY-----\nxx", "ftp://x", "p");
  auto r = parse_service_account(text);
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_NE(r.problems[0].find("token_uri"), std::string::npos);
  EXPECT_NE(r.problems[1].find("private_key"), std::string::npos);
}

TEST(PushServiceAccount, NotJsonAndAnUnreadableFileAreProblems) {
  EXPECT_EQ(parse_service_account("{nope").problems.size(), 1u);
  auto r = load_service_account("/nonexistent/h2h-fcm.json");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("cannot read"), std::string::npos);
}

TEST(PushAssertion, HeaderAndClaimsAreRight) {
  service_account sa{"push@p.iam.example", keys().private_pem,
                     "https://oauth2.example/token", "p-1"};
  auto parts = split(make_assertion(sa, 1'700'000'000), '.');
  ASSERT_EQ(parts.size(), 3u);
  auto header = json::parse(decode(parts[0]));
  EXPECT_EQ(header["alg"], "RS256");
  EXPECT_EQ(header["typ"], "JWT");
  auto claims = json::parse(decode(parts[1]));
  EXPECT_EQ(claims["iss"], "push@p.iam.example");
  EXPECT_EQ(claims["scope"],
            "https://www.googleapis.com/auth/firebase.messaging");
  EXPECT_EQ(claims["aud"], "https://oauth2.example/token");
  EXPECT_EQ(claims["iat"], 1'700'000'000);
  EXPECT_EQ(claims["exp"], 1'700'003'600);
}

TEST(PushAssertion, SignatureVerifiesWithThePublicKeyOnly) {
  service_account sa{"push@p.iam.example", keys().private_pem,
                     "https://oauth2.example/token", "p-1"};
  auto jwt = make_assertion(sa, 1'700'000'000);
  auto parts = split(jwt, '.');
  ASSERT_EQ(parts.size(), 3u);
  auto signed_part = parts[0] + "." + parts[1];
  EXPECT_TRUE(
    test::rs256_verifies(keys().public_pem, signed_part, decode(parts[2])));
  EXPECT_FALSE(test::rs256_verifies(keys().public_pem, signed_part + "x",
                                    decode(parts[2])));
  auto other = test::make_rsa_pair();
  EXPECT_FALSE(
    test::rs256_verifies(other.public_pem, signed_part, decode(parts[2])));
}

TEST(PushAssertion, TheFormCarriesTheGrantTypeAndTheAssertion) {
  auto body = token_request_body("h.c.s");
  EXPECT_EQ(body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-"
                  "bearer&assertion=h.c.s");
}

TEST(PushTokenAnswer, IsUsedUntilAMinuteBeforeItExpires) {
  std::string why;
  auto t = parse_token_response(
    R"({"access_token":"ya29.x","expires_in":3599,"token_type":"Bearer"})",
    1'000'000, why);
  ASSERT_TRUE(t) << why;
  EXPECT_EQ(t->value, "ya29.x");
  EXPECT_EQ(t->use_until_ms, 1'000'000 + (3599 - 60) * 1000);
  token_cache cache;
  cache.store(*t);
  EXPECT_NE(cache.valid(t->use_until_ms - 1), nullptr);
  EXPECT_EQ(cache.valid(t->use_until_ms), nullptr);
  cache.invalidate();
  EXPECT_EQ(cache.valid(0), nullptr);
}

TEST(PushTokenAnswer, ShortLivedTokensAreUsedForHalfTheirLife) {
  std::string why;
  auto t
    = parse_token_response(R"({"access_token":"a","expires_in":10})", 0, why);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->use_until_ms, 5000);
}

TEST(PushTokenAnswer, UnusableAnswersSayWhy) {
  std::string why;
  EXPECT_FALSE(parse_token_response("nope", 0, why));
  EXPECT_FALSE(why.empty());
  EXPECT_FALSE(parse_token_response(R"({"expires_in":10})", 0, why));
  EXPECT_FALSE(
    parse_token_response(R"({"access_token":"a","expires_in":-1})", 0, why));
}
