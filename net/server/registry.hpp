// Live connections of the public port, for limits, counts, token expiry,
// the end of a login session and shutdown.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "net/transport/net_counters.hpp"

namespace h2h::net {

/// Something the server can ask to go away (close 1001, or just close).
class closable {
public:
  virtual ~closable() = default;
  /// Starts a graceful close; thread-safe.
  virtual void shutdown() = 0;
  /// Closes at once; only while no I/O thread runs (end of shutdown).
  virtual void abort_now() = 0;
  /// The access token behind the connection expired; thread-safe.
  virtual void expire() {
  }
  /// The login session behind the connection ended (logout, a reused
  /// refresh token); thread-safe.
  virtual void end_session() {
  }
  /// A sweep of the connections that asked for it (registry::tick_each):
  /// their timers (STOMP heart-beats, the wait for CONNECT). Thread-safe.
  virtual void tick(std::chrono::steady_clock::time_point now) {
    (void)now;
  }
};

/// The set of open connections. Thread-safe; every table in it holds only
/// entries of open connections (or, for the expiry schedule, at most twice
/// as many as are scheduled plus a small constant).
class registry {
public:
  /// Adds a connection; returns its id.
  std::uint64_t add(std::weak_ptr<closable> c);

  /// Forgets the connection and everything bound to it (address count,
  /// session, expiry). Unknown ids are ignored.
  void remove(std::uint64_t id);

  std::size_t size() const;

  /// Counts connection `id` against the client address key `key`; false
  /// (and nothing counted) when `key` already has `cap` connections or `id`
  /// is unknown. A connection counts against one key at most: binding again
  /// is a no-op that answers true.
  bool bind_address(std::uint64_t id, const std::string& key, std::size_t cap);

  /// Open connections counted against `key`.
  std::size_t connections_of(const std::string& key) const;

  /// Distinct address keys with open connections (for tests and metrics).
  std::size_t addresses() const;

  /// The connection `from` became `to` (an upgrade): `to` takes over the
  /// address count of `from`, then `from` is removed. When `to` is already
  /// gone the count is just released.
  void hand_over(std::uint64_t from, std::uint64_t to);

  /// Connection `id` belongs to login session `session_id` (end_session
  /// reaches it). False when that session ended a moment ago (one of the
  /// last `recently_ended_max`): an upgrade checked before the logout and
  /// completing after it must end too.
  bool bind_session(std::uint64_t id, const std::string& session_id);

  /// Calls end_session() on every open connection of the login session;
  /// returns how many there were.
  std::size_t end_session(const std::string& session_id);

  /// Ended sessions remembered for bind_session.
  static constexpr std::size_t recently_ended_max = 1024;

  /// Login sessions with open connections (for tests and metrics).
  std::size_t sessions() const;

  /// Calls expire() on connection `id` at `deadline` (see expire_due) if it
  /// is still open. One schedule entry per authenticated connection instead
  /// of a timer each; it holds only the id, so a closed connection's memory
  /// is not kept until its token would have expired, and closed connections'
  /// entries are dropped once they are half of the schedule.
  void expire_at(std::chrono::steady_clock::time_point deadline,
                 std::uint64_t id);

  void expire_due(std::chrono::steady_clock::time_point now);

  /// Entries in the expiry schedule (for tests and metrics).
  std::size_t scheduled() const;

  /// Calls tick() on connection `id` at every tick_all() while it is open:
  /// one sweep for every connection's timers instead of a timer each.
  void tick_each_sweep(std::uint64_t id);

  /// Stops the ticks of `id` (remove() does too).
  void stop_ticking(std::uint64_t id);

  /// Ticks every connection that asked for it.
  void tick_all(std::chrono::steady_clock::time_point now);

  /// Connections ticked by each sweep (for tests and metrics).
  std::size_t ticking() const;

  /// The open connections now (a stop closes them in batches).
  std::vector<std::weak_ptr<closable>> snapshot() const;

  /// Asks every connection to close.
  void shutdown_all();

  void abort_all();

private:
  using address_slot = std::pair<const std::string, std::size_t>;
  struct session_slot {
    std::vector<std::uint64_t> ids;
  };
  using session_node = std::pair<const std::string, session_slot>;

  struct entry {
    std::weak_ptr<closable> conn;
    /// The address count this connection holds (a node of addresses_:
    /// pointers to unordered_map elements survive rehashing).
    address_slot* address = nullptr;
    /// The login session and this connection's place in its id list.
    session_node* session = nullptr;
    std::uint32_t session_pos = 0;
    bool scheduled = false;
  };

  struct expiry {
    std::chrono::steady_clock::time_point deadline;
    std::uint64_t id;
    bool operator<(const expiry& other) const {
      return deadline > other.deadline; // earliest on top of the heap
    }
  };

  // All called with mtx_ held.
  void release_address(entry& e);
  void release_session(entry& e);
  void unschedule(entry& e);
  void compact_if_sparse();
  std::vector<std::shared_ptr<closable>> all_locked() const;

  mutable std::mutex mtx_;
  std::uint64_t next_id_ = 0;
  std::unordered_map<std::uint64_t, entry> live_;
  /// Open connections that tick_all() ticks.
  std::unordered_set<std::uint64_t> ticking_;
  std::unordered_map<std::string, std::size_t> addresses_;
  std::unordered_map<std::string, session_slot> sessions_;
  /// The last recently_ended_max ended sessions, oldest first.
  std::deque<std::string> ended_order_;
  std::unordered_set<std::string> ended_;
  /// A binary heap (std::push_heap order); may hold ids of closed
  /// connections until the next compaction.
  std::vector<expiry> expiries_;
  /// Open connections with an entry in expiries_.
  std::size_t scheduled_live_ = 0;
};

} // namespace h2h::net
