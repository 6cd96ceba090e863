// Parsing of redis.url (redis://[[user]:password@]host[:port][/db]) and the
// masking of passwords in URLs that are printed or logged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace h2h::config {

/// What a redis:// URL names.
struct redis_target {
  /// Empty: AUTH with the password only (the "default" user).
  std::string user;
  /// Empty: no AUTH.
  std::string password;
  std::string host;
  std::uint16_t port = 6379;
  /// 0 to 65535.
  int db = 0;
};

/// Parses `url` into `out` (changed only when the whole URL is valid);
/// otherwise says what is wrong in `problem` (never the password) and
/// returns false. The one parser of redis.url: the loader checks it with
/// this at start-up and the registry connects with its result. User and
/// password are percent-decoded (a broken escape is refused); the password
/// may hold '@' and '/' unencoded (the last '@' ends it), must not be empty
/// after ':', and '?' or '#' must be encoded. The host is [A-Za-z0-9._-]
/// or an IPv6 address in brackets; port 1 to 65535; db 0 to 65535. No TLS
/// (rediss://), no query, no fragment.
bool parse_redis_url(std::string_view url, redis_target& out,
                     std::string& problem);

/// `url` with the password of its user information replaced by `***`
/// (`redis://:***@host`, `mysql://u:***@host/db`); other URLs unchanged.
std::string redact_url(std::string_view url);

} // namespace h2h::config
