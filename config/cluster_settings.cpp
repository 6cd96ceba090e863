// The rules of the cluster.* and redis.* keys and the defaults of a node's
// identity (node id, advertised host) that only the running machine knows.
#include "config/cluster_settings.hpp"

#include <unistd.h>

#include "config/redis_url.hpp"

namespace h2h::config {

namespace {

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
         || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

} // namespace

bool is_plain_name(std::string_view text, std::size_t max_size) {
  if (text.empty() || text.size() > max_size)
    return false;
  for (char c : text)
    if (!is_name_char(c))
      return false;
  return true;
}

void validate_cluster(const settings& s, std::vector<std::string>& errs) {
  auto check = [&errs](bool ok, std::string problem) {
    if (!ok)
      errs.push_back(std::move(problem));
  };
  const auto& c = s.cluster;
  if (c.enabled) {
    check(s.store.kind != "sqlite",
          "cluster.enabled: a cluster needs store.kind = mysql: every node "
          "shares one database (store.kind is sqlite)");
    check(c.port == 0 || (c.port != s.server.port && c.port != s.metrics.port),
          "cluster.port must differ from server.port and metrics.port");
  }
  check(c.node_id.empty() || is_plain_name(c.node_id, 64),
        "cluster.node_id must be 1 to 64 of A-Z a-z 0-9 . _ - (or empty: "
        "made from the host name), not '"
          + c.node_id + "'");
  check(c.advertise_host.find_first_of(" \t\r\n/@") == std::string::npos
          && c.advertise_host.size() <= 253,
        "cluster.advertise_host must be a host name or an address (no "
        "spaces, '/' or '@'; at most 253 characters)");
  check(c.heartbeat_ms >= 100 && c.heartbeat_ms <= 60000,
        "cluster.heartbeat_ms must be between 100 and 60000");
  check(c.node_ttl_ms >= 2 * static_cast<long long>(c.heartbeat_ms)
          && c.node_ttl_ms <= 3600000,
        "cluster.node_ttl_ms must be at least 2 x cluster.heartbeat_ms (a "
        "registration outlives one late refresh) and at most 3600000");
  check(c.connect_timeout_ms > 0 && c.connect_timeout_ms <= 600000,
        "cluster.connect_timeout_ms must be between 1 and 600000");
  {
    int given = (c.tls_cert.empty() ? 0 : 1) + (c.tls_key.empty() ? 0 : 1)
                + (c.tls_ca.empty() ? 0 : 1);
    check(given == 0 || given == 3,
          "cluster.tls_cert, cluster.tls_key and cluster.tls_ca go together: "
          "set all three (TLS with mutual authentication) or none (plain)");
  }
  {
    redis_target target;
    std::string problem;
    if (!parse_redis_url(s.redis.url, target, problem))
      errs.push_back("redis.url: " + problem
                     + " (redis://[[user]:password@]host[:port][/db])");
  }
  check(is_plain_name(s.redis.key_prefix, 32),
        "redis.key_prefix must be 1 to 32 of A-Z a-z 0-9 . _ -, not '"
          + s.redis.key_prefix + "'");
  check(s.redis.timeout_ms > 0 && s.redis.timeout_ms <= 600000,
        "redis.timeout_ms must be between 1 and 600000");
}

std::string node_id_from_host(std::string_view host_name, std::uint16_t port,
                              unsigned pid) {
  auto suffix
    = port != 0 ? "-" + std::to_string(port) : "-p" + std::to_string(pid);
  std::string id;
  for (char c : host_name.substr(0, 64 - suffix.size()))
    id += is_name_char(c) ? c : '-';
  if (id.empty())
    id = "node";
  return id + suffix;
}

std::string local_host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0')
    return "localhost";
  return buf;
}

void resolve_cluster_identity(cluster_section& c, std::string_view host_name,
                              unsigned pid) {
  if (c.advertise_host.empty())
    c.advertise_host = std::string{host_name};
  if (c.node_id.empty())
    c.node_id = node_id_from_host(host_name, c.port, pid);
}

} // namespace h2h::config
