// The cluster's node registry: live nodes as Redis keys with a TTL, changes
// announced on a pub/sub channel. Blocking calls; no hiredis, no CAF here.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace h2h {

/// One live node, as registered.
struct node_record {
  std::string id;   ///< [A-Za-z0-9._-]{1,64}
  std::string host; ///< advertised host (IP or name)
  std::uint16_t cluster_port = 0, public_port = 0, admin_port = 0,
                metrics_port = 0;
  std::int64_t started_ms = 0; ///< wall clock, ms since epoch
  /// Draining: still connected and serving its last clients, but no longer
  /// an owner of rooms (the others take them over at once).
  bool leaving = false;
};

bool operator==(const node_record& x, const node_record& y);
bool operator!=(const node_record& x, const node_record& y);

/// Where the registry lives and how long a call may take.
struct redis_settings {
  /// redis://[[user]:password@]host[:port][/db], as config::parse_redis_url
  /// reads it.
  std::string url = "redis://127.0.0.1:6379";
  /// All keys and channels start with "<prefix>:"; [A-Za-z0-9._-]{1,64}, so
  /// that it is never a glob pattern in SCAN MATCH.
  std::string key_prefix = "h2h";
  /// Connect timeout, and the timeout of each command.
  std::chrono::milliseconds timeout{1000};
};

/// Any failure of a registry call: bad settings, Redis unreachable, a
/// timeout, an error reply. The connection is dropped; the next call
/// reconnects.
class registry_error : public std::runtime_error {
public:
  using runtime_error::runtime_error;
};

/// Registers this node and lists the others. NOT thread-safe: one thread
/// uses one object.
class node_registry {
public:
  virtual ~node_registry() = default;

  /// SET <prefix>:node:<id> <encoded record> PX <ttl>; the first call (and
  /// the first after a failure or a withdraw) also PUBLISHes "up <id>" on
  /// <prefix>:nodes, and a call whose leaving mark changed (a node that begins
  /// to leave) PUBLISHes "leaving <id>" or "up <id>".
  virtual void announce(const node_record& self, std::chrono::milliseconds ttl)
    = 0;

  /// DEL the key and PUBLISH "down <id>" (graceful stop).
  virtual void withdraw(const std::string& id) = 0;

  /// Every registered node: SCAN MATCH <prefix>:node:* (COUNT 100, at most
  /// 10,000 keys) then MGET; records that do not decode, or whose id is not
  /// their key's, are skipped with a warning.
  virtual std::vector<node_record> scan() = 0;
};

/// Blocks on a connection of its own, subscribed to <prefix>:nodes and to
/// the keyspace events of <prefix>:node:* (which Redis sends only when its
/// notify-keyspace-events enables them).
class node_watch {
public:
  virtual ~node_watch() = default;

  /// Waits up to `timeout` for a message on the channel, or a node key that
  /// expired, was deleted or evicted: true when one came (the node set may
  /// have changed), or when the watch had to re-subscribe after losing its
  /// connection (messages may have been missed); false on timeout. Throws
  /// registry_error when Redis is unreachable or does not answer a PING
  /// within the settings' timeout. Blocks at most `timeout`, plus, when it
  /// (re)connects, the settings' timeout for the connect and for each of its
  /// few commands (AUTH, SELECT, SUBSCRIBE, PSUBSCRIBE). Not thread-safe.
  virtual bool wait_change(std::chrono::milliseconds timeout) = 0;
};

/// Throws registry_error when the settings are bad (url, prefix, timeout);
/// does not connect yet (the first call does).
std::unique_ptr<node_registry> make_redis_registry(const redis_settings& cfg);
std::unique_ptr<node_watch> make_redis_watch(const redis_settings& cfg);

/// The key of a node and the channel of changes, for logs and tests.
std::string node_key(std::string_view prefix, std::string_view id);
std::string nodes_channel(std::string_view prefix);

/// True for [A-Za-z0-9._-]{1,64}: node ids and key prefixes.
bool valid_node_id(std::string_view id);

/// Why a record cannot be registered (bad id or host), or nullopt.
std::optional<std::string> node_record_problem(const node_record& rec);

/// The text stored as a key's value:
/// "v1 id=<id> host=<h> cluster=<p> public=<p> admin=<p> metrics=<p>
/// started=<ms>", and " leaving=1" for a leaving node (older readers ignore
/// it). Throws std::invalid_argument when node_record_problem().
std::string encode_node(const node_record& rec);

/// The record back; nullopt when the text is not one (unknown fields are
/// ignored so that a newer v1 writer stays readable).
std::optional<node_record> decode_node(std::string_view text);

} // namespace h2h
