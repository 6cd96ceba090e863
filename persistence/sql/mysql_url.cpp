// Parsing of mysql://user:password@host:port/database URLs.
#include "persistence/sql/sql.hpp"

#include <charconv>

namespace h2h::sql {

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

} // namespace

bool parse_mysql_url(const std::string& url, mysql_target& result,
                     std::string& problem) {
  static constexpr std::string_view scheme = "mysql://";
  mysql_target out; // `result` changes only when the whole URL is valid
  std::string_view s{url};
  if (s.substr(0, scheme.size()) != scheme) {
    problem = "must start with mysql://";
    return false;
  }
  s.remove_prefix(scheme.size());
  auto at = s.rfind('@');
  if (at == std::string_view::npos) {
    problem = "needs user@host";
    return false;
  }
  auto cred = s.substr(0, at);
  auto rest = s.substr(at + 1);
  auto colon = cred.find(':');
  out.user = percent_decode(cred.substr(0, colon));
  out.password = colon == std::string_view::npos
                   ? std::string{}
                   : percent_decode(cred.substr(colon + 1));
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 >= rest.size()) {
    problem = "needs /database after the host";
    return false;
  }
  out.database = percent_decode(rest.substr(slash + 1));
  auto hostport = rest.substr(0, slash);
  auto pc = hostport.rfind(':');
  if (pc != std::string_view::npos) {
    unsigned port = 0;
    auto p = hostport.substr(pc + 1);
    auto r = std::from_chars(p.data(), p.data() + p.size(), port);
    if (r.ec != std::errc{} || r.ptr != p.data() + p.size() || port == 0
        || port > 65535) {
      problem = "invalid port '" + std::string{p} + "'";
      return false;
    }
    out.port = static_cast<std::uint16_t>(port);
    hostport = hostport.substr(0, pc);
  }
  if (hostport.empty() || out.user.empty()) {
    problem = "needs a user and a host";
    return false;
  }
  out.host = std::string{hostport};
  result = std::move(out);
  return true;
}

} // namespace h2h::sql
