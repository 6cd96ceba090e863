// The rules of the admin.* keys, and what counts as a loopback address.
#include "config/admin_settings.hpp"

#include "config/cidr.hpp"

namespace h2h::config {

bool is_loopback_address(std::string_view text) {
  auto ip = parse_ip(text);
  if (!ip)
    return false;
  if (is_v4(*ip))
    return (*ip)[12] == 127;
  static constexpr ip_bytes v6_loopback{0, 0, 0, 0, 0, 0, 0, 0,
                                        0, 0, 0, 0, 0, 0, 0, 1};
  return *ip == v6_loopback;
}

void validate_admin(const settings& s, std::vector<std::string>& errs) {
  auto check = [&errs](bool ok, std::string problem) {
    if (!ok)
      errs.push_back(std::move(problem));
  };
  const auto& a = s.admin;
  bool is_address = parse_ip(a.bind).has_value();
  check(is_address, "admin.bind must be an IP address (e.g. 127.0.0.1 or "
                    "::1), not '"
                      + a.bind + "'");
  // The port answers operators: anyone who reaches it from elsewhere must
  // prove they are one (docs/admin.md).
  check(!is_address || is_loopback_address(a.bind) || !a.token.empty(),
        "admin.bind " + a.bind
          + " is not a loopback address: set admin.token (H2H_ADMIN_TOKEN), "
            "or bind the admin port to 127.0.0.1");
  check(a.token.empty() || a.token.size() >= 16,
        "admin.token must be at least 16 characters (the value is not "
        "shown)");
  check(a.port == 0
          || (a.port != s.server.port && a.port != s.metrics.port
              && !(s.cluster.enabled && a.port == s.cluster.port)),
        "admin.port must differ from server.port, metrics.port and "
        "cluster.port");
  check(a.timeout_ms >= 100 && a.timeout_ms <= 600000,
        "admin.timeout_ms must be between 100 and 600000");
  check(a.node_timeout_ms >= 100 && a.node_timeout_ms < a.timeout_ms,
        "admin.node_timeout_ms must be at least 100 and less than the "
        "port's own timeout_ms (the port waits for the slowest node)");
  check(a.idle_timeout_ms >= 1000 && a.idle_timeout_ms <= 86400000,
        "admin.idle_timeout_ms must be between 1000 and 86400000");
  check(a.max_connections >= 1 && a.max_connections <= 1024,
        "admin.max_connections must be between 1 and 1024");
}

} // namespace h2h::config
