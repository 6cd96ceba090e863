// RS256 signatures (RSASSA-PKCS1-v1_5 with SHA-256) for the OAuth2
// service-account assertion. The only user of OpenSSL's headers in
// net/outbound/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace h2h::net {

/// Why `pem` is not a usable RSA private key; nothing when it is.
std::optional<std::string> rsa_private_key_problem(const std::string& pem);

/// The raw RS256 signature of `data` with the PEM private key `pem`.
/// Throws std::runtime_error when the key does not parse or signing fails.
std::string rs256_sign(const std::string& pem, std::string_view data);

} // namespace h2h::net
