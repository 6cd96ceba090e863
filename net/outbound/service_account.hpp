// A Google service account (the FCM credentials file) and the OAuth2
// JWT-bearer exchange it takes part in: the pure parts (parse, validate,
// build the assertion, read the token answer, cache the token).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace h2h::net {

/// The OAuth2 scope FCM HTTP v1 needs.
inline constexpr std::string_view fcm_scope
  = "https://www.googleapis.com/auth/firebase.messaging";

/// The grant type of the JWT-bearer exchange (RFC 7523).
inline constexpr std::string_view jwt_bearer_grant
  = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// How long an assertion is valid (Google accepts at most one hour).
inline constexpr std::int64_t assertion_lifetime_s = 3600;

struct service_account {
  std::string client_email;
  std::string private_key;
  std::string token_uri;
  std::string project_id;
};

/// A credentials file read and checked: `problems` lists everything wrong
/// (empty: `account` is usable).
struct service_account_check {
  service_account account;
  std::vector<std::string> problems;
};

/// Parses the service-account JSON and checks every field (present,
/// non-empty, an https/http token URI, a private key that parses as RSA).
service_account_check parse_service_account(std::string_view json_text);

/// Reads and parses the file at `path` (a problem when it cannot be read).
service_account_check load_service_account(const std::string& path);

/// The JWT header and claims as JSON (exposed for tests).
std::string assertion_header_json();
std::string assertion_claims_json(const service_account& sa,
                                  std::int64_t iat_s);

/// The signed assertion `header.claims.signature` (base64url parts).
/// Throws std::runtime_error when the key cannot sign.
std::string make_assertion(const service_account& sa, std::int64_t iat_s);

/// The form body POSTed to the token URI.
std::string token_request_body(const std::string& assertion);

/// An access token and when we stop using it.
struct access_token {
  std::string value;
  /// Milliseconds since the epoch after which a fresh token is fetched
  /// (shortly before the provider's expiry).
  std::int64_t use_until_ms = 0;
};

/// Reads the token endpoint's JSON answer (`access_token`, `expires_in`);
/// nothing and `why` when it is unusable.
std::optional<access_token> parse_token_response(std::string_view body,
                                                 std::int64_t now_ms,
                                                 std::string& why);

/// Holds the current token until shortly before it expires.
class token_cache {
public:
  /// The cached token while it is still good at `now_ms`.
  const access_token* valid(std::int64_t now_ms) const {
    if (!token_.value.empty() && now_ms < token_.use_until_ms)
      return &token_;
    return nullptr;
  }
  void store(access_token t) {
    token_ = std::move(t);
  }
  /// Forgets the token (the provider refused it).
  void invalidate() {
    token_ = access_token{};
  }

private:
  /// An empty value: no token.
  access_token token_;
};

} // namespace h2h::net
