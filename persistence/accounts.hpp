// Records and the store interface for members, sessions, verification
// codes, devices and rooms (the REST side of h2h).
#pragma once

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
  /// Removes a member with their sessions, tokens, devices and memberships.
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
  /// Marks the token used; false when it was used already (a race lost).
  virtual bool use_refresh(const std::string& token_hash) = 0;

  // -- verification codes
  // ------------------------------------------------------
  /// Replaces the code of that email.
  virtual void put_code(const code_record& c) = 0;
  virtual std::optional<code_record> code_for(const std::string& email) = 0;
  virtual void update_code(const code_record& c) = 0;

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
  /// Public rooms and the private rooms `member_id` belongs to.
  virtual std::vector<room_record> rooms_visible_to(std::int64_t member_id) = 0;
  /// Deletes the room with its members and history, leaving a tombstone:
  /// the id is never used again (appends to it are refused, loading it
  /// makes no new room). False when there is no such room.
  virtual bool delete_room(const std::string& id) = 0;
  /// True when added, false when already a member.
  virtual bool add_room_member(const std::string& room_id,
                               std::int64_t member_id)
    = 0;
  virtual bool remove_room_member(const std::string& room_id,
                                  std::int64_t member_id)
    = 0;
  virtual bool is_room_member(const std::string& room_id,
                              std::int64_t member_id)
    = 0;
};

} // namespace h2h
