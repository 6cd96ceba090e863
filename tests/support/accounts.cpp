// Accounts for integration tests against a real h2hd: REST calls with a
// bearer token, and the app's sign-up flow (code, confirm, join, log in).
#include "accounts.hpp"

#include <chrono>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace h2h::test {

using json = nlohmann::json;

namespace {

/// `r` when it has `status`; otherwise throws, naming the call.
rest_result require(rest_result r, int status, const std::string& call) {
  if (r.status != status)
    throw std::runtime_error(call + " answered " + std::to_string(r.status)
                             + " instead of " + std::to_string(status) + ": "
                             + r.raw);
  return r;
}

} // namespace

std::vector<std::string> with_accounts(std::vector<std::string> args) {
  args.insert(args.end(),
              {"--auth.password_memory_kib", "8", "--auth.password_ops", "1",
               "--auth.jwt_secret", integration_jwt_secret});
  return args;
}

rest_result rest(std::uint16_t port, const std::string& method,
                 const std::string& target, const std::optional<json>& body,
                 const std::string& token) {
  std::map<std::string, std::string> headers;
  if (!token.empty())
    headers["Authorization"] = "Bearer " + token;
  auto res
    = http_request(port, method, target, body ? body->dump() : "", headers);
  rest_result out;
  out.status = res.status;
  out.raw = res.body;
  auto j = json::parse(res.body, nullptr, false);
  if (!j.is_discarded())
    out.body = std::move(j);
  return out;
}

std::string logged_code(const server_process& srv, const std::string& email) {
  using namespace std::chrono_literals;
  const std::string phrase = "Your verification code is ";
  auto deadline = std::chrono::steady_clock::now() + 5s;
  for (;;) {
    std::istringstream log{srv.log()};
    std::string line, code;
    while (std::getline(log, line)) {
      auto p = line.find(phrase);
      if (line.find("mail to " + email + " ") != std::string::npos
          && p != std::string::npos)
        code = line.substr(p + phrase.size(), 6);
    }
    if (!code.empty())
      return code;
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("no code logged for " + email);
    std::this_thread::sleep_for(20ms); // h2hd writes its log asynchronously
  }
}

member sign_up(const server_process& srv, const std::string& nickname) {
  auto email = nickname + "@example.com";
  require(rest(srv.port(), "POST", "/auth/emailVerificationCode",
               json{{"email", email}}),
          202, "POST /auth/emailVerificationCode");
  require(rest(srv.port(), "POST", "/auth/confirmVerificationCode",
               json{{"email", email},
                    {"verification_code", logged_code(srv, email)}}),
          200, "POST /auth/confirmVerificationCode");
  // The address is verified: the rest is the same as without a code.
  return sign_up_unverified(srv.port(), nickname);
}

member sign_up_unverified(std::uint16_t port, const std::string& nickname) {
  auto email = nickname + "@example.com";
  auto joined = require(rest(port, "POST", "/auth/join",
                             json{{"email", email},
                                  {"name", "Name of " + nickname},
                                  {"nickname", nickname},
                                  {"password", test_password}}),
                        201, "POST /auth/join");
  auto m = log_in(port, email);
  m.id = joined.body.at("member_id");
  m.nickname = nickname;
  return m;
}

member log_in(std::uint16_t port, const std::string& email) {
  auto res = require(rest(port, "POST", "/auth/login",
                          json{{"email", email}, {"password", test_password}}),
                     200, "POST /auth/login");
  member m;
  m.id = res.body.at("member_id");
  m.email = email;
  m.nickname = res.body.value("nickname", "");
  m.access_token = res.body.at("access_token");
  m.refresh_token = res.body.at("refresh_token");
  return m;
}

} // namespace h2h::test
