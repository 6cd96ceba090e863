// Where absolute URLs of a response point: server.public_url, a trusted
// proxy's forwarded host and scheme, or the request's own Host.
#include "net/rest/api.hpp"

#include <cctype>

#include "net/http/image_type.hpp"

namespace h2h::net {

namespace {

namespace http = boost::beast::http;

// A host[:port] as RFC 3986 allows it here: a name, IPv4 or [IPv6].
bool valid_host(std::string_view h) {
  if (h.empty() || h.size() > 255)
    return false;
  for (auto c : h) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) == 0 && c != '.' && c != '-' && c != ':' && c != '['
        && c != ']' && c != '_')
      return false;
  }
  return true;
}

// The last element of a comma-separated header (the one the proxy that
// talks to us wrote; what lies left of it came from further away).
std::string_view last_element(std::string_view v) {
  auto comma = v.rfind(',');
  return trim_ows(comma == std::string_view::npos ? v : v.substr(comma + 1));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `name=` of one RFC 7239 element (quotes removed).
std::string_view forwarded_param(std::string_view element,
                                 std::string_view name) {
  while (!element.empty()) {
    auto semi = element.find(';');
    auto pair = trim_ows(element.substr(0, semi));
    auto eq = pair.find('=');
    if (eq != std::string_view::npos
        && lower(trim_ows(pair.substr(0, eq))) == name) {
      auto v = trim_ows(pair.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
        v = v.substr(1, v.size() - 2);
      return v;
    }
    if (semi == std::string_view::npos)
      break;
    element.remove_prefix(semi + 1);
  }
  return {};
}

// The last value of a header that may repeat.
std::string_view last_header(const http_request& req, std::string_view name) {
  std::string_view out;
  auto range = req.equal_range(name);
  for (auto it = range.first; it != range.second; ++it)
    out = it->value();
  return out;
}

} // namespace

std::string public_base(const api_settings& cfg, const http_request& req,
                        const request_meta& meta) {
  if (!cfg.public_url.empty())
    return cfg.public_url;
  std::string scheme = "http";
  std::string_view host;
  if (meta.via_trusted_proxy) {
    std::string_view proto;
    if (cfg.proxy_uses_forwarded) {
      auto element = last_element(last_header(req, "Forwarded"));
      host = forwarded_param(element, "host");
      proto = forwarded_param(element, "proto");
    } else {
      host = last_element(last_header(req, "X-Forwarded-Host"));
      proto = last_element(last_header(req, "X-Forwarded-Proto"));
    }
    auto p = lower(proto);
    if (p == "https" || p == "http")
      scheme = p;
    if (!valid_host(host))
      host = {};
  }
  if (host.empty())
    host = trim_ows(req[http::field::host]);
  if (!valid_host(host))
    return {};
  return scheme + "://" + std::string(host);
}

std::string avatar_url(const std::string& base, std::int64_t member_id,
                       const avatar_record& a) {
  auto t = image_type_of_mime(a.mime);
  std::string_view ext = t ? t->ext : "bin";
  return base + "/media/avatars/" + std::to_string(member_id) + "/" + a.hash
         + "." + std::string(ext);
}

} // namespace h2h::net
