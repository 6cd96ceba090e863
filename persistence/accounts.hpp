// Records and the store interface for members, sessions, verification
// codes, devices, avatars, rooms and reports (the REST side of h2h), and
// their purge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace h2h {

struct member_record {
  std::int64_t id = 0;
  std::string email;
  std::string name;
  std::string nickname;
  std::string password_hash;
  std::string avatar_url;
  std::int64_t created_ms = 0;
};

/// A login: access tokens name it (`sid`), refresh tokens belong to it.
struct session_record {
  std::string id;
  std::int64_t member_id = 0;
  std::int64_t created_ms = 0;
  bool revoked = false;
};

/// A refresh token, stored by the hash of its value.
struct refresh_record {
  std::string token_hash;
  std::int64_t member_id = 0;
  std::string session_id;
  std::int64_t expires_ms = 0;
  bool used = false;
  /// When use_refresh() marked it used (0: not by it, e.g. revoked).
  std::int64_t used_ms = 0;
};

/// The verification code last sent to an email address.
struct code_record {
  std::string email;
  std::string code_hash;
  std::int64_t expires_ms = 0;
  int attempts = 0;
  /// When the code was confirmed (0 = not yet).
  std::int64_t confirmed_ms = 0;
};

struct device_record {
  std::string token;
  std::int64_t member_id = 0;
  std::string platform;
};

struct room_record {
  std::string id;
  std::string name;
  std::int64_t owner_id = 0;
  bool is_private = false;
  std::int64_t created_ms = 0;
  /// Filled where asked for.
  std::vector<std::int64_t> members;
};

/// A member's avatar image: one per member, replaced by each upload.
struct avatar_record {
  std::int64_t member_id = 0;
  /// SHA-256 of `bytes`, lowercase hex: the URL names it, so a new image
  /// gets a new URL and the old one may be cached forever.
  std::string hash;
  /// The type found in the bytes (image/png, image/jpeg, ...).
  std::string mime;
  /// The image (empty where only the description was asked for).
  std::string bytes;
  std::int64_t created_ms = 0;
};

/// One member's report of another (POST /member/report), for operators.
struct report_record {
  std::int64_t id = 0;
  std::int64_t reporter_id = 0;
  std::int64_t target_id = 0;
  /// Empty when the reporter gave none.
  std::string reason;
  std::int64_t created_ms = 0;
  /// The target's last messages in rooms both shared when the report was
  /// made, as the REST layer encoded them (a JSON array): the store keeps
  /// the text as it is.
  std::string context;
};

/// What block() did.
enum class block_outcome {
  blocked,
  /// The member blocks the target already (nothing changed).
  already,
  /// There is no member with the target's id.
  no_target,
  /// The member blocks the most members allowed already.
  full,
};

/// A member someone blocks, with the avatar the list shows.
struct blocked_member {
  member_record member;
  /// The member's current avatar without its bytes, or nullopt.
  std::optional<avatar_record> avatar;
};

/// What purge_expired() deletes: instants in milliseconds since the epoch.
struct purge_cutoffs {
  /// Refresh tokens that expired before this go; so do sessions created
  /// before it with no refresh token that expires at or after it (every
  /// access token of theirs has expired too), and revoked sessions.
  std::int64_t tokens_ms = 0;
  /// Verification codes that expired before this go.
  std::int64_t codes_ms = 0;
  /// Most rows of each kind deleted by one call.
  std::size_t batch = 1000;
  /// Reports made before this go (0: none).
  std::int64_t reports_ms = 0;
};

/// What one purge_expired() deleted.
struct purge_counts {
  std::uint64_t sessions = 0;
  std::uint64_t refresh_tokens = 0;
  std::uint64_t codes = 0;
  /// A batch was full: more may be left.
  bool more = false;
  std::uint64_t reports = 0;
};

/// Accounts and rooms. Every method throws store_error on failure.
class account_store {
public:
  virtual ~account_store() = default;

  // -- members ----------------------------------------------------------------
  /// Returns the new id, or nullopt when the email is taken.
  virtual std::optional<std::int64_t> create_member(const member_record& m) = 0;
  virtual std::optional<member_record> member_by_email(const std::string& e)
    = 0;
  virtual std::optional<member_record> member_by_id(std::int64_t id) = 0;
  /// Changes the given fields; false when there is no such member.
  virtual bool update_member(std::int64_t id,
                             const std::optional<std::string>& name,
                             const std::optional<std::string>& nickname)
    = 0;
  /// Removes a member with their sessions, tokens, devices, avatar,
  /// memberships and blocks (theirs and those of others against them).
  virtual bool delete_member(std::int64_t id) = 0;

  // -- sessions and refresh tokens --------------------------------------------
  virtual void create_session(const session_record& s) = 0;
  /// True when the member exists and the session is theirs and not revoked.
  virtual bool session_active(const std::string& session_id,
                              std::int64_t member_id)
    = 0;
  /// Revokes the session and every refresh token of it.
  virtual void revoke_session(const std::string& session_id) = 0;
  virtual void put_refresh(const refresh_record& r) = 0;
  virtual std::optional<refresh_record> refresh_by_hash(const std::string& h)
    = 0;
  /// Marks the token used at `now_ms`; false when it was used already (a
  /// race lost).
  virtual bool use_refresh(const std::string& token_hash, std::int64_t now_ms)
    = 0;

