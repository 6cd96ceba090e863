// The table of configuration keys. Defaults come from the structs in
// config.hpp; this file only knows how to name, parse and print them.
#include "config/keys.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <type_traits>

#include "config/redis_url.hpp"

namespace h2h::config {

namespace {

std::optional<std::string> parse_into(std::string& out, std::string_view text) {
  out = std::string{text};
  return std::nullopt;
}

std::optional<std::string> parse_into(bool& out, std::string_view text) {
  std::string lower{text};
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") {
    out = true;
    return std::nullopt;
  }
  if (lower == "false" || lower == "0" || lower == "no" || lower == "off") {
    out = false;
    return std::nullopt;
  }
  return "expected true or false, got '" + std::string{text} + "'";
}

template <class Int>
std::enable_if_t<std::is_integral_v<Int>, std::optional<std::string>>
parse_into(Int& out, std::string_view text) {
  Int value{};
  auto first = text.data();
  auto last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec == std::errc::result_out_of_range)
    return "'" + std::string{text} + "' is out of range (at most "
           + std::to_string(std::numeric_limits<Int>::max()) + ")";
  if (ec != std::errc{} || ptr != last || text.empty())
    return "expected a number, got '" + std::string{text} + "'";
  out = value;
  return std::nullopt;
}

std::string render(const std::string& x) {
  return x;
}

std::string render(bool x) {
  return x ? "true" : "false";
}

template <class Int>
std::enable_if_t<std::is_integral_v<Int>, std::string> render(Int x) {
  return std::to_string(x);
}

/// Builds the descriptor of `settings.*Section.*Field`.
template <class Section, class Field>
key_info make_key(std::string section, std::string key, Section settings::*sec,
                  Field Section::*field, std::string help) {
  key_info k;
  k.section = std::move(section);
  k.key = std::move(key);
  k.help = std::move(help);
  k.set = [sec, field](settings& s, std::string_view text) {
    return parse_into(s.*sec.*field, text);
  };
  k.get = [sec, field](const settings& s) { return render(s.*sec.*field); };
  return k;
}

void add_cluster_keys(std::vector<key_info>& keys) {
  using s = settings;
  auto add = [&keys](key_info k) { keys.push_back(std::move(k)); };
  // cluster
  add(make_key("cluster", "enabled", &s::cluster, &cluster_section::enabled,
               "Run as one node of a cluster (needs store.kind = mysql and "
               "Redis at redis.url)."));
  add(make_key("cluster", "port", &s::cluster, &cluster_section::port,
               "CAF cluster port (a private network, or TLS: cluster.tls_*); 0 "
               "picks a free port and logs it."));
  add(make_key("cluster", "advertise_host", &s::cluster,
               &cluster_section::advertise_host,
               "Address other nodes connect to; the cluster port is bound to "
               "it only. Empty: this machine's host name."));
  add(make_key("cluster", "node_id", &s::cluster, &cluster_section::node_id,
               "This node's name, 1-64 of A-Z a-z 0-9 . _ -; empty: made "
               "from the host name at start."));
  add(make_key("cluster", "heartbeat_ms", &s::cluster,
               &cluster_section::heartbeat_ms,
               "How often the node refreshes its registration and rescans "
               "the node set (100-60000)."));
  add(make_key("cluster", "node_ttl_ms", &s::cluster,
               &cluster_section::node_ttl_ms,
               "Lifetime of the node's registration in Redis; at least 2 x "
               "cluster.heartbeat_ms."));
  add(make_key("cluster", "connect_timeout_ms", &s::cluster,
               &cluster_section::connect_timeout_ms,
               "A peer silent this long is dead (CAF connection timeout; "
               "heartbeats go every cluster.heartbeat_ms)."));
  add(make_key("cluster", "tls_cert", &s::cluster, &cluster_section::tls_cert,
               "This node's certificate (PEM file) for the cluster port over "
               "TLS; with cluster.tls_key and cluster.tls_ca, or none of "
               "them (plain, for a private network only)."));
  add(make_key("cluster", "tls_key", &s::cluster, &cluster_section::tls_key,
               "The private key (PEM file, unencrypted) of "
               "cluster.tls_cert."));
  add(make_key("cluster", "tls_ca", &s::cluster, &cluster_section::tls_ca,
               "The cluster CA (PEM file): a peer connects only with a "
               "certificate it signed, in both directions."));
  // redis
  add(make_key("redis", "url", &s::redis, &redis_section::url,
               "Redis of cluster discovery: "
               "redis://[[user]:password@]host[:port][/db] (user and password "
               "percent-encoded; no TLS, query or fragment)."));
  keys.back().masked_password = true;
  add(make_key("redis", "key_prefix", &s::redis, &redis_section::key_prefix,
               "Start of every Redis key and channel (<prefix>:...), 1-32 of "
               "A-Z a-z 0-9 . _ -; clusters sharing a Redis differ here."));
  add(make_key("redis", "timeout_ms", &s::redis, &redis_section::timeout_ms,
               "Redis connect and command timeout."));
}

