// HTTP request/response types of the public port and the handler signature.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "actors/vocabulary/errors.hpp"

namespace h2h::net {

using http_request
  = boost::beast::http::request<boost::beast::http::string_body>;
using http_response
  = boost::beast::http::response<boost::beast::http::string_body>;

/// `s` without the optional white space (spaces and tabs) HTTP allows
/// around header values and list elements (RFC 9110 §5.6.3).
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// Called exactly once with the response, from any thread.
using http_responder = std::function<void(http_response)>;

/// What the connection knows about a request beyond its bytes.
struct request_meta {
  /// The client's address (no port), for per-address limits and logs.
  std::string peer;
  /// The connection comes from a trusted proxy (server.trusted_proxies):
  /// its forwarded host and scheme may be believed too.
  bool via_trusted_proxy = false;
};

/// Answers one request, at once or later (blocking work runs elsewhere).
using http_handler
  = std::function<void(http_request&&, const request_meta&, http_responder)>;

/// What a response needs from its request (a request may be gone by the
/// time a deferred answer is made).
struct reply_shape {
  unsigned version = 11;
  bool keep_alive = true;
};

inline reply_shape shape_of(const http_request& req) {
  return {req.version(), req.keep_alive()};
}

/// A JSON response with the given status and body.
http_response json_response(const reply_shape& to, unsigned status,
                            std::string body);

inline http_response json_response(const http_request& req, unsigned status,
                                   std::string body) {
  return json_response(shape_of(req), status, std::move(body));
}

/// An empty response (e.g. 204).
http_response empty_response(const reply_shape& to, unsigned status);

/// The JSON error of §3: {"status":N,"code":"...","message":"..."}.
http_response error_response(const reply_shape& to, errc code,
                             std::string_view message);

inline http_response error_response(const http_request& req, errc code,
                                    std::string_view message) {
  return error_response(shape_of(req), code, message);
}

/// Turns the answer to a GET into the answer to a HEAD of the same target:
/// same status and headers (Content-Length still that of the GET body), no
/// body bytes. Idempotent.
void make_head_response(http_response& res);

/// The path of a request target, without the query string.
std::string_view target_path(std::string_view target);

/// The value of one query parameter (percent-decoded), or nullopt-like empty
/// `found == false`.
struct query_value {
  bool found = false;
  std::string value;
};
query_value query_param(std::string_view target, std::string_view name);

/// Decodes %XX escapes (and '+' as space when `plus_is_space`).
std::string url_decode(std::string_view s, bool plus_is_space = true);

} // namespace h2h::net
