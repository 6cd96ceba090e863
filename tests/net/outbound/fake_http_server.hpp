// A small real HTTP/1.1 server on 127.0.0.1, port 0, for the push tests:
// it plays FCM and Google's OAuth2 token endpoint and records every request.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace h2h::test {

struct http_request {
  std::string method;
  std::string target;
  /// Header names lower-cased.
  std::map<std::string, std::string> headers;
  std::string body;
  std::chrono::steady_clock::time_point at;
};

struct http_response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// How long the server waits before answering.
  std::chrono::milliseconds delay{0};
};

class fake_http_server {
public:
  using handler = std::function<http_response(const http_request&)>;

  /// Listens on 127.0.0.1:0; `h` answers each request (on the connection's
  /// own thread: it must be thread-safe).
  explicit fake_http_server(handler h);
  ~fake_http_server();

  fake_http_server(const fake_http_server&) = delete;
  fake_http_server& operator=(const fake_http_server&) = delete;

  std::uint16_t port() const;
  /// http://127.0.0.1:<port>
  std::string url() const;

  /// The requests so far, in arrival order.
  std::vector<http_request> requests() const;
  /// The requests whose target starts with `prefix`.
  std::vector<http_request> requests_to(const std::string& prefix) const;
  /// Most requests answered at the same time so far.
  int max_concurrent() const;

  /// False: requests are no longer kept for requests() (a benchmark
  /// counts them in its handler instead), so memory stays flat.
  void keep_requests(bool keep);

  /// Waits until `pred(requests())` holds or `limit` passes; true if held.
  bool
  wait_for(const std::function<bool(const std::vector<http_request>&)>& pred,
           std::chrono::milliseconds limit) const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace h2h::test
