// What WebSocket upgrades know about login sessions without asking the
// store: a bounded cache with a bounded staleness; sessions that end on
// this node are refused at once.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "actors/vocabulary/blocks.hpp"

namespace h2h::net {

/// What an upgrade needs to know about a login session.
struct session_facts {
  std::int64_t member_id = 0;
  bool active = false;
  /// The member's nickname when the session was checked.
  std::string nickname;
  /// Whom the member blocked when the session was checked (null: nobody).
  block_list blocked{};
};

/// Thread-safe. A session's facts are believed for `ttl_ms` after they were
/// read from the store (so a logout on another node, or a rename, shows
/// after at most that long); an ended session stays ended. At most
/// `max_entries` sessions are held: a new one pushes out the one read
/// longest ago. Every call is O(1).
class session_cache {
public:
  session_cache(std::size_t max_entries, std::int64_t ttl_ms);

  /// The facts of `session_id`, unless they are older than the ttl (or it
  /// is not held); an ended session at any age.
  std::optional<session_facts> find(const std::string& session_id,
                                    std::int64_t now_ms);

  /// Call before reading a session from the store; pass it to put().
  std::uint64_t generation() const;

  /// Remembers facts read from the store. Ignored when any session ended
  /// on this node since `generation` was taken: the read may predate it.
  void put(const std::string& session_id, session_facts facts,
           std::int64_t now_ms, std::uint64_t generation);

  /// The session ended on this node (logout, a reused refresh token):
  /// refused from now on without asking the store.
  void end(const std::string& session_id, std::int64_t now_ms);

  /// The member's blocks changed: its active sessions' facts are read
  /// from the store again (ended ones stay ended). O(entries); rare.
  void forget_member(std::int64_t member_id);

  std::size_t size() const;

private:
  struct entry;
  using table = std::unordered_map<std::string, entry>;
  /// Sessions by the time they were read, oldest first.
  using order = std::list<table::value_type*>;
  struct entry {
    session_facts facts;
    std::int64_t read_ms = 0;
    order::iterator pos;
  };

  // With mtx_ held.
  entry& touch(const std::string& session_id, std::int64_t now_ms);

  std::size_t max_entries_;
  std::int64_t ttl_ms_;
  mutable std::mutex mtx_;
  table entries_;
  order order_;
  std::uint64_t generation_ = 0;
};

} // namespace h2h::net
