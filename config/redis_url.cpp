// Parsing of redis.url and the masking of passwords in printed URLs.
#include "config/redis_url.hpp"

#include <charconv>
#include <optional>

namespace h2h::config {

namespace {

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (r.ec == std::errc{} && r.ptr == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

/// Reads a whole decimal number in [min, max].
bool read_number(std::string_view text, long min, long max, long& out) {
  long v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || r.ec != std::errc{} || r.ptr != text.data() + text.size()
      || v < min || v > max)
    return false;
  out = v;
  return true;
}

} // namespace

bool parse_redis_url(std::string_view s, redis_target& result,
                     std::string& problem) {
  static constexpr std::string_view scheme = "redis://";
  redis_target out;
  if (s.substr(0, scheme.size()) != scheme) {
    problem = "must start with redis://";
    return false;
  }
  s.remove_prefix(scheme.size());
  // A password may hold '/' or '@' unencoded; the last '@' ends it.
  if (auto at = s.rfind('@'); at != std::string_view::npos) {
    auto cred = s.substr(0, at);
    auto colon = cred.find(':');
    if (colon == std::string_view::npos) {
      problem = "credentials must be [user]:password@";
      return false;
    }
    out.user = percent_decode(cred.substr(0, colon));
    out.password = percent_decode(cred.substr(colon + 1));
    s = s.substr(at + 1);
  }
  auto slash = s.find('/');
  if (slash != std::string_view::npos) {
    auto db = s.substr(slash + 1);
    long n = 0;
    if (!db.empty() && !read_number(db, 0, 1000000, n)) {
      problem = "invalid database number '" + std::string{db} + "'";
      return false;
    }
    out.db = static_cast<int>(n);
    s = s.substr(0, slash);
  }
  // host, host:port, [v6] or [v6]:port
  std::string_view host = s;
  std::optional<std::string_view> port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos) {
      problem = "unclosed '[' in the host";
      return false;
    }
    host = s.substr(1, close - 1);
    auto after = s.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      problem = "unexpected '" + std::string{after} + "' after the host";
      return false;
    }
    if (!after.empty())
      port = after.substr(1);
  } else if (auto colon = s.rfind(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (host.empty()) {
    problem = "needs a host";
    return false;
  }
  if (port) {
    long p = 0;
    if (!read_number(*port, 1, 65535, p)) {
      problem
        = "port must be between 1 and 65535, not '" + std::string{*port} + "'";
      return false;
    }
    out.port = static_cast<std::uint16_t>(p);
  }
  out.host = std::string{host};
  result = std::move(out);
  return true;
}

std::string redact_url(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return std::string{url};
  auto cred_begin = scheme_end + 3;
  auto at = url.rfind('@');
  if (at == std::string_view::npos || at < cred_begin)
    return std::string{url};
  auto colon = url.find(':', cred_begin);
  if (colon == std::string_view::npos || colon > at || colon + 1 == at)
    return std::string{url}; // no password, nothing to hide
  return std::string{url.substr(0, colon + 1)} + "***"
         + std::string{url.substr(at)};
}

} // namespace h2h::config
