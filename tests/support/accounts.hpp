// Accounts for integration tests against a real h2hd: REST calls with a
// bearer token, and the app's sign-up flow (code, confirm, join, log in).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.hpp"

namespace h2h::test {

/// The password every test member signs up with.
constexpr const char* test_password = "Passw0rd!";

/// The auth.jwt_secret of with_accounts(): tests that forge tokens (an
/// expired one, say) sign with it.
constexpr const char* integration_jwt_secret
  = "integration-secret-0123456789-abcdefgh";

/// `args` and what an h2hd that tests sign up on needs: cheap password
/// hashing (a sign-up takes milliseconds) and a fixed JWT secret.
std::vector<std::string> with_accounts(std::vector<std::string> args);

/// A REST answer: the status, the body as JSON (null when it is not JSON)
/// and as it came.
struct rest_result {
  int status = 0;
  nlohmann::json body;
  std::string raw;
};

/// One REST call to 127.0.0.1:port, with `body` as JSON and `token` as
/// `Authorization: Bearer` when given.
rest_result rest(std::uint16_t port, const std::string& method,
                 const std::string& target,
                 const std::optional<nlohmann::json>& body = std::nullopt,
                 const std::string& token = {});

/// A member who signed up and logged in.
struct member {
  std::int64_t id = 0;
  std::string email;
  std::string nickname;
  std::string access_token;
  std::string refresh_token;
};

/// The verification code h2hd logged for `email` (it has no smtp.url);
/// waits for the log line, bounded. Throws when none comes.
std::string logged_code(const server_process& srv, const std::string& email);

/// The app's sign-up of `nickname` (email `<nickname>@example.com`): send
/// a code, read it from the log, confirm it, join, log in. Throws when a
/// step is not answered with its success status.
member sign_up(const server_process& srv, const std::string& nickname);

/// Joins and logs in without a code, on an h2hd started with
/// `--auth.require_email_verification false`. Throws like sign_up.
member sign_up_unverified(std::uint16_t port, const std::string& nickname);

/// A new login session of the member with `email`. Throws unless the login
/// answers 200.
member log_in(std::uint16_t port, const std::string& email);

} // namespace h2h::test
