// HTTP request/response types of the public port and the handler signature.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "actors/errors.hpp"

namespace h2h::net {

using http_request
  = boost::beast::http::request<boost::beast::http::string_body>;
using http_response
  = boost::beast::http::response<boost::beast::http::string_body>;

/// Called exactly once with the response, from any thread.
using http_responder = std::function<void(http_response)>;

/// Answers one request, at once or later (blocking work runs elsewhere).
using http_handler = std::function<void(http_request&&, http_responder)>;

/// A JSON response with the given status and body.
http_response json_response(const http_request& req, unsigned status,
                            std::string body);

/// The JSON error of §3: {"status":N,"code":"...","message":"..."}.
http_response error_response(const http_request& req, errc code,
                             std::string_view message);

/// The path of a request target, without the query string.
std::string_view target_path(std::string_view target);

/// The value of one query parameter (percent-decoded), or nullopt-like empty
/// `found == false`.
struct query_value {
  bool found = false;
  std::string value;
};
query_value query_param(std::string_view target, std::string_view name);

} // namespace h2h::net
