// The one typed configuration tree of h2h, with every default in one place.
#pragma once

#include <cstdint>
#include <string>

namespace h2h::config {

/// Public HTTP/WebSocket listener and process settings.
struct server_section {
  std::string bind = "0.0.0.0";
  std::uint16_t port = 8080;
  /// Threads that run the network event loop.
  int io_threads = 1;
  /// Every this many seconds the heap's free pages go back to the system
  /// (what a burst of connections left behind); 0: never.
  int memory_trim_s = 10;
  /// How long another member's ENTER or EXIT notice may wait for the
  /// receiver's next write (one write for many notices); 0: none wait.
  int presence_delay_ms = 250;
  /// Hand each turn's socket writes of an I/O thread to the kernel together
  /// (io_uring); off, or where the kernel refuses it, one system call each.
  bool io_uring = true;
  /// Upper bound for a graceful shutdown before the process exits anyway.
  int shutdown_timeout_ms = 5000;
  /// On SIGTERM or the admin drain: how long the open connections take to
  /// close (1001), in batches spread evenly; 0: all at once.
  int drain_window_ms = 0;
  /// Longest time a client may take to send one whole HTTP request (its
  /// headers and body); slower senders are disconnected.
  int http_timeout_ms = 30000;
  /// Addresses/ranges of proxies whose forwarding header names the client
  /// (comma-separated); empty: the peer is the client.
  std::string trusted_proxies;
  /// The header trusted proxies write: x-forwarded-for or forwarded.
  std::string forwarded_header = "x-forwarded-for";
  /// Scheme and authority of absolute URLs the server hands out (avatar
  /// URLs), e.g. https://chat.example.com; empty: from each request.
  std::string public_url;
};

/// The metrics listener (Prometheus /metrics), apart from the public port.
struct metrics_section {
  std::string bind = "0.0.0.0";
  std::uint16_t port = 9100;
};

/// The admin port (docs/admin.md): operators and h2h-admin, apart from the
/// public port.
struct admin_section {
  std::string bind = "127.0.0.1";
  /// 0 picks a free port (logged as `admin listening on H:P`).
  std::uint16_t port = 4243;
  /// What clients from a non-loopback address must send first; empty:
  /// only loopback clients are served. A secret: never shown.
  std::string token;
  /// Longest wait for the answer to one request (then ADMIN_TIMEOUT).
  int timeout_ms = 10000;
  /// In a cluster: the longest wait for each other node's part of an
  /// answer; a node slower than this is named as not answering.
  int node_timeout_ms = 2000;
  /// A connection with no request for this long is closed.
  int idle_timeout_ms = 600000;
  /// Connections open at once; more are refused.
  int max_connections = 8;
};

/// Where chat history, accounts and rooms live.
struct store_section {
  std::string kind = "sqlite";
  std::string sqlite_path = "./data/h2h.db";
  std::string mysql_url;
  /// How long start-up waits for the database before giving up.
  int connect_timeout_ms = 30000;
};

/// Batching of history writes by the persistence actor.
struct persistence_section {
  int batch_max = 512;
  /// 0: a commit starts as soon as the previous one ends (group commit);
  /// a window only adds latency (measured: docs/benchmarks.md).
  int batch_window_ms = 0;
  /// Messages that may wait for the store while it is unreachable.
  int queue_max = 100000;
  /// Store connections for reads (room loads, replays, history, /readyz);
  /// long history reads never take the first of them.
  int read_workers = 3;
  /// Reads in flight beyond which more are refused (CHAT_006).
  int read_queue_max = 10000;
};

/// Actor runtime.
struct actors_section {
  /// Scheduler worker threads; 0 means one per core but one (at least 1).
  int scheduler_threads = 0;
  /// "sharing" (one queue, sleeping workers are woken) or "stealing"
  /// (work stealing, idle workers poll).
  std::string scheduler_policy = "sharing";
};

/// Room actor behaviour.
struct rooms_section {
  /// A room with no members stops after this long.
  int idle_timeout_ms = 60000;
  /// Recent messages kept in memory per room for fast replay.
  int replay_ring = 256;
  /// Recent clientMsgIds remembered per room (the store has the final word).
  int dedupe_window = 4096;
  /// ENTER of a room id nobody created creates a public room (DESIGN.md
  /// §2.1); false answers CHAT_001 instead.
  bool create_on_enter = true;
  /// Longest wait for the store when a room loads, and for one ENTER's
  /// whole replay (then CHAT_006). Sessions wait 3x this + 5 s for an ENTER.
  int read_timeout_ms = 10000;
  /// Bytes of live events one replay holds back while it reads the store;
  /// beyond, those are read from the store too (no gap, no repeat).
  std::size_t replay_hold_bytes = 262144;
};

/// STOMP over WebSocket at /ws (DESIGN.md §2.2).
struct stomp_section {
  /// The server's heart-beat offer in both directions (0: none).
  int heartbeat_ms = 10000;
  /// Largest STOMP frame (command, headers, body and NUL); a frame may
  /// span several WebSocket messages.
  std::size_t max_frame_bytes = 65536;
  /// Most headers in one frame.
  int max_headers = 64;
  /// Longest header line, in bytes.
  int max_header_bytes = 8192;
  /// Longest wait for the CONNECT frame after the upgrade.
  int connect_timeout_ms = 10000;
};

/// The longest message text the store can hold: its column is MySQL TEXT
/// (65,535 bytes; SQLite is held to the same by migration 3), so 16383
/// characters of four UTF-8 bytes each.
constexpr std::size_t store_max_message_chars = 16383;

/// Sizes and rates that protect the server from clients.
struct limits_section {
  std::size_t max_frame_bytes = 65536;
  std::size_t max_message_chars = 4000;
  std::size_t outbound_queue_bytes = 1048576;
  std::size_t max_http_body_bytes = 1048576;
  /// Largest avatar image (POST /member/uploadAvatar may carry this much
  /// more than max_http_body_bytes).
  std::size_t avatar_bytes = 2097152;
  /// Members one member may block (POST /member/block; MEMBER_007 beyond).
  std::size_t blocks_per_member = 1000;
  int max_connections = 100000;
  /// Open connections per client address (IPv6: per /64).
  int connections_per_address = 256;
  /// Token bucket per connection for sent messages.
  int messages_per_second = 20;
  int message_burst = 40;
  /// Rooms one connection may be in at once.
  int rooms_per_session = 100;
  /// Rooms one member (trusted mode: one sender name) may create by ENTER
  /// per hour.
  int rooms_created_per_hour = 60;
  /// Login attempts per email and per client address within the window.
  int login_attempts = 10;
  int login_window_s = 300;
  /// Verification codes requested per email (per address: 4x) in the window.
  int code_requests = 5;
  int code_window_s = 3600;
  /// Keys (emails, addresses) each login/code limiter remembers.
  int rate_limit_keys = 65536;
  /// POST /member/report per reporter per hour.
  int reports_per_hour = 20;
  /// Days a report is kept before the purge deletes it.
  int report_retention_days = 180;
};

/// Authentication of members and connections.
struct auth_section {
  /// Real-time endpoints and chat REST need an access token.
  bool required = true;
  /// HS256 key (UTF-8 bytes). Empty: a random key per start (dev only).
  std::string jwt_secret;
  int access_token_ttl_s = 86400;
  int refresh_token_ttl_s = 604800;
  /// Lifetime of an email verification code.
  int code_ttl_s = 300;
  /// Wrong guesses before a code is void.
  int code_max_attempts = 5;
  /// Join needs a confirmed email verification code.
  bool require_email_verification = true;
  /// Argon2id cost (libsodium's interactive level by default).
  int password_ops = 2;
  int password_memory_kib = 65536;
  /// How often expired sessions, refresh tokens and codes are deleted.
  int purge_interval_s = 3600;
  /// Most rows of each kind one purge deletes (a backlog takes more runs).
  int purge_batch = 1000;
  /// Threads that hash passwords (login, join), apart from the store pool.
  int password_workers = 2;
  /// Password jobs that may wait; beyond, login and join answer 503.
  int password_queue_max = 32;
  /// How long an upgrade trusts a cached session check (0: always ask the
  /// store); logout on this node takes effect at once.
  int session_cache_ms = 5000;
  /// Sessions the upgrade cache holds.
  int session_cache_max = 65536;
  /// A used refresh token presented again within this many ms of its use
  /// rotates again instead of ending the session (0: never).
  int refresh_reuse_grace_ms = 10000;
};

/// Outgoing mail for verification codes.
struct smtp_section {
  /// smtps://user:password@host:465 or smtp://host:587 (STARTTLS
  /// required; plain text only to a loopback host); empty logs codes.
  std::string url;
  std::string from = "h2h@localhost";
  int timeout_ms = 10000;
  /// Threads that send mail, apart from the store pool.
  int workers = 2;
  /// Mails that may wait; beyond, code requests answer 503.
  int queue_max = 64;
};

/// Push notifications through FCM HTTP v1 (DESIGN.md §5).
struct push_section {
  /// The service-account JSON file; empty: push is off.
  std::string fcm_credentials;
  /// FCM's base URL (tests: a local server).
  std::string fcm_endpoint = "https://fcm.googleapis.com";
  /// The OAuth2 token endpoint; empty: token_uri of the credentials file.
  std::string fcm_token_uri;
  /// At most one push per member and room per window.
  int coalesce_ms = 1500;
  /// How long FCM keeps a push for an offline device.
  int ttl_s = 86400;
  /// Pushes that may wait; beyond, the oldest are dropped (counted).
  int queue_max = 10000;
  /// Requests to FCM at once.
  int max_in_flight = 100;
  /// Tries after the first for 429, 5xx and network failures.
  int max_retries = 5;
  /// First back-off; doubles per try up to backoff_max_ms.
  int backoff_ms = 1000;
  int backoff_max_ms = 60000;
  /// Bound on one FCM request or token exchange.
  int timeout_ms = 10000;
};

/// The chat page at / (DESIGN.md §2.4).
struct web_section {
  /// Serve the page on the public port.
  bool enabled = true;
  /// Serve the files of this directory instead of those built into the
  /// binary (development, container images); empty: the built-in ones.
  std::string dir;
};

/// Server-Sent Events streams (GET /chat/room/{roomId}/events).
struct sse_section {
  /// A keep-alive comment goes to every open stream this often.
  int keepalive_s = 15;
};

/// Cluster membership (DESIGN.md §1, §5): one node of several sharing one
/// store, found through Redis, talking over CAF's middleman.
struct cluster_section {
  /// Run as one node of a cluster (needs store.kind = mysql).
  bool enabled = false;
  /// The CAF cluster port; 0 picks a free port and logs it.
  std::uint16_t port = 4242;
  /// The address other nodes connect to, and the only one the cluster port
  /// is bound to; empty: this machine's host name.
  std::string advertise_host;
  /// This node's name in the cluster, [A-Za-z0-9._-]{1,64}; empty: made
  /// from the host name at start.
  std::string node_id;
  /// How often the registration is refreshed and the node set rescanned.
  int heartbeat_ms = 1000;
  /// Lifetime of a registration in Redis; at least 2 heartbeats, so that
  /// one late refresh does not drop a live node.
  int node_ttl_ms = 3000;
  /// A peer silent this long is dead (CAF middleman connection timeout).
  int connect_timeout_ms = 5000;
  /// The cluster port over TLS with mutual authentication (CAF's OpenSSL
  /// module): this node's certificate and private key (PEM) and the
  /// cluster CA (PEM) every peer's certificate must be signed by. All
  /// three or none; none: plain BASP, for a private network only.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
};

/// The Redis server of cluster discovery.
struct redis_section {
  /// redis://[[user]:password@]host[:port][/db]
  std::string url = "redis://127.0.0.1:6379";
  /// Every key and channel starts with `<prefix>:`, so that clusters (and
  /// tests) can share one Redis; [A-Za-z0-9._-]{1,32}.
  std::string key_prefix = "h2h";
  /// Connect and command timeout.
  int timeout_ms = 1000;
};

/// Logging.
struct log_section {
  std::string level = "info";
};

/// The whole configuration.
struct settings {
  server_section server;
  metrics_section metrics;
  admin_section admin;
  store_section store;
  persistence_section persistence;
  actors_section actors;
  rooms_section rooms;
  stomp_section stomp;
  limits_section limits;
  auth_section auth;
  smtp_section smtp;
  push_section push;
  web_section web;
  sse_section sse;
  cluster_section cluster;
  redis_section redis;
  log_section log;
};

} // namespace h2h::config
