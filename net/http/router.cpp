// Routing of plain HTTP requests on the public port to pure handlers.
#include "net/http/router.hpp"

namespace h2h::net {

namespace http = boost::beast::http;

void router::add(http::verb method, std::string pattern,
                 route_handler handler) {
  routes_.push_back({method, std::move(pattern), std::move(handler)});
}

std::vector<std::pair<http::verb, std::string>> router::routes() const {
  std::vector<std::pair<http::verb, std::string>> out;
  out.reserve(routes_.size());
  for (auto& r : routes_)
    out.emplace_back(r.method, r.pattern);
  return out;
}

bool router::match(std::string_view pattern, std::string_view path,
                   path_params& params) {
  params.clear();
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty() || pattern.front() != '/'
        || path.front() != '/')
      return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    auto pe = pattern.find('/');
    auto se = path.find('/');
    auto pseg = pattern.substr(0, pe);
    auto sseg = path.substr(0, se);
    if (pseg.size() >= 2 && pseg.front() == '{' && pseg.back() == '}') {
      if (sseg.empty())
        return false;
      params.emplace(std::string{pseg.substr(1, pseg.size() - 2)},
                     url_decode(sseg, false));
    } else if (pseg != sseg) {
      return false;
    }
    pattern
      = pe == std::string_view::npos ? std::string_view{} : pattern.substr(pe);
    path = se == std::string_view::npos ? std::string_view{} : path.substr(se);
  }
  return true;
}

void router::dispatch(http_request&& req, const request_meta& meta,
                      http_responder respond) const {
  // HEAD is a GET whose body never reaches the wire (RFC 9110 §9.3.2);
  // body bytes after the header would be read as the next response.
  if (req.method() == http::verb::head)
    respond = [inner = std::move(respond)](http_response res) {
      make_head_response(res);
      inner(std::move(res));
    };
  auto path = target_path(req.target());
  path_params params;
  bool path_known = false;
  for (auto& r : routes_) {
    if (!match(r.pattern, path, params))
      continue;
    path_known = true;
    auto method = req.method();
    if (r.method == method
        || (method == http::verb::head && r.method == http::verb::get)) {
      r.handler(req, params, meta, std::move(respond));
      return;
    }
  }
  if (path_known)
    respond(error_response(req, errc::method_not_allowed,
                           "method not allowed on this path"));
  else
    respond(error_response(req, errc::unknown_path, "no such path"));
}

} // namespace h2h::net