void add_push_keys(std::vector<key_info>& keys) {
  using s = settings;
  using p = push_section;
  auto add = [&keys](key_info k) { keys.push_back(std::move(k)); };
  add(make_key("push", "fcm_credentials", &s::push, &p::fcm_credentials,
               "Firebase service-account JSON file (client_email, "
               "private_key, token_uri, project_id); empty: no push "
               "notifications."));
  add(make_key("push", "fcm_endpoint", &s::push, &p::fcm_endpoint,
               "FCM HTTP v1 base URL; https, or http to a loopback host "
               "only."));
  add(make_key("push", "fcm_token_uri", &s::push, &p::fcm_token_uri,
               "OAuth2 token endpoint; empty: token_uri of the credentials "
               "file. https, or http to a loopback host only."));
  add(make_key("push", "coalesce_ms", &s::push, &p::coalesce_ms,
               "At most one push per member and room per this window; it "
               "leaves at the window's end with the latest message."));
  add(make_key("push", "ttl_s", &s::push, &p::ttl_s,
               "How long FCM keeps a push for a device that is offline "
               "(android.ttl)."));
  add(make_key("push", "queue_max", &s::push, &p::queue_max,
               "Pushes that may wait; beyond, the oldest are dropped and "
               "counted."));
  add(make_key("push", "max_in_flight", &s::push, &p::max_in_flight,
               "Requests to FCM at once (and connections)."));
  add(make_key("push", "max_retries", &s::push, &p::max_retries,
               "Tries after the first one for 429, 5xx and network "
               "failures."));
  add(make_key("push", "backoff_ms", &s::push, &p::backoff_ms,
               "First retry delay; doubles per try (with jitter), never "
               "shorter than FCM's Retry-After."));
  add(make_key("push", "backoff_max_ms", &s::push, &p::backoff_max_ms,
               "Longest retry delay of our own back-off."));
  add(make_key("push", "timeout_ms", &s::push, &p::timeout_ms,
               "Bound on one FCM request or OAuth2 token exchange."));
}

