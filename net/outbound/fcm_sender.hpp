// FCM HTTP v1 through libcurl: many requests in flight on one thread of its
// own (curl multi, HTTP/2 where the server offers it), with the OAuth2
// access token of a service account fetched and cached on that thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "actors/push/push_sender.hpp"
#include "net/outbound/service_account.hpp"

namespace h2h::net {

struct fcm_settings {
  /// Where FCM is (tests: a local server).
  std::string endpoint = "https://fcm.googleapis.com";
  /// The OAuth2 token endpoint; empty: the credentials' token_uri.
  std::string token_uri;
  /// android.ttl of every message.
  std::int64_t ttl_s = 86400;
  /// Requests (and connections) at once.
  std::size_t max_in_flight = 100;
  /// Requests handed over and not yet on the wire; beyond, send() reports
  /// failed at once (the dispatcher's own bound keeps far below it).
  std::size_t max_waiting = 10000;
  /// Bound on each request, and on each token exchange.
  std::chrono::milliseconds timeout{10000};
  /// Milliseconds since the epoch (tests move it to expire tokens).
  std::function<std::int64_t()> now_ms;
};

/// A push_sender for FCM HTTP v1. A 401 refreshes the OAuth token once and
/// repeats the request. Stops (dropping what did not finish, reported as
/// failed) when destroyed.
class fcm_sender final : public push_sender {
public:
  fcm_sender(service_account account, fcm_settings settings);
  ~fcm_sender() override;

  fcm_sender(const fcm_sender&) = delete;
  fcm_sender& operator=(const fcm_sender&) = delete;

  void send(push_request req, std::function<void(push_outcome)> done) override;

  /// Ends the thread; idempotent.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace h2h::net
