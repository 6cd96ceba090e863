// Parsing of redis.url and the masking of passwords in printed URLs.
#include "config/redis_url.hpp"

#include "config/percent_decode.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace h2h::config {

namespace {

bool fail(std::string& problem, std::string text) {
  problem = std::move(text);
  return false;
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

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

bool ipv6_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
         || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

// The messages name what is wrong, never the text: it is the password.
bool parse_credentials(std::string_view cred, redis_target& out,
                       std::string& problem) {
  auto colon = cred.find(':');
  if (colon == std::string_view::npos)
    return fail(problem, "credentials must be [user]:password@");
  auto user = percent_decode(cred.substr(0, colon));
  auto password = percent_decode(cred.substr(colon + 1));
  if (!user || !password)
    return fail(problem, "bad percent escape in the user or password ('%' "
                         "must be followed by two hex digits)");
  if (password->empty())
    return fail(problem, "empty password after ':' (leave out "
                         "'[user]:password@' to connect without AUTH)");
  out.user = std::move(*user);
  out.password = std::move(*password);
  return true;
}

// host, host:port, [v6] or [v6]:port
bool parse_host_port(std::string_view s, redis_target& out,
                     std::string& problem) {
  std::string_view host = s;
  std::optional<std::string_view> port;
  bool ipv6 = !s.empty() && s.front() == '[';
  if (ipv6) {
    auto close = s.find(']');
    if (close == std::string_view::npos)
      return fail(problem, "unclosed '[' in the host");
    host = s.substr(1, close - 1);
    auto after = s.substr(close + 1);
    if (!after.empty() && after.front() != ':')
      return fail(problem,
                  "unexpected '" + std::string{after} + "' after the host");
    if (!after.empty())
      port = after.substr(1);
  } else if (auto colon = s.find(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (host.empty())
    return fail(problem, "needs a host");
  if (host.size() > 255)
    return fail(problem, "host longer than 255 characters");
  auto bad
    = std::find_if_not(host.begin(), host.end(), ipv6 ? ipv6_char : host_char);
  if (bad != host.end() && ipv6)
    return fail(problem, "the host in '[...]' is not an IPv6 address");
  if (bad != host.end()) // quoted only when printable ASCII
    return fail(problem,
                (*bad > ' ' && *bad < 0x7f
                   ? "bad character '" + std::string(1, *bad) + "'"
                   : std::string{"a space, control or non-ASCII character"})
                  + " in the host (A-Z a-z 0-9 . - _, or [IPv6])");
  if (port) {
    long p = 0;
    if (!read_number(*port, 1, 65535, p))
      return fail(problem, "port must be between 1 and 65535, not '"
                             + std::string{*port} + "'");
    out.port = static_cast<std::uint16_t>(p);
  }
  out.host = std::string{host};
  return true;
}

} // namespace

bool parse_redis_url(std::string_view s, redis_target& result,
                     std::string& problem) {
  static constexpr std::string_view scheme = "redis://";
  if (s.substr(0, 9) == "rediss://")
    return fail(problem, "TLS (rediss://) is not supported");
  if (s.substr(0, scheme.size()) != scheme)
    return fail(problem, "must start with redis://");
  s.remove_prefix(scheme.size());
  if (s.find_first_of("?#") != std::string_view::npos)
    return fail(problem, "a query or fragment ('?', '#') is not supported "
                         "(write them as %3F and %23 in a password)");
  redis_target out;
  // A password may hold '/' or '@' unencoded; the last '@' ends it.
  if (auto at = s.rfind('@'); at != std::string_view::npos) {
    if (!parse_credentials(s.substr(0, at), out, problem))
      return false;
    s = s.substr(at + 1);
  }
  if (auto slash = s.find('/'); slash != std::string_view::npos) {
    auto db = s.substr(slash + 1);
    long n = 0;
    if (!db.empty() && !read_number(db, 0, 65535, n))
      return fail(problem, "invalid database number '" + std::string{db}
                             + "' (0 to 65535)");
    out.db = static_cast<int>(n);
    s = s.substr(0, slash);
  }
  if (!parse_host_port(s, out, problem))
    return false;
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
