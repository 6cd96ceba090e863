// Test RSA key pairs made with OpenSSL, RS256 verification and a
// service-account JSON for the push tests.
#pragma once

#include <string>
#include <string_view>

namespace h2h::test {

struct rsa_pair {
  std::string private_pem; // PKCS#8, as Google's credentials files hold it
  std::string public_pem;
};

/// A fresh 2048-bit RSA key pair.
rsa_pair make_rsa_pair();

/// True when `sig` is a valid RS256 signature of `data` under `public_pem`.
bool rs256_verifies(const std::string& public_pem, std::string_view data,
                    std::string_view sig);

/// A service-account JSON document with these fields.
std::string service_account_json(const std::string& email,
                                 const std::string& private_pem,
                                 const std::string& token_uri,
                                 const std::string& project_id);

} // namespace h2h::test
