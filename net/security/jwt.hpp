// Access tokens: JWT with HS256 only (RFC 7519), pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace h2h::net {

struct token_claims {
  std::int64_t member_id = 0;
  /// The login session the token belongs to (logout revokes it).
  std::string session_id;
  std::int64_t issued_at = 0;  // seconds since the epoch
  std::int64_t expires_at = 0; // seconds since the epoch
};

/// Signs the claims (`sub` = member id as a string, `sid`, `iat`, `exp`).
std::string sign_token(const token_claims& c, std::string_view secret);

enum class token_status { valid, invalid, expired };

struct token_check {
  token_status status = token_status::invalid;
  token_claims claims;
};

/// Verifies signature, algorithm (HS256 only: `none` and every other `alg`
/// are refused) and expiry against `now` (seconds).
token_check verify_token(std::string_view token, std::string_view secret,
                         std::int64_t now);

} // namespace h2h::net