std::vector<key_info> build_keys() {
  using s = settings;
  std::vector<key_info> keys;
  auto add = [&keys](key_info k) { keys.push_back(std::move(k)); };
  // server
  add(make_key("server", "bind", &s::server, &server_section::bind,
               "Address of the public HTTP/WebSocket listener."));
  add(make_key("server", "port", &s::server, &server_section::port,
               "Public port; 0 picks a free port and prints it."));
  add(make_key("server", "io_threads", &s::server, &server_section::io_threads,
               "Threads running the network event loop."));
  add(make_key("server", "memory_trim_s", &s::server,
               &server_section::memory_trim_s,
               "Every this many seconds free heap pages go back to the "
               "system (what a burst of connections left behind); 0: "
               "never."));
  add(make_key("server", "presence_delay_ms", &s::server,
               &server_section::presence_delay_ms,
               "How long another member's ENTER or EXIT notice may wait "
               "for the client's next write, so that many leave in one; 0: "
               "none wait."));
  add(make_key("server", "io_uring", &s::server, &server_section::io_uring,
               "Hand each I/O thread's socket writes to the kernel together "
               "(io_uring, one system call per up to 256 writes); off, or "
               "where the kernel refuses io_uring, one system call each."));
  add(make_key("server", "shutdown_timeout_ms", &s::server,
               &server_section::shutdown_timeout_ms,
               "Longest graceful shutdown before the process exits anyway."));
  add(make_key("server", "drain_window_ms", &s::server,
               &server_section::drain_window_ms,
               "On SIGTERM or drain: clients are closed (1001) in batches "
               "spread over this window, /readyz answering 503; 0: at once."));
  add(make_key("server", "http_timeout_ms", &s::server,
               &server_section::http_timeout_ms,
               "Longest time to send one whole HTTP request (headers and "
               "body); slower clients are disconnected."));
  add(make_key("server", "trusted_proxies", &s::server,
               &server_section::trusted_proxies,
               "Proxies (addresses or CIDR ranges, comma-separated) whose "
               "forwarding header names the client; empty: none."));
  add(make_key("server", "forwarded_header", &s::server,
               &server_section::forwarded_header,
               "Header the trusted proxies write: x-forwarded-for or "
               "forwarded (RFC 7239)."));
  add(make_key("server", "public_url", &s::server, &server_section::public_url,
               "Scheme and authority of absolute URLs handed out (avatar "
               "URLs), e.g. https://chat.example.com; empty: the request's "
               "Host, or a trusted proxy's forwarded host and scheme."));
  // metrics
  add(make_key("metrics", "bind", &s::metrics, &metrics_section::bind,
               "Address of the metrics listener (GET /metrics, Prometheus "
               "text); not on the public port."));
  add(make_key("metrics", "port", &s::metrics, &metrics_section::port,
               "Metrics port; 0 picks a free port and prints it."));
  // admin
  add(make_key("admin", "bind", &s::admin, &admin_section::bind,
               "Address of the admin port (docs/admin.md); anything but "
               "loopback needs admin.token."));
  add(make_key("admin", "port", &s::admin, &admin_section::port,
               "Admin port; 0 picks a free port and logs it."));
  add(make_key("admin", "token", &s::admin, &admin_section::token,
               "What admin clients from a non-loopback address send first "
               "(at least 16 characters); empty: loopback clients only."));
  keys.back().secret = true;
  add(make_key("admin", "timeout_ms", &s::admin, &admin_section::timeout_ms,
               "Longest wait for the answer to one admin request (then "
               "ADMIN_TIMEOUT)."));
  add(make_key("admin", "node_timeout_ms", &s::admin,
               &admin_section::node_timeout_ms,
               "Cluster: longest wait for each other node's part of an admin "
               "answer (slower nodes are named as not answering)."));
  add(make_key("admin", "idle_timeout_ms", &s::admin,
               &admin_section::idle_timeout_ms,
               "An admin connection with no request for this long is "
               "closed."));
  add(make_key("admin", "max_connections", &s::admin,
               &admin_section::max_connections,
               "Admin connections open at once; more are refused."));
  // store
  add(make_key("store", "kind", &s::store, &store_section::kind,
               "History and account store: sqlite or mysql."));
  add(make_key("store", "sqlite_path", &s::store, &store_section::sqlite_path,
               "SQLite database file (store.kind = sqlite)."));
  add(make_key("store", "mysql_url", &s::store, &store_section::mysql_url,
               "mysql://user:password@host:port/database (store.kind = mysql; "
               "user, password and database percent-encoded)."));
  add(make_key("store", "connect_timeout_ms", &s::store,
               &store_section::connect_timeout_ms,
               "How long start-up waits for the database before giving up."));
  // persistence
  add(make_key("persistence", "batch_max", &s::persistence,
               &persistence_section::batch_max,
               "Most messages committed in one transaction."));
  add(make_key("persistence", "batch_window_ms", &s::persistence,
               &persistence_section::batch_window_ms,
               "Longest wait for a batch to fill before it is committed."));
  add(make_key("persistence", "queue_max", &s::persistence,
               &persistence_section::queue_max,
               "Messages that may wait while the store is unreachable; beyond "
               "this, senders get CHAT_006."));
  add(make_key("persistence", "read_workers", &s::persistence,
               &persistence_section::read_workers,
               "Store connections for reads (room loads, replays, /readyz); "
               "history reads never take the first."));
  add(make_key("persistence", "read_queue_max", &s::persistence,
               &persistence_section::read_queue_max,
               "Reads in flight beyond which more are refused with "
               "CHAT_006."));
  // actors
  add(make_key("actors", "scheduler_threads", &s::actors,
               &actors_section::scheduler_threads,
               "Actor scheduler worker threads; 0 = one per core but one."));
  add(make_key("actors", "scheduler_policy", &s::actors,
               &actors_section::scheduler_policy,
               "sharing (idle workers sleep until woken) or stealing (idle "
               "workers poll)."));
  // rooms
  add(make_key("rooms", "idle_timeout_ms", &s::rooms,
               &rooms_section::idle_timeout_ms,
               "A room with no members stops after this long."));
  add(make_key("rooms", "replay_ring", &s::rooms, &rooms_section::replay_ring,
               "Recent messages kept in memory per room for fast replay."));
  add(make_key("rooms", "dedupe_window", &s::rooms,
               &rooms_section::dedupe_window,
               "Recent clientMsgIds remembered per room."));
  add(make_key("rooms", "create_on_enter", &s::rooms,
               &rooms_section::create_on_enter,
               "ENTER of an unknown room id creates a public room; false "
               "answers CHAT_001."));
  add(make_key("rooms", "read_timeout_ms", &s::rooms,
               &rooms_section::read_timeout_ms,
               "Longest wait for the store when a room loads and for one "
               "ENTER's whole replay (then CHAT_006); sessions wait 3x this "
               "+ 5 s for an ENTER."));
  add(make_key("rooms", "replay_hold_bytes", &s::rooms,
               &rooms_section::replay_hold_bytes,
               "Bytes of live events one replay holds back while it reads the "
               "store; beyond, they are read from the store too."));
  // stomp
  add(make_key("stomp", "heartbeat_ms", &s::stomp, &stomp_section::heartbeat_ms,
               "The server's STOMP heart-beat offer in both directions, in "
               "ms (0: none); a client silent for 1.5x the negotiated "
               "interval is closed."));
  add(make_key("stomp", "max_frame_bytes", &s::stomp,
               &stomp_section::max_frame_bytes,
               "Largest STOMP frame (headers and body); larger gets ERROR "
               "and a close."));
  add(make_key("stomp", "max_headers", &s::stomp, &stomp_section::max_headers,
               "Most headers in one STOMP frame."));
  add(make_key("stomp", "max_header_bytes", &s::stomp,
               &stomp_section::max_header_bytes,
               "Longest STOMP header line, in bytes."));
  add(make_key("stomp", "connect_timeout_ms", &s::stomp,
               &stomp_section::connect_timeout_ms,
               "Longest wait for the CONNECT frame after the /ws upgrade."));
  // limits
  add(make_key("limits", "max_frame_bytes", &s::limits,
               &limits_section::max_frame_bytes,
               "Largest WebSocket message accepted; larger closes with 1009."));
  add(make_key("limits", "max_message_chars", &s::limits,
               &limits_section::max_message_chars,
               "Longest chat message text, in characters (CHAT_005 beyond)."));
  add(make_key("limits", "outbound_queue_bytes", &s::limits,
               &limits_section::outbound_queue_bytes,
               "Bytes queued for one slow client before it is closed with "
               "4008."));
  add(make_key("limits", "max_http_body_bytes", &s::limits,
               &limits_section::max_http_body_bytes,
               "Largest HTTP request body accepted."));
  add(make_key("limits", "avatar_bytes", &s::limits,
               &limits_section::avatar_bytes,
               "Largest avatar image (GLOBAL_008 beyond); an upload's body "
               "may exceed max_http_body_bytes by this much."));
  add(make_key("limits", "blocks_per_member", &s::limits,
               &limits_section::blocks_per_member,
               "Members one member may block (MEMBER_007 beyond); live "
               "sessions hold their member's list."));
  add(make_key("limits", "max_connections", &s::limits,
               &limits_section::max_connections,
               "Most simultaneous client connections; more are refused."));
  add(make_key("limits", "connections_per_address", &s::limits,
               &limits_section::connections_per_address,
               "Open connections per client address (IPv6: per /64); more "
               "are refused."));
  add(make_key("limits", "messages_per_second", &s::limits,
               &limits_section::messages_per_second,
               "Messages one connection may send per second (token bucket)."));
  add(make_key("limits", "message_burst", &s::limits,
               &limits_section::message_burst,
               "Messages one connection may send at once (bucket size)."));
  add(make_key("limits", "rooms_per_session", &s::limits,
               &limits_section::rooms_per_session,
               "Rooms one connection may be in at once; more ENTERs get "
               "CHAT_004."));
  add(make_key("limits", "rooms_created_per_hour", &s::limits,
               &limits_section::rooms_created_per_hour,
               "Rooms one member (trusted mode: one sender name) may create "
               "per hour by ENTER, and as many by POST /chat/room; more get "
               "GLOBAL_429."));
  add(make_key("limits", "login_attempts", &s::limits,
               &limits_section::login_attempts,
               "Login attempts per email and per address in the window."));
  add(make_key("limits", "login_window_s", &s::limits,
               &limits_section::login_window_s,
               "Window of limits.login_attempts, in seconds."));
  add(make_key("limits", "code_requests", &s::limits,
               &limits_section::code_requests,
               "Verification codes per email in the window (4x per address)."));
  add(make_key("limits", "code_window_s", &s::limits,
               &limits_section::code_window_s,
               "Window of limits.code_requests, in seconds."));
  add(make_key("limits", "rate_limit_keys", &s::limits,
               &limits_section::rate_limit_keys,
               "Emails or addresses each login/code limiter remembers; the "
               "oldest is forgotten beyond."));
  add(make_key("limits", "reports_per_hour", &s::limits,
               &limits_section::reports_per_hour,
               "Reports (POST /member/report) one member may make per hour; "
               "more get GLOBAL_429."));
  add(make_key("limits", "report_retention_days", &s::limits,
               &limits_section::report_retention_days,
               "Days a report is kept; older ones go with the account "
               "purge (auth.purge_interval_s)."));
  // auth
  add(make_key("auth", "required", &s::auth, &auth_section::required,
               "Real-time endpoints and chat REST need an access token."));
  add(make_key("auth", "jwt_secret", &s::auth, &auth_section::jwt_secret,
               "HS256 signing key; empty = random per start (dev only)."));
  add(make_key("auth", "access_token_ttl_s", &s::auth,
               &auth_section::access_token_ttl_s,
               "Lifetime of access tokens, in seconds."));
  add(make_key("auth", "refresh_token_ttl_s", &s::auth,
               &auth_section::refresh_token_ttl_s,
               "Lifetime of refresh tokens, in seconds."));
  add(make_key("auth", "code_ttl_s", &s::auth, &auth_section::code_ttl_s,
               "Lifetime of email verification codes, in seconds."));
  add(make_key("auth", "code_max_attempts", &s::auth,
               &auth_section::code_max_attempts,
               "Wrong guesses before a verification code is void."));
  add(make_key("auth", "require_email_verification", &s::auth,
               &auth_section::require_email_verification,
               "Join needs a confirmed email verification code."));
  add(make_key("auth", "password_ops", &s::auth, &auth_section::password_ops,
               "Argon2id passes."));
  add(make_key("auth", "password_memory_kib", &s::auth,
               &auth_section::password_memory_kib, "Argon2id memory, in KiB."));
  add(make_key("auth", "purge_interval_s", &s::auth,
               &auth_section::purge_interval_s,
               "Seconds between purges of expired sessions, refresh tokens "
               "and verification codes."));
  add(make_key("auth", "purge_batch", &s::auth, &auth_section::purge_batch,
               "Most rows of each kind one purge deletes; a backlog is "
               "purged a batch a second."));
  add(make_key("auth", "password_workers", &s::auth,
               &auth_section::password_workers,
               "Threads hashing passwords (login, join), apart from the "
               "store workers."));
  add(make_key("auth", "password_queue_max", &s::auth,
               &auth_section::password_queue_max,
               "Logins and joins that may wait for a password thread; "
               "beyond, 503."));
  add(make_key("auth", "session_cache_ms", &s::auth,
               &auth_section::session_cache_ms,
               "How long a WebSocket upgrade trusts a cached session check; "
               "0 asks the store every time."));
  add(make_key("auth", "session_cache_max", &s::auth,
               &auth_section::session_cache_max,
               "Sessions the upgrade's session cache holds."));
  add(make_key("auth", "refresh_reuse_grace_ms", &s::auth,
               &auth_section::refresh_reuse_grace_ms,
               "A used refresh token presented again within this many ms "
               "of its use gets a new pair (a client's parallel rotations); "
               "later it ends the session. 0: always ends it."));
  // smtp
  add(make_key("smtp", "url", &s::smtp, &smtp_section::url,
               "smtps://user:password@host:465 (TLS) or smtp://host:587 "
               "(STARTTLS required; plain text only to 127.0.0.1, [::1] or "
               "localhost); empty logs the codes instead of mailing them."));
  add(make_key("smtp", "from", &s::smtp, &smtp_section::from,
               "Sender address of verification mails."));
  add(make_key("smtp", "timeout_ms", &s::smtp, &smtp_section::timeout_ms,
               "Longest time to hand one mail to the SMTP server."));
  add(make_key("smtp", "workers", &s::smtp, &smtp_section::workers,
               "Threads sending mail, apart from the store workers."));
  add(make_key("smtp", "queue_max", &s::smtp, &smtp_section::queue_max,
               "Mails that may wait for a mail thread; beyond, 503."));
  add_push_keys(keys);
  // sse
  add(make_key("sse", "keepalive_s", &s::sse, &sse_section::keepalive_s,
               "Seconds between the keep-alive comments every open SSE "
               "stream gets (one sweep for all streams)."));
  for (auto& k : keys)
    if (k.name() == "auth.jwt_secret" || k.name() == "store.mysql_url"
        || k.name() == "smtp.url")
      k.secret = true;
  // web
  add(make_key("web", "enabled", &s::web, &web_section::enabled,
               "Serve the chat page (GET /) on the public port."));
  add(make_key("web", "dir", &s::web, &web_section::dir,
               "Serve the page's files from this directory instead of the "
               "copy built into h2hd (development); empty: the built-in "
               "copy."));
  add_cluster_keys(keys);
  // log
  add(make_key("log", "level", &s::log, &log_section::level,
               "trace, debug, info, warn, error or off."));
  return keys;
}

} // namespace

std::string key_info::env_name() const {
  std::string out = "H2H_" + section + "_" + key;
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return out;
}

std::string key_info::shown(const settings& s) const {
  auto value = get(s);
  if (secret && !value.empty())
    return "<set, not shown>";
  if (masked_password)
    return redact_url(value);
  return value;
}

const std::vector<key_info>& all_keys() {
  static const std::vector<key_info> keys = build_keys();
  return keys;
}

const key_info* find_key(std::string_view dotted_name) {
  for (auto& k : all_keys())
    if (k.name() == dotted_name)
      return &k;
  return nullptr;
}

} // namespace h2h::config
