// The configuration mapped onto the settings of each component of a node.
#include "apps/h2hd/settings_map.hpp"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "config/cidr.hpp"
#include "net/security/crypto.hpp"

namespace h2h::net {

server_settings to_server_settings(const config::settings& s) {
  server_settings out;
  out.bind = s.server.bind;
  out.port = s.server.port;
  out.io_threads = s.server.io_threads;
  out.presence_delay = std::chrono::milliseconds{s.server.presence_delay_ms};
  out.io_uring = s.server.io_uring;
  out.shutdown_timeout
    = std::chrono::milliseconds{s.server.shutdown_timeout_ms};
  out.drain_window = std::chrono::milliseconds{s.server.drain_window_ms};
  out.http_timeout = std::chrono::milliseconds{s.server.http_timeout_ms};
  out.max_http_body_bytes = s.limits.max_http_body_bytes;
  out.max_avatar_body_bytes
    = s.limits.max_http_body_bytes + s.limits.avatar_bytes;
  out.max_connections = static_cast<std::size_t>(s.limits.max_connections);
  out.connections_per_address
    = static_cast<std::size_t>(s.limits.connections_per_address);
  std::vector<std::string> problems; // validated at start-up already
  out.proxies.proxies
    = config::parse_cidr_list(s.server.trusted_proxies, problems);
  out.proxies.header = s.server.forwarded_header == "forwarded"
                         ? forwarded_from::forwarded
                         : forwarded_from::x_forwarded_for;
  out.ws.max_frame_bytes = s.limits.max_frame_bytes;
  out.ws.outbound_queue_bytes = s.limits.outbound_queue_bytes;
  out.ws.codec.max_message_chars = s.limits.max_message_chars;
  // A stream that does not read is cut at the WebSocket limit.
  out.sse.keepalive = std::chrono::seconds{s.sse.keepalive_s};
  out.sse.outbound_queue_bytes = s.limits.outbound_queue_bytes;
  out.sse.close_timeout = out.ws.close_timeout;
  // STOMP heart-beats are swept: a few sweeps per interval keep them on
  // time.
  if (s.stomp.heartbeat_ms > 0)
    out.tick_interval = std::chrono::milliseconds{
      std::clamp(s.stomp.heartbeat_ms / 4, 20, 1000)};
  return out;
}

stomp_settings to_stomp_settings(const config::settings& s,
                                 std::string server) {
  stomp_settings out;
  out.heartbeat = std::chrono::milliseconds{s.stomp.heartbeat_ms};
  out.frame.max_frame_bytes = s.stomp.max_frame_bytes;
  out.frame.max_body_bytes = s.stomp.max_frame_bytes;
  out.frame.max_headers = static_cast<std::size_t>(s.stomp.max_headers);
  out.frame.max_header_bytes
    = static_cast<std::size_t>(s.stomp.max_header_bytes);
  out.max_subscriptions = static_cast<std::size_t>(s.limits.rooms_per_session);
  out.codec.max_message_chars = s.limits.max_message_chars;
  out.server = std::move(server);
  return out;
}

std::size_t scheduler_threads(const config::settings& s) {
  if (s.actors.scheduler_threads > 0)
    return static_cast<std::size_t>(s.actors.scheduler_threads);
  // One core stays for the network threads (measured on 2 cores: 1 worker
  // gave 323k deliveries per CPU-second saturated, 2 workers 290k).
  auto n = std::thread::hardware_concurrency();
  return n <= 2 ? 1 : n - 1;
}

api_settings to_api_settings(const config::settings& s) {
  api_settings a;
  a.auth_required = s.auth.required;
  a.jwt_secret = s.auth.jwt_secret;
  if (a.jwt_secret.empty()) {
    a.jwt_secret = crypto::random_token(32);
    spdlog::warn("auth.jwt_secret is not set: using a random key, so tokens "
                 "die with this process and other nodes cannot check them "
                 "(fine for development only)");
  }
  a.access_ttl_s = s.auth.access_token_ttl_s;
  a.refresh_ttl_s = s.auth.refresh_token_ttl_s;
  a.code_ttl_s = s.auth.code_ttl_s;
  a.code_max_attempts = s.auth.code_max_attempts;
  a.require_verification = s.auth.require_email_verification;
  a.cost.ops = static_cast<unsigned long long>(s.auth.password_ops);
  a.cost.memory_kib = static_cast<std::size_t>(s.auth.password_memory_kib);
  a.login_attempts = s.limits.login_attempts;
  a.login_window_s = s.limits.login_window_s;
  a.code_requests = s.limits.code_requests;
  a.code_window_s = s.limits.code_window_s;
  a.rate_limit_keys = static_cast<std::size_t>(s.limits.rate_limit_keys);
  a.rooms_created_per_hour = s.limits.rooms_created_per_hour;
  a.avatar_bytes = s.limits.avatar_bytes;
  a.reports_per_hour = s.limits.reports_per_hour;
  a.report_retention_days = s.limits.report_retention_days;
  a.refresh_reuse_grace_ms = s.auth.refresh_reuse_grace_ms;
  a.blocks_per_member = s.limits.blocks_per_member;
  a.public_url = s.server.public_url;
  a.proxy_uses_forwarded = s.server.forwarded_header == "forwarded";
  return a;
}

metrics_settings to_metrics_settings(const config::settings& s) {
  metrics_settings out;
  out.bind = s.metrics.bind;
  out.port = s.metrics.port;
  return out;
}

persistence_settings to_persistence_settings(const config::settings& s) {
  persistence_settings out;
  out.batch_max = static_cast<std::size_t>(s.persistence.batch_max);
  out.batch_window = std::chrono::milliseconds{s.persistence.batch_window_ms};
  out.read_workers = static_cast<std::size_t>(s.persistence.read_workers);
  out.read_queue_max = static_cast<std::size_t>(s.persistence.read_queue_max);
  out.queue_max = static_cast<std::size_t>(s.persistence.queue_max);
  return out;
}

} // namespace h2h::net
