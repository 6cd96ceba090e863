// Helpers for building HTTP responses and reading request targets.
#include "net/http/http_types.hpp"

#include "net/protocol/raw_json/json_codec.hpp"

namespace h2h::net {

namespace http = boost::beast::http;

http_response json_response(const reply_shape& to, unsigned status,
                            std::string body) {
  http_response res{static_cast<http::status>(status), to.version};
  res.set(http::field::server, "h2h");
  res.set(http::field::content_type, "application/json");
  res.keep_alive(to.keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

http_response empty_response(const reply_shape& to, unsigned status) {
  http_response res{static_cast<http::status>(status), to.version};
  res.set(http::field::server, "h2h");
  res.keep_alive(to.keep_alive);
  res.prepare_payload();
  return res;
}

http_response error_response(const reply_shape& to, errc code,
                             std::string_view message) {
  auto info = describe(code);
  std::string body
    = "{\"status\":" + std::to_string(info.http_status) + ",\"code\":";
  append_json_string(body, info.code);
  body += ",\"message\":";
  append_json_string(body, message);
  body += '}';
  return json_response(to, static_cast<unsigned>(info.http_status),
                       std::move(body));
}

void make_head_response(http_response& res) {
  // An empty body already is the HEAD form: its Content-Length stays.
  if (res.body().empty())
    return;
  res.content_length(res.body().size());
  std::string{}.swap(res.body());
}

std::string_view target_path(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s, bool plus_is_space = true) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0
               && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

} // namespace

std::string url_decode(std::string_view s, bool plus_is_space) {
  return percent_decode(s, plus_is_space);
}

query_value query_param(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos)
    return {};
  auto rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{}
                                         : rest.substr(amp + 1);
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    if (percent_decode(key) == name)
      return {true, eq == std::string_view::npos
                      ? std::string{}
                      : percent_decode(pair.substr(eq + 1))};
  }
  return {};
}

} // namespace h2h::net