  // -- verification codes
  // ------------------------------------------------------
  /// Replaces the code of that email.
  virtual void put_code(const code_record& c) = 0;
  virtual std::optional<code_record> code_for(const std::string& email) = 0;
  /// Counts one guess at the code of `email` whose hash is `code_hash`,
  /// before it is compared. False, with nothing counted, when that code had
  /// `max_attempts` guesses already or was replaced. Atomic in the
  /// database: parallel guesses never get past the limit.
  virtual bool count_code_attempt(const std::string& email,
                                  const std::string& code_hash,
                                  int max_attempts)
    = 0;
  /// Marks the code confirmed at `when_ms` and gives back the attempt its
  /// right guess counted (only wrong guesses use attempts up).
  virtual void confirm_code(const std::string& email,
                            const std::string& code_hash, std::int64_t when_ms)
    = 0;

  // -- devices
  // -------------------------------------------------------------------
  virtual void put_device(const device_record& d) = 0;
  /// False when the member has no such device.
  virtual bool delete_device(std::int64_t member_id, const std::string& token)
    = 0;
  virtual std::vector<device_record> devices_of(std::int64_t member_id) = 0;

  // -- rooms
  // ---------------------------------------------------------------------
  /// False when the id is taken (or was, by a deleted room). The owner
  /// becomes a member.
  virtual bool create_room(const room_record& r) = 0;
  virtual std::optional<room_record> room_by_id(const std::string& id,
                                                bool with_members)
    = 0;
  /// Page `page` (0-based) of `size` rooms among the public rooms and the
  /// private rooms `member_id` belongs to, oldest first.
  virtual std::vector<room_record>
  rooms_visible_to(std::int64_t member_id, std::size_t page, std::size_t size)
    = 0;
  /// Deletes the room with its members and history, leaving a tombstone:
  /// the id is never used again (appends to it are refused, loading it
  /// makes no new room). False when there is no such room.
  virtual bool delete_room(const std::string& id) = 0;
  /// True when added, false when already a member.
  virtual bool add_room_member(const std::string& room_id,
                               std::int64_t member_id)
    = 0;
  /// Adds member `members[i]` to room `rooms[i]` for every i, in one
  /// transaction where the store has them (one sync for a burst of first
  /// entries); returns how many were new. The vectors have equal sizes.
  virtual std::size_t
  add_room_members(const std::vector<std::string>& rooms,
                   const std::vector<std::int64_t>& members) {
    std::size_t added = 0;
    for (std::size_t i = 0; i < rooms.size() && i < members.size(); ++i)
      added += add_room_member(rooms[i], members[i]) ? 1 : 0;
    return added;
  }
  virtual bool remove_room_member(const std::string& room_id,
                                  std::int64_t member_id)
    = 0;
  virtual bool is_room_member(const std::string& room_id,
                              std::int64_t member_id)
    = 0;

  // -- avatars
  // -------------------------------------------------------------------
  /// Makes `a` the member's avatar, replacing the one before. False, with
  /// nothing stored, when there is no such member.
  virtual bool put_avatar(const avatar_record& a) = 0;
  /// The member's current avatar without its bytes, or nullopt.
  virtual std::optional<avatar_record> current_avatar(std::int64_t member_id)
    = 0;
  /// The member's avatar with its bytes when its hash is `hash`, else
  /// nullopt (a replaced avatar is gone).
  virtual std::optional<avatar_record> avatar(std::int64_t member_id,
                                              const std::string& hash)
    = 0;
  /// False when the member had none.
  virtual bool delete_avatar(std::int64_t member_id) = 0;

  // -- blocks
  // --------------------------------------------------------------------
  /// Makes `member` block `target` (since `when_ms`), unless it blocks
  /// `max` members already.
  virtual block_outcome block(std::int64_t member, std::int64_t target,
                              std::int64_t when_ms, std::size_t max)
    = 0;
  /// False when `member` did not block `target`.
  virtual bool unblock(std::int64_t member, std::int64_t target) = 0;
  /// The ids `member` blocks, ascending.
  virtual std::vector<std::int64_t> blocked_by(std::int64_t member) = 0;
  /// The members `member` blocks with their avatars, the earliest blocked
  /// first, at most `limit`.
  virtual std::vector<blocked_member> blocked_members(std::int64_t member,
                                                      std::size_t limit)
    = 0;
  /// True when `member` blocks `target`.
  virtual bool blocks(std::int64_t member, std::int64_t target) = 0;

  // -- housekeeping
  // --------------------------------------------------------------
  /// Deletes expired sessions, refresh tokens and verification codes (and
  /// reports older than `c.reports_ms`), at most `c.batch` of each, each
  /// kind in a short statement of its own.
  virtual purge_counts purge_expired(const purge_cutoffs& c) = 0;

  // -- reports
  // -------------------------------------------------------------------
  /// Stores a report; returns its id.
  virtual std::int64_t put_report(const report_record& r) = 0;
  /// The newest reports first, about `target_id` only unless it is 0, at
  /// most `limit`.
  virtual std::vector<report_record> reports(std::int64_t target_id,
                                             std::size_t limit)
    = 0;
};

} // namespace h2h
