// The store interface: history, rooms and (later) accounts, whatever the
// database. Implementations translate their vendor's errors to store_error.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "persistence/accounts.hpp"
#include "persistence/record.hpp"

namespace h2h {

/// Why a store call failed.
enum class store_failure {
  /// The database cannot be reached (or the connection broke): retry later.
  unavailable,
  /// A key is taken: a seq by another message (a stale writer), or a
  /// unique value (never retry).
  conflict,
  /// The statement's values cannot be stored (too long for a column, not
  /// valid for its type): a retry cannot help, other rows may go in.
  permanent,
  /// Anything else (a bug, a corrupt file, a schema the code does not know).
  fatal,
};

class store_error : public std::runtime_error {
public:
  store_error(store_failure kind, const std::string& what)
    : std::runtime_error(what)
    , kind_(kind) {
  }
  store_failure kind() const {
    return kind_;
  }

private:
  store_failure kind_;
};

/// The latest state of a room, for a room actor that starts.
struct room_snapshot {
  std::uint64_t last_seq = 0;
  /// The newest events, oldest first.
  std::vector<room_event> recent;
  bool is_private = false;
  std::int64_t owner_id = 0;
  /// The members of a private room (public rooms leave this empty).
  std::vector<std::int64_t> members;
  /// False when nobody created the room (the rest is then empty).
  bool exists = true;
  /// The room was deleted: its id is never used again (all else is empty).
  bool deleted = false;
};

/// One connection's worth of store. Not thread-safe: each worker owns one.
class store : public account_store {
public:
  ~store() override = default;

  /// Applies the schema migrations that are missing (schema_migrations).
  virtual void migrate() = 0;

  /// Stores a batch, normally in one transaction. Returns one outcome per
  /// event, in order: an event whose (room, sender, clientMsgId) is stored
  /// already is a duplicate naming the original (the sender is the member
  /// id, or the name when the id is 0); one whose seq is taken is a
  /// conflict; one of a deleted room is refused; one the store cannot hold
  /// is unstorable (the others then commit in smaller transactions). Only
  /// committed events are new in history. Throws store_error when the
  /// outcome of the batch is unknown (e.g. the database is unavailable): a
  /// retry of the same batch is then harmless.
  virtual std::vector<append_outcome>
  append(const std::vector<room_event>& batch) = 0;

  /// Makes sure the room exists (a room id nobody created becomes a public
  /// room); returns its latest seq, newest events and who may enter. A
  /// deleted room stays deleted: the snapshot says so and nothing is made.
  virtual room_snapshot load_room(const std::string& room_id,
                                  std::size_t recent)
    = 0;

  /// Like load_room, but creates nothing: nullopt when nobody created the
  /// room. (ENTER creates rooms only where allowed: DESIGN.md §2.1.)
  virtual std::optional<room_snapshot> find_room(const std::string& room_id,
                                                 std::size_t recent)
    = 0;

  /// True when the room exists (and was not deleted).
  virtual bool room_exists(const std::string& room_id) = 0;

  /// Events with seq > `after`, oldest first, at most `limit`.
  virtual std::vector<room_event> after(const std::string& room_id,
                                        std::uint64_t after, std::size_t limit)
    = 0;

  /// Events with seq < `before`, newest first, at most `limit`.
  virtual std::vector<room_event>
  before(const std::string& room_id, std::uint64_t before, std::size_t limit)
    = 0;

  /// Page `page` (0-based) of `size` events, oldest first.
  virtual std::vector<room_event> page(const std::string& room_id,
                                       std::size_t page, std::size_t size)
    = 0;

  /// A cheap round trip; throws store_error when the database is gone.
  virtual void ping() = 0;

  /// The chat messages (not notices) `target` sent in rooms that both
  /// `member` and `target` belong to, newest first, at most `limit` (the
  /// newest `limit` of each of at most `rooms_max` shared rooms are looked
  /// at).
  virtual std::vector<room_event>
  shared_messages(std::int64_t member, std::int64_t target, std::size_t limit,
                  std::size_t rooms_max)
    = 0;

  /// Rewrites every stored event of `member_id` (a deleted account) to the
  /// sender `name` with no member id and no clientMsgId (ENTER and EXIT
  /// notices to "<name> entered." and "<name> left.", as rooms write
  /// them), a room at a time in statements of at most `batch` rows.
  /// Returns the events rewritten.
  virtual std::uint64_t anonymize_sender(std::int64_t member_id,
                                         const std::string& name,
                                         std::size_t batch)
    = 0;
};

/// Opens a new store connection (called on the worker's own thread).
using store_factory = std::function<std::unique_ptr<store>()>;

} // namespace h2h
