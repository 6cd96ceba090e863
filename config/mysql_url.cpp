// Parsing of store.mysql_url.
#include "config/mysql_url.hpp"

#include "config/percent_decode.hpp"

#include <charconv>

namespace h2h::config {

bool parse_mysql_url(std::string_view s, mysql_target& result,
                     std::string& problem) {
  static constexpr std::string_view scheme = "mysql://";
  mysql_target out; // `result` changes only when the whole URL is valid
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
  auto user = percent_decode(cred.substr(0, colon));
  auto password = colon == std::string_view::npos
                    ? std::optional<std::string>{std::string{}}
                    : percent_decode(cred.substr(colon + 1));
  // Names no text: the credentials hold the password.
  if (!user || !password) {
    problem = "bad percent escape in the user or password ('%' must be "
              "followed by two hex digits)";
    return false;
  }
  out.user = std::move(*user);
  out.password = std::move(*password);
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 >= rest.size()) {
    problem = "needs /database after the host";
    return false;
  }
  auto database = percent_decode(rest.substr(slash + 1));
  if (!database) {
    problem = "bad percent escape in the database name ('%' must be "
              "followed by two hex digits)";
    return false;
  }
  out.database = std::move(*database);
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

} // namespace h2h::config
