// Routing of plain HTTP requests on the public port to pure handlers.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/beast/http/verb.hpp>

#include "net/http/http_types.hpp"

namespace h2h::net {

/// Values captured by `{name}` segments of a route pattern.
using path_params = std::unordered_map<std::string, std::string>;

/// Answers one matched request through the responder (exactly once).
using route_handler = std::function<void(http_request&, const path_params&,
                                         const request_meta&, http_responder)>;

/// A table of routes; unmatched paths get 404 GLOBAL_001, a matched path
/// with another method 405 GLOBAL_003. GET routes answer HEAD too, with the
/// GET's status and headers and no body.
class router {
public:
  /// `pattern` is a path such as `/chat/room/{id}/members`.
  void add(boost::beast::http::verb method, std::string pattern,
           route_handler handler);

  /// Dispatches one request.
  void dispatch(http_request&& req, const request_meta& meta,
                http_responder respond) const;

  /// Every route's method and pattern, in the order they were added (the
  /// authorization matrix test checks its table against this list).
  std::vector<std::pair<boost::beast::http::verb, std::string>> routes() const;

  /// Matches `path` against `pattern`, filling `params`.
  static bool match(std::string_view pattern, std::string_view path,
                    path_params& params);

private:
  struct route {
    boost::beast::http::verb method;
    std::string pattern;
    route_handler handler;
  };
  std::vector<route> routes_;
};

} // namespace h2h::net
