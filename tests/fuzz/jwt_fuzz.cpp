// libFuzzer harness of access-token verification (net/security/jwt.hpp). Three
// uses of one input:
// 1. the input as a token: verify_token never crashes and what it accepts
//    is consistent (a member id > 0, valid only before `exp`);
// 2. the input as "<header JSON>\n<payload JSON>", signed with the key: the
//    claims parser sees any JSON, and accepted claims sign and verify again
//    to themselves;
// 3. claims made from the input bytes, signed by sign_token: the token
//    verifies with the key, not with another key, and no longer verifies
//    after any single byte of it changes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/security/crypto.hpp"
#include "net/security/jwt.hpp"
#include "invariant.hpp"

namespace net = h2h::net;
using net::token_status;

namespace {

constexpr std::string_view kKey = "h2h-fuzz-jwt-key-0123456789-abcdefghijklmn";
constexpr std::int64_t kNow = 1'700'000'000;

using h2h::fuzz::check;
using h2h::fuzz::fail;

bool same_claims(const net::token_claims& a, const net::token_claims& b) {
  return a.member_id == b.member_id && a.session_id == b.session_id
         && a.issued_at == b.issued_at && a.expires_at == b.expires_at;
}

/// What any verification result must satisfy.
void check_result(const net::token_check& r, std::string_view token) {
  switch (r.status) {
    case token_status::valid:
      check(r.claims.member_id > 0, "valid token without a member", token);
      check(kNow < r.claims.expires_at, "valid token past its exp", token);
      break;
    case token_status::expired:
      check(r.claims.member_id > 0, "expired token without a member", token);
      check(kNow >= r.claims.expires_at, "expired token before its exp", token);
      break;
    case token_status::invalid:
      break;
  }
}

/// Accepted claims, signed again, verify to themselves.
void check_resign(const net::token_check& r) {
  if (r.status == token_status::invalid)
    return;
  // sign_token writes the session id into JSON: only UTF-8 can go there,
  // and verified claims came out of a JSON parser.
  auto again = net::sign_token(r.claims, kKey);
  auto back = net::verify_token(again, kKey, kNow);
  check(back.status == r.status && same_claims(back.claims, r.claims),
        "re-signed claims verify differently", again);
}

/// Reads integers off the front of the input, zeros when it runs out.
struct reader {
  std::string_view in;
  std::uint64_t u64() {
    std::uint64_t x = 0;
    for (int i = 0; i < 8; ++i)
      x = (x << 8) | byte();
    return x;
  }
  std::uint8_t byte() {
    if (in.empty())
      return 0;
    auto b = static_cast<std::uint8_t>(in.front());
    in.remove_prefix(1);
    return b;
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};

  // 1. Whatever a client sends as its token.
  auto raw = net::verify_token(input, kKey, kNow);
  check_result(raw, input);
  check_resign(raw);

  // 2. Any header and payload, correctly signed.
  auto nl = input.find('\n');
  std::string header = nl == std::string_view::npos
                         ? std::string{R"({"alg":"HS256","typ":"JWT"})"}
                         : std::string{input.substr(0, nl)};
  auto payload = nl == std::string_view::npos ? input : input.substr(nl + 1);
  auto signing_input
    = net::crypto::base64url(header) + "." + net::crypto::base64url(payload);
  auto signed_token
    = signing_input + "."
      + net::crypto::base64url(net::crypto::hmac_sha256(kKey, signing_input));
  auto made = net::verify_token(signed_token, kKey, kNow);
  check_result(made, signed_token);
  check_resign(made);

  // 3. sign_token's own tokens: valid with the key, with no other key, and
  // not after any change of one byte.
  reader rd{input};
  net::token_claims c;
  c.member_id = static_cast<std::int64_t>(rd.u64() >> 1);
  if (c.member_id == 0)
    c.member_id = 1;
  c.issued_at = static_cast<std::int64_t>(rd.u64());
  c.expires_at = kNow + 1 + static_cast<std::int64_t>(rd.u64() >> 2);
  std::size_t flip_at = rd.byte();
  flip_at = (flip_at << 8) | rd.byte();
  std::uint8_t flip = rd.byte();
  if (flip == 0)
    flip = 1;
  // Session ids are random base64url text (crypto::random_token).
  static constexpr std::string_view alphabet
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (auto ch : rd.in.substr(0, 64))
    c.session_id += alphabet[static_cast<std::uint8_t>(ch) % alphabet.size()];

  auto token = net::sign_token(c, kKey);
  auto ok = net::verify_token(token, kKey, kNow);
  check(ok.status == token_status::valid && same_claims(ok.claims, c),
        "a signed token does not verify to its claims", token);
  check(net::verify_token(token, "another-key-of-at-least-32-bytes-xxxxx", kNow)
            .status
          == token_status::invalid,
        "a token verifies with another key", token);
  check(net::verify_token(token, kKey, c.expires_at).status
          == token_status::expired,
        "a token is not expired at its exp", token);
  auto bad = token;
  flip_at %= bad.size();
  bad[flip_at] = static_cast<char>(bad[flip_at] ^ flip);
  check(net::verify_token(bad, kKey, kNow).status == token_status::invalid,
        "a token with one byte changed still verifies", bad);
  return 0;
}
