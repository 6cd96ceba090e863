// The push benchmark's provider: FCM HTTP v1 and Google's OAuth2 token
// endpoint played by one fake_http_server on 127.0.0.1 (HTTP/1.1,
// keep-alive, a thread per connection), answering every push 200 after a
// configurable delay and counting, never keeping, what it receives.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "../net/outbound/fake_http_server.hpp"

namespace h2h::test {

class push_bench_provider {
public:
  static constexpr const char* project = "bench";
  static constexpr const char* email = "push@bench.iam.example";

  /// Every FCM request is answered after `delay`.
  explicit push_bench_provider(std::chrono::milliseconds delay)
    : delay_(delay) {
    server_.keep_requests(false);
  }

  std::string endpoint() const {
    return server_.url();
  }

  std::string token_uri() const {
    return server_.url() + "/token";
  }

  /// FCM requests received so far (counted on arrival, before the delay).
  std::uint64_t pushes() const {
    return pushes_.load(std::memory_order_relaxed);
  }

  /// Access tokens issued so far.
  std::uint64_t tokens() const {
    return tokens_.load(std::memory_order_relaxed);
  }

  /// Requests to anything else (there should be none).
  std::uint64_t strays() const {
    return strays_.load(std::memory_order_relaxed);
  }

  /// Most FCM requests under way at once (the sender's real concurrency).
  int max_concurrent() const {
    return server_.max_concurrent();
  }

private:
  http_response answer(const http_request& r) {
    if (r.target == "/token") {
      tokens_.fetch_add(1, std::memory_order_relaxed);
      return {200,
              {{"Content-Type", "application/json"}},
              R"({"access_token":"bench-token","expires_in":3600,)"
              R"("token_type":"Bearer"})",
              {}};
    }
    if (r.target.rfind("/v1/projects/", 0) != 0) {
      strays_.fetch_add(1, std::memory_order_relaxed);
      return {404, {}, "{}", {}};
    }
    pushes_.fetch_add(1, std::memory_order_relaxed);
    return {200, {}, R"({"name":"projects/bench/messages/1"})", delay_};
  }

  std::chrono::milliseconds delay_;
  std::atomic<std::uint64_t> pushes_{0};
  std::atomic<std::uint64_t> tokens_{0};
  std::atomic<std::uint64_t> strays_{0};
  fake_http_server server_{
    [this](const http_request& r) { return answer(r); }};
};

} // namespace h2h::test
