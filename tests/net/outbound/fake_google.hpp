// FCM and Google's OAuth2 token endpoint played by one fake_http_server on
// 127.0.0.1: scripted FCM answers, numbered access tokens, a service account
// whose key pair the test holds.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "fake_http_server.hpp"
#include "net/outbound/service_account.hpp"
#include "rsa_test_keys.hpp"

namespace h2h::test {

struct fake_google {
  static constexpr const char* project = "p-1";
  static constexpr const char* email = "push@p-1.iam.example";

  std::mutex mtx;
  /// FCM's next answers, in order; when empty: 200.
  std::deque<http_response> fcm_script;
  /// Access tokens FCM refuses with 401 (e.g. revoked or expired early).
  std::vector<std::string> refused_tokens;
  /// Device tokens FCM answers 404 UNREGISTERED for.
  std::vector<std::string> gone_devices;
  std::int64_t expires_in = 3600;
  /// How long the token endpoint takes to answer.
  std::chrono::milliseconds token_delay{0};
  int tokens_issued = 0;
  /// Signalled when the token endpoint is asked (before its delay).
  std::condition_variable token_asked;
  rsa_pair keys = make_rsa_pair();
  fake_http_server server{[this](const http_request& r) { return answer(r); }};

  std::string token_uri() const {
    return server.url() + "/token";
  }

  net::service_account account() const {
    return {email, keys.private_pem, token_uri(), project};
  }

  std::string fcm_path() const {
    return std::string{"/v1/projects/"} + project + "/messages:send";
  }

  /// Waits (bounded) until the token endpoint has been asked `n` times.
  bool wait_for_token_requests(int n, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock{mtx};
    return token_asked.wait_for(lock, limit,
                                [&] { return tokens_issued >= n; });
  }

  void script(int status, std::string body = {},
              std::vector<std::pair<std::string, std::string>> headers = {}) {
    std::lock_guard<std::mutex> guard{mtx};
    fcm_script.push_back({status, std::move(headers), std::move(body), {}});
  }

  http_response answer(const http_request& r) {
    std::lock_guard<std::mutex> guard{mtx};
    if (r.target == "/token") {
      ++tokens_issued;
      token_asked.notify_all();
      nlohmann::json out{
        {"access_token", "tok-" + std::to_string(tokens_issued)},
        {"expires_in", expires_in},
        {"token_type", "Bearer"}};
      return {
        200, {{"Content-Type", "application/json"}}, out.dump(), token_delay};
    }
    if (r.target != fcm_path())
      return {404, {}, "{}", {}};
    auto auth = r.headers.count("authorization") ? r.headers.at("authorization")
                                                 : std::string{};
    for (auto& t : refused_tokens)
      if (auth == "Bearer " + t)
        return {
          401, {}, R"({"error":{"code":401,"status":"UNAUTHENTICATED"}})", {}};
    auto msg = nlohmann::json::parse(r.body, nullptr, false);
    if (!msg.is_discarded() && msg.contains("message"))
      for (auto& d : gone_devices)
        if (msg["message"].value("token", "") == d)
          return {404,
                  {},
                  R"({"error":{"code":404,"status":"NOT_FOUND","details":[)"
                  R"({"errorCode":"UNREGISTERED"}]}})",
                  {}};
    if (!fcm_script.empty()) {
      auto res = std::move(fcm_script.front());
      fcm_script.pop_front();
      return res;
    }
    return {200, {}, R"({"name":"projects/p-1/messages/1"})", {}};
  }
};

} // namespace h2h::test
