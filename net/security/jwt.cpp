// Access tokens: JWT with HS256 only (RFC 7519), pure functions.
#include "net/security/jwt.hpp"

#include <charconv>

#include <nlohmann/json.hpp>

#include "net/security/crypto.hpp"

namespace h2h::net {

namespace {

using nlohmann::json;

constexpr std::string_view header_b64 = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

bool parse_member_id(const json& sub, std::int64_t& out) {
  if (sub.is_number_integer()) {
    out = sub.get<std::int64_t>();
    return out > 0;
  }
  if (!sub.is_string())
    return false;
  auto s = sub.get<std::string>();
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size() && out > 0;
}

} // namespace

std::string sign_token(const token_claims& c, std::string_view secret) {
  json payload{{"sub", std::to_string(c.member_id)},
               {"sid", c.session_id},
               {"iat", c.issued_at},
               {"exp", c.expires_at}};
  std::string out{header_b64};
  out += '.';
  out += crypto::base64url(payload.dump());
  auto sig = crypto::hmac_sha256(secret, out);
  out += '.';
  out += crypto::base64url(sig);
  return out;
}

token_check verify_token(std::string_view token, std::string_view secret,
                         std::int64_t now) {
  token_check out;
  if (token.size() > 4096)
    return out;
  auto d1 = token.find('.');
  auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos
      || token.find('.', d2 + 1) != std::string_view::npos)
    return out;
  auto signing_input = token.substr(0, d2);
  std::string header_raw, payload_raw, sig;
  if (!crypto::base64url_decode(token.substr(0, d1), header_raw)
      || !crypto::base64url_decode(token.substr(d1 + 1, d2 - d1 - 1),
                                   payload_raw)
      || !crypto::base64url_decode(token.substr(d2 + 1), sig))
    return out;
  auto header = json::parse(header_raw, nullptr, false);
  // The algorithm is ours to choose, never the token's: HS256 or nothing.
  if (!header.is_object() || !header.contains("alg")
      || header["alg"] != "HS256")
    return out;
  auto expected = crypto::hmac_sha256(secret, signing_input);
  if (!crypto::equal_constant_time(sig, expected))
    return out;
  auto payload = json::parse(payload_raw, nullptr, false);
  if (!payload.is_object() || !payload.contains("sub")
      || !payload.contains("exp") || !payload["exp"].is_number_integer())
    return out;
  if (!parse_member_id(payload["sub"], out.claims.member_id))
    return out;
  out.claims.expires_at = payload["exp"].get<std::int64_t>();
  if (payload.contains("iat") && payload["iat"].is_number_integer())
    out.claims.issued_at = payload["iat"].get<std::int64_t>();
  if (payload.contains("sid") && payload["sid"].is_string())
    out.claims.session_id = payload["sid"].get<std::string>();
  out.status = now >= out.claims.expires_at ? token_status::expired
                                            : token_status::valid;
  return out;
}

} // namespace h2h::net
