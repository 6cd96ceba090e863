// Attacks on the REST API's authentication: forged, tampered and
// wrong-algorithm tokens, tokens of deleted members, refresh token theft
// and changing someone else's profile, on SQLite and MariaDB.
#include <gtest/gtest.h>

#include "api_test_fixture.hpp"
#include "net/security/crypto.hpp"

using namespace h2h::test;
namespace crypto = h2h::net::crypto;
using json = nlohmann::json;

namespace {

/// A JWT built by hand: header.payload.signature, each base64url; the
/// signature is HMAC-SHA256 with `secret` over the first two parts, or
/// `signature` verbatim when given.
std::string forge(const json& header, const json& payload,
                  std::string_view secret,
                  const std::optional<std::string>& signature = std::nullopt) {
  auto input = crypto::base64url(header.dump()) + "."
               + crypto::base64url(payload.dump());
  auto sig = signature ? *signature
                       : crypto::base64url(crypto::hmac_sha256(secret, input));
  return input + "." + sig;
}

/// Changes one character in the middle of the part `index` (0..2).
std::string flip_in_part(const std::string& token, int index) {
  std::size_t begin = 0;
  for (int i = 0; i < index; ++i)
    begin = token.find('.', begin) + 1;
  auto end = token.find('.', begin);
  if (end == std::string::npos)
    end = token.size();
  auto out = token;
  auto& c = out[begin + (end - begin) / 2];
  c = c == 'A' ? 'B' : 'A';
  return out;
}

const json hs256{{"alg", "HS256"}, {"typ", "JWT"}};

class security : public api_test {
protected:
  api_response verify(const std::string& token) {
    return call(verb::get, "/auth/verifyAccessToken", std::nullopt, token);
  }

  /// The claims of a real token of `a`, to forge variants of.
  json claims_of(const account& a) {
    return token_payload(a.access_token);
  }
};

} // namespace

TEST_P(security, a_hand_built_hs256_token_with_our_key_is_accepted) {
  // The control for every refusal below: the forging itself is right.
  auto a = sign_up("alice");
  EXPECT_EQ(verify(forge(hs256, claims_of(a), test_jwt_secret)).status, 200u);
  EXPECT_EQ(
    verify(forge(json{{"alg", "HS256"}}, claims_of(a), test_jwt_secret)).status,
    200u)
    << "typ is optional";
}

TEST_P(security, tampered_signatures_and_payloads_are_refused) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  expect_error(verify(flip_in_part(a.access_token, 2)), 400, "GLOBAL_103",
               "a character of the signature");
  expect_error(verify(flip_in_part(a.access_token, 1)), 400, "GLOBAL_103",
               "a character of the payload");
  expect_error(verify(flip_in_part(a.access_token, 0)), 400, "GLOBAL_103",
               "a character of the header");
  // Bob's id in alice's payload, alice's signature kept.
  auto claims = claims_of(a);
  claims["sub"] = std::to_string(b.member_id);
  auto sig = a.access_token.substr(a.access_token.rfind('.') + 1);
  expect_error(verify(forge(hs256, claims, {}, sig)), 400, "GLOBAL_103",
               "another sub under the old signature");
  expect_error(verify(a.access_token + "x"), 400, "GLOBAL_103", "appended");
  expect_error(verify(a.access_token + ".x"), 400, "GLOBAL_103",
               "a fourth part");
  expect_error(verify(a.access_token.substr(0, a.access_token.rfind('.') + 1)),
               400, "GLOBAL_103", "the signature cut off");
  // A bad signature counts before expiry: no oracle for forged tokens.
  advance_s(settings_.access_ttl_s + 1);
  expect_error(verify(flip_in_part(a.access_token, 2)), 400, "GLOBAL_103",
               "tampered and expired");
}

