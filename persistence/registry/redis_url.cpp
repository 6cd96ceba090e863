// Parsing of redis://[[user]:password@]host[:port][/db] URLs, and the check
// of the registry's settings.
#include "persistence/registry/redis_target.hpp"

#include <charconv>

namespace h2h {

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

// nullopt on a broken escape ("%4", "%zz") rather than a guess.
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size())
      return std::nullopt;
    int hi = hex_value(s[i + 1]);
    int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

bool fail(std::string* why, const char* reason) {
  if (why)
    *why = reason;
  return false;
}

bool parse_credentials(std::string_view cred, redis_address& out,
                       std::string* why) {
  auto colon = cred.find(':');
  if (colon == std::string_view::npos)
    return fail(why, "credentials must be [user]:password@ before the host");
  auto user = percent_decode(cred.substr(0, colon));
  auto password = percent_decode(cred.substr(colon + 1));
  if (!user || !password)
    return fail(why, "bad percent escape in the credentials");
  if (password->empty())
    return fail(why, "empty password after ':'");
  out.user = std::move(*user);
  out.password = std::move(*password);
  return true;
}

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

bool parse_host_port(std::string_view hp, redis_address& out,
                     std::string* why) {
  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!hp.empty() && hp.front() == '[') { // [v6 address]
    auto close = hp.find(']');
    if (close == std::string_view::npos)
      return fail(why, "unterminated '[' in the host");
    host = hp.substr(1, close - 1);
    auto rest = hp.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return fail(why, "unexpected text after ']'");
      port = rest.substr(1);
      has_port = true;
    }
    for (char c : host)
      if (hex_value(c) < 0 && c != ':' && c != '.')
        return fail(why, "bad IPv6 address in the host");
  } else {
    auto colon = hp.find(':');
    host = hp.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = hp.substr(colon + 1);
      has_port = true;
    }
    for (char c : host)
      if (!host_char(c))
        return fail(why, "bad character in the host");
  }
  if (host.empty())
    return fail(why, "needs a host");
  if (host.size() > 255)
    return fail(why, "host name too long");
  out.host = std::string{host};
  if (has_port) {
    unsigned v = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), v);
    if (port.empty() || r.ec != std::errc{}
        || r.ptr != port.data() + port.size() || v == 0 || v > 65535)
      return fail(why, "port must be 1 to 65535");
    out.port = static_cast<std::uint16_t>(v);
  }
  return true;
}

} // namespace

std::optional<redis_address> parse_redis_url(std::string_view url,
                                             std::string* why) {
  static constexpr std::string_view scheme = "redis://";
  if (url.substr(0, 9) == "rediss://") {
    fail(why, "TLS (rediss://) is not supported");
    return std::nullopt;
  }
  if (url.substr(0, scheme.size()) != scheme) {
    fail(why, "must start with redis://");
    return std::nullopt;
  }
  url.remove_prefix(scheme.size());
  if (url.find_first_of("?#") != std::string_view::npos) {
    fail(why, "query or fragment not supported");
    return std::nullopt;
  }
  redis_address out;
  auto slash = url.find('/');
  auto authority = url.substr(0, slash);
  // The password may hold '@' unescaped; the host never does.
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    if (!parse_credentials(authority.substr(0, at), out, why))
      return std::nullopt;
    authority = authority.substr(at + 1);
  }
  if (!parse_host_port(authority, out, why))
    return std::nullopt;
  if (slash != std::string_view::npos) {
    auto db = url.substr(slash + 1);
    if (!db.empty()) {
      auto r = std::from_chars(db.data(), db.data() + db.size(), out.db);
      if (r.ec != std::errc{} || r.ptr != db.data() + db.size() || out.db < 0
          || out.db > 65535) {
        fail(why, "database must be a number from 0 after '/'");
        return std::nullopt;
      }
    }
  }
  return out;
}

redis_target check_redis_settings(const redis_settings& cfg) {
  std::string why;
  auto addr = parse_redis_url(cfg.url, &why);
  if (!addr)
    throw registry_error("redis url: " + why);
  if (!valid_node_id(cfg.key_prefix))
    throw registry_error("redis key prefix must be 1 to 64 of A-Z a-z 0-9 . _ "
                         "-");
  if (cfg.timeout <= std::chrono::milliseconds::zero())
    throw registry_error("redis timeout must be positive");
  redis_target t{*addr, cfg.key_prefix, cfg.timeout, "redis "};
  t.where += addr->host.find(':') == std::string::npos ? addr->host
                                                       : "[" + addr->host + "]";
  t.where += ":" + std::to_string(addr->port);
  if (addr->db != 0)
    t.where += "/" + std::to_string(addr->db);
  return t;
}

} // namespace h2h