TEST_P(security, alg_none_is_refused) {
  auto a = sign_up("alice");
  auto claims = claims_of(a);
  for (auto alg : {"none", "None", "NONE"}) {
    json header{{"alg", alg}, {"typ", "JWT"}};
    expect_error(verify(forge(header, claims, {}, std::string{})), 400,
                 "GLOBAL_103", std::string{alg} + " with an empty signature");
    expect_error(verify(forge(header, claims, test_jwt_secret)), 400,
                 "GLOBAL_103",
                 std::string{alg} + " with a valid HS256 signature");
  }
  auto sig = a.access_token.substr(a.access_token.rfind('.') + 1);
  expect_error(verify(forge(json{{"alg", "none"}}, claims, {}, sig)), 400,
               "GLOBAL_103", "none with the original signature");
  expect_error(verify(forge(json{{"typ", "JWT"}}, claims, test_jwt_secret)),
               400, "GLOBAL_103", "no alg at all");
  expect_error(verify(forge(json{{"alg", json::array({"HS256"})}}, claims,
                            test_jwt_secret)),
               400, "GLOBAL_103", "alg as an array");
}

TEST_P(security, other_algorithms_are_refused) {
  auto a = sign_up("alice");
  auto claims = claims_of(a);
  for (auto alg : {"HS512", "HS384", "RS256", "ES256", "PS256", "hs256"})
    expect_error(verify(forge(json{{"alg", alg}, {"typ", "JWT"}}, claims,
                              test_jwt_secret)),
                 400, "GLOBAL_103", alg);
}

TEST_P(security, tokens_signed_with_another_key_are_refused) {
  auto a = sign_up("alice");
  expect_error(
    verify(forge(hs256, claims_of(a), "another-secret-of-32-bytes-or-more!!")),
    400, "GLOBAL_103");
  expect_error(verify(forge(hs256, claims_of(a), "")), 400, "GLOBAL_103",
               "an empty key");
  expect_error(verify(std::string(5000, 'a')), 400, "GLOBAL_103",
               "an overlong token");
}

TEST_P(security, sub_as_number_or_string_only_when_signed_by_us) {
  auto a = sign_up("alice");
  auto claims = claims_of(a);
  claims["sub"] = a.member_id;
  EXPECT_EQ(verify(forge(hs256, claims, test_jwt_secret)).status, 200u)
    << "sub as a number";
  expect_error(verify(forge(hs256, claims, "not-our-key-but-32-bytes-long!!!")),
               400, "GLOBAL_103", "sub as a number, foreign key");
  claims["sub"] = std::to_string(a.member_id);
  EXPECT_EQ(verify(forge(hs256, claims, test_jwt_secret)).status, 200u)
    << "sub as a string";
  expect_error(verify(forge(hs256, claims, "not-our-key-but-32-bytes-long!!!")),
               400, "GLOBAL_103", "sub as a string, foreign key");
  for (auto bad : {json(0), json(-1), json("abc"), json(""), json(1.5),
                   json(nullptr), json(std::to_string(a.member_id) + "x")}) {
    claims["sub"] = bad;
    expect_error(verify(forge(hs256, claims, test_jwt_secret)), 400,
                 "GLOBAL_103", "sub " + bad.dump());
  }
}

TEST_P(security, claims_must_be_well_formed) {
  auto a = sign_up("alice");
  auto no_exp = claims_of(a);
  no_exp.erase("exp");
  expect_error(verify(forge(hs256, no_exp, test_jwt_secret)), 400, "GLOBAL_103",
               "no exp");
  auto text_exp = claims_of(a);
  text_exp["exp"] = std::to_string(text_exp["exp"].get<std::int64_t>());
  expect_error(verify(forge(hs256, text_exp, test_jwt_secret)), 400,
               "GLOBAL_103", "exp as a string");
  auto no_sid = claims_of(a);
  no_sid.erase("sid");
  expect_error(verify(forge(hs256, no_sid, test_jwt_secret)), 400, "GLOBAL_103",
               "no session");
  expect_error(verify(forge(hs256, json::array({1, 2}), test_jwt_secret)), 400,
               "GLOBAL_103", "a payload that is not an object");
}

TEST_P(security, a_token_is_bound_to_its_sessions_member) {
  // Even with our key, bob's id in alice's session is refused: the session
  // belongs to alice.
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto claims = claims_of(a);
  claims["sub"] = std::to_string(b.member_id);
  expect_error(verify(forge(hs256, claims, test_jwt_secret)), 400,
               "GLOBAL_103");
  expect_error(call(verb::patch, "/member/profile", json{{"nickname", "evil"}},
                    forge(hs256, claims, test_jwt_secret)),
               400, "GLOBAL_103", "patching bob through alice's session");
  EXPECT_EQ(db_->member_by_id(b.member_id)->nickname, "bob");
}

TEST_P(security, tokens_of_deleted_members_are_refused) {
  auto a = sign_up("alice");
  ASSERT_EQ(verify(a.access_token).status, 200u);
  ASSERT_TRUE(db_->delete_member(a.member_id));
  expect_error(verify(a.access_token), 400, "GLOBAL_103");
  expect_error(call(verb::get, "/member/profile", std::nullopt, a.access_token),
               400, "GLOBAL_103", "profile");
  expect_error(
    call(verb::post, "/chat/room", json{{"name", "x"}}, a.access_token), 400,
    "GLOBAL_103", "create a room");
  expect_error(call(verb::get, "/chat/rooms", std::nullopt, a.access_token),
               400, "GLOBAL_103", "list rooms");
  expect_error(
    call(verb::post, "/auth/reissueToken",
         json{{"member_id", a.member_id}, {"refresh_token", a.refresh_token}}),
    401, "AUTH_007", "refresh token of a deleted member");
}

TEST_P(security, a_stolen_refresh_token_is_worthless_after_use) {
  auto a = sign_up("alice");
  auto stolen = a.refresh_token;
  auto legit
    = call(verb::post, "/auth/reissueToken",
           json{{"member_id", a.member_id}, {"refresh_token", stolen}});
  ASSERT_EQ(legit.status, 200u) << legit.raw;
  // Within auth.refresh_reuse_grace_ms a second use is taken for the same
  // client's parallel rotation (auth_routes_test); a copy used later is not.
  advance_ms(settings_.refresh_reuse_grace_ms + 1);
  auto thief = call(verb::post, "/auth/reissueToken",
                    json{{"member_id", std::to_string(a.member_id)},
                         {"refresh_token", stolen}});
  expect_error(thief, 401, "AUTH_007", "the copy");
  // The reuse ends the session: the rotated tokens die as well.
  expect_error(call(verb::post, "/auth/reissueToken",
                    json{{"member_id", a.member_id},
                         {"refresh_token", legit.body["refresh_token"]}}),
               401, "AUTH_007", "the rotated refresh token");
  expect_error(verify(legit.body["access_token"]), 400, "GLOBAL_103",
               "the rotated access token");
}

TEST_P(security, nobody_changes_another_members_profile) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  expect_error(call(verb::patch, "/member/profile",
                    json{{"member_id", b.member_id}, {"nickname", "evil"}},
                    a.access_token),
               403, "GLOBAL_105");
  expect_error(
    call(verb::patch, "/member/profile",
         json{{"member_id", std::to_string(b.member_id)}, {"name", "Evil"}},
         a.access_token),
    403, "GLOBAL_105", "member_id as a string");
  auto claims = claims_of(b);
  expect_error(call(verb::patch, "/member/profile", json{{"nickname", "evil"}},
                    forge(hs256, claims, "forged-key-forged-key-forged-key")),
               400, "GLOBAL_103", "a forged token of bob");
  auto bob = db_->member_by_id(b.member_id);
  EXPECT_EQ(bob->nickname, "bob");
  EXPECT_EQ(bob->name, b.name);
}

H2H_API_STORES(security);
