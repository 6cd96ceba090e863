// The store over an SQL connection: members, sessions, refresh tokens,
// verification codes, devices and rooms, and the purge of expired ones.
#include "persistence/sql/sql_store_impl.hpp"

#include <algorithm>

namespace h2h::detail {

namespace {

constexpr const char* member_columns
  = "id, email, name, nickname, password_hash, avatar_url, created_ms";

member_record read_member(sql::rows& r) {
  member_record m;
  m.id = r.get_int(0);
  m.email = r.get_text(1);
  m.name = r.get_text(2);
  m.nickname = r.get_text(3);
  m.password_hash = r.get_text(4);
  m.avatar_url = r.get_text(5);
  m.created_ms = r.get_int(6);
  return m;
}

room_record read_room(sql::rows& r) {
  room_record x;
  x.id = r.get_text(0);
  x.name = r.get_text(1);
  x.owner_id = r.is_null(2) ? 0 : r.get_int(2);
  x.is_private = r.get_int(3) != 0;
  x.created_ms = r.get_int(4);
  return x;
}

sql::value nullable_id(std::int64_t id) {
  if (id == 0)
    return nullptr;
  return id;
}

} // namespace

// -- members
// --------------------------------------------------------------------

std::optional<std::int64_t> sql_store::create_member(const member_record& m) {
  return in_transaction([&]() -> std::optional<std::int64_t> {
    auto n = conn_
               ->prepare(insert_ignore()
                         + " INTO members (email, name, nickname,"
                           " password_hash, avatar_url, created_ms)"
                           " VALUES (?, ?, ?, ?, ?, ?)")
               .execute({m.email, m.name, m.nickname, m.password_hash,
                         m.avatar_url, m.created_ms});
    if (n == 0)
      return std::nullopt;
    return conn_->last_insert_id();
  });
}

std::optional<member_record> sql_store::member_by_email(const std::string& e) {
  auto r = conn_
             ->prepare(std::string{"SELECT "} + member_columns
                       + " FROM members WHERE email = ?")
             .query({e});
  if (!r->next())
    return std::nullopt;
  return read_member(*r);
}

std::optional<member_record> sql_store::member_by_id(std::int64_t id) {
  auto r = conn_
             ->prepare(std::string{"SELECT "} + member_columns
                       + " FROM members WHERE id = ?")
             .query({id});
  if (!r->next())
    return std::nullopt;
  return read_member(*r);
}

bool sql_store::update_member(std::int64_t id,
                              const std::optional<std::string>& name,
                              const std::optional<std::string>& nickname) {
  if (!member_by_id(id))
    return false;
  if (name)
    conn_->prepare("UPDATE members SET name = ? WHERE id = ?")
      .execute({*name, id});
  if (nickname)
    conn_->prepare("UPDATE members SET nickname = ? WHERE id = ?")
      .execute({*nickname, id});
  return true;
}

bool sql_store::delete_member(std::int64_t id) {
  return in_transaction([&] {
    auto n = conn_->prepare("DELETE FROM members WHERE id = ?").execute({id});
    conn_->prepare("DELETE FROM sessions WHERE member_id = ?").execute({id});
    conn_->prepare("DELETE FROM refresh_tokens WHERE member_id = ?")
      .execute({id});
    conn_->prepare("DELETE FROM devices WHERE member_id = ?").execute({id});
    conn_->prepare("DELETE FROM avatars WHERE member_id = ?").execute({id});
    conn_->prepare("DELETE FROM room_members WHERE member_id = ?")
      .execute({id});
    conn_->prepare("DELETE FROM blocks WHERE member_id = ?").execute({id});
    conn_->prepare("DELETE FROM blocks WHERE target_id = ?").execute({id});
    return n > 0;
  });
}

// -- sessions and refresh tokens
// --------------------------------------------------

void sql_store::create_session(const session_record& s) {
  conn_
    ->prepare("INSERT INTO sessions (id, member_id, created_ms, revoked)"
              " VALUES (?, ?, ?, 0)")
    .execute({s.id, s.member_id, s.created_ms});
}

bool sql_store::session_active(const std::string& session_id,
                               std::int64_t member_id) {
  auto r = conn_
             ->prepare("SELECT 1 FROM sessions s JOIN members m"
                       " ON m.id = s.member_id WHERE s.id = ?"
                       " AND s.member_id = ? AND s.revoked = 0")
             .query({session_id, member_id});
  return r->next();
}

void sql_store::revoke_session(const std::string& session_id) {
  in_transaction([&] {
    conn_->prepare("UPDATE sessions SET revoked = 1 WHERE id = ?")
      .execute({session_id});
    conn_->prepare("UPDATE refresh_tokens SET used = 1 WHERE session_id = ?")
      .execute({session_id});
  });
}

void sql_store::put_refresh(const refresh_record& r) {
  conn_
    ->prepare("INSERT INTO refresh_tokens (token_hash, member_id, session_id,"
              " expires_ms, used) VALUES (?, ?, ?, ?, ?)")
    .execute({r.token_hash, r.member_id, r.session_id, r.expires_ms,
              std::int64_t{r.used ? 1 : 0}});
}

std::optional<refresh_record> sql_store::refresh_by_hash(const std::string& h) {
  auto r = conn_
             ->prepare("SELECT token_hash, member_id, session_id, expires_ms,"
                       " used, used_ms FROM refresh_tokens"
                       " WHERE token_hash = ?")
             .query({h});
  if (!r->next())
    return std::nullopt;
  refresh_record x;
  x.token_hash = r->get_text(0);
  x.member_id = r->get_int(1);
  x.session_id = r->get_text(2);
  x.expires_ms = r->get_int(3);
  x.used = r->get_int(4) != 0;
  x.used_ms = r->get_int(5);
  return x;
}

bool sql_store::use_refresh(const std::string& token_hash,
                            std::int64_t now_ms) {
  // Only one of two concurrent reissues with the same token wins.
  return conn_
           ->prepare("UPDATE refresh_tokens SET used = 1, used_ms = ?"
                     " WHERE token_hash = ? AND used = 0")
           .execute({now_ms, token_hash})
         == 1;
}

// -- verification codes
// ------------------------------------------------------------

void sql_store::put_code(const code_record& c) {
  in_transaction([&] {
    conn_->prepare("DELETE FROM verification_codes WHERE email = ?")
      .execute({c.email});
    conn_
      ->prepare("INSERT INTO verification_codes (email, code_hash, expires_ms,"
                " attempts, confirmed_ms) VALUES (?, ?, ?, ?, ?)")
      .execute({c.email, c.code_hash, c.expires_ms, std::int64_t{c.attempts},
                c.confirmed_ms});
  });
}

std::optional<code_record> sql_store::code_for(const std::string& email) {
  auto r = conn_
             ->prepare("SELECT email, code_hash, expires_ms, attempts,"
                       " confirmed_ms FROM verification_codes WHERE email = ?")
             .query({email});
  if (!r->next())
    return std::nullopt;
  code_record c;
  c.email = r->get_text(0);
  c.code_hash = r->get_text(1);
  c.expires_ms = r->get_int(2);
  c.attempts = static_cast<int>(r->get_int(3));
  c.confirmed_ms = r->get_int(4);
  return c;
}

bool sql_store::count_code_attempt(const std::string& email,
                                   const std::string& code_hash,
                                   int max_attempts) {
  // One statement: the check and the count cannot be split by a parallel
  // guess (each sees the count the others left).
  return conn_
           ->prepare("UPDATE verification_codes SET attempts = attempts + 1"
                     " WHERE email = ? AND code_hash = ? AND attempts < ?")
           .execute({email, code_hash, std::int64_t{max_attempts}})
         == 1;
}

void sql_store::confirm_code(const std::string& email,
                             const std::string& code_hash,
                             std::int64_t when_ms) {
  conn_
    ->prepare("UPDATE verification_codes SET confirmed_ms = ?,"
              " attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END"
              " WHERE email = ? AND code_hash = ?")
    .execute({when_ms, email, code_hash});
}

// -- devices
// --------------------------------------------------------------------------

void sql_store::put_device(const device_record& d) {
  in_transaction([&] {
    // A registration token belongs to one member: the latest to claim it.
    conn_->prepare("DELETE FROM devices WHERE token = ?").execute({d.token});
    conn_
      ->prepare("INSERT INTO devices (token, member_id, platform, created_ms)"
                " VALUES (?, ?, ?, ?)")
      .execute({d.token, d.member_id, d.platform, now_ms()});
  });
}

bool sql_store::delete_device(std::int64_t member_id,
                              const std::string& token) {
  return conn_->prepare("DELETE FROM devices WHERE member_id = ? AND token = ?")
           .execute({member_id, token})
         > 0;
}

std::vector<device_record> sql_store::devices_of(std::int64_t member_id) {
  auto r = conn_
             ->prepare("SELECT token, member_id, platform FROM devices"
                       " WHERE member_id = ? ORDER BY created_ms")
             .query({member_id});
  std::vector<device_record> out;
  while (r->next())
    out.push_back({r->get_text(0), r->get_int(1), r->get_text(2)});
  return out;
}

// -- rooms
// ----------------------------------------------------------------------------

bool sql_store::create_room(const room_record& x) {
  return in_transaction([&] {
    auto n = conn_
               ->prepare(insert_ignore()
                         + " INTO rooms (id, name, owner_id, is_private,"
                           " created_ms) VALUES (?, ?, ?, ?, ?)")
               .execute({x.id, x.name, nullable_id(x.owner_id),
                         std::int64_t{x.is_private ? 1 : 0}, x.created_ms});
    if (n == 0)
      return false;
    if (x.owner_id != 0)
      conn_
        ->prepare("INSERT INTO room_members (room_id, member_id, joined_ms)"
                  " VALUES (?, ?, ?)")
        .execute({x.id, x.owner_id, x.created_ms});
    return true;
  });
}

std::optional<room_record> sql_store::room_by_id(const std::string& id,
                                                 bool with_members) {
  auto r = conn_
             ->prepare("SELECT id, name, owner_id, is_private, created_ms"
                       " FROM rooms WHERE id = ? AND deleted_ms IS NULL")
             .query({id});
  if (!r->next())
    return std::nullopt;
  auto x = read_room(*r);
  r.reset();
  if (with_members)
    x.members = room_members(id);
  return x;
}

std::vector<room_record> sql_store::rooms_visible_to(std::int64_t member_id,
                                                     std::size_t page,
                                                     std::size_t size) {
  auto r = conn_
             ->prepare("SELECT id, name, owner_id, is_private, created_ms"
                       " FROM rooms WHERE deleted_ms IS NULL AND"
                       " (is_private = 0 OR id IN"
                       " (SELECT room_id FROM room_members"
                       " WHERE member_id = ?))"
                       " ORDER BY created_ms, id LIMIT ? OFFSET ?")
             .query({member_id, static_cast<std::int64_t>(size),
                     static_cast<std::int64_t>(page * size)});
  std::vector<room_record> out;
  while (r->next())
    out.push_back(read_room(*r));
  return out;
}

/// The row stays as a tombstone: appends check it in their transaction
/// (sql_append.cpp) and INSERTs of the id find it taken, so neither queued
/// appends nor a later ENTER bring the room back. The row is updated first
/// so that on MySQL appends in flight finish (or wait) before history goes.
bool sql_store::delete_room(const std::string& id) {
  return in_transaction([&] {
    auto n = conn_
               ->prepare("UPDATE rooms SET deleted_ms = ?"
                         " WHERE id = ? AND deleted_ms IS NULL")
               .execute({now_ms(), id});
    if (n == 0)
      return false;
    conn_->prepare("DELETE FROM room_members WHERE room_id = ?").execute({id});
    conn_->prepare("DELETE FROM messages WHERE room_id = ?").execute({id});
    return true;
  });
}

bool sql_store::add_room_member(const std::string& room_id,
                                std::int64_t member_id) {
  return conn_
           ->prepare(insert_ignore()
                     + " INTO room_members (room_id, member_id, joined_ms)"
                       " VALUES (?, ?, ?)")
           .execute({room_id, member_id, now_ms()})
         > 0;
}

std::size_t
sql_store::add_room_members(const std::vector<std::string>& rooms,
                            const std::vector<std::int64_t>& members) {
  return in_transaction([&] {
    std::size_t added = 0;
    for (std::size_t i = 0; i < rooms.size() && i < members.size(); ++i)
      added += add_room_member(rooms[i], members[i]) ? 1 : 0;
    return added;
  });
}

bool sql_store::remove_room_member(const std::string& room_id,
                                   std::int64_t member_id) {
  return conn_
           ->prepare("DELETE FROM room_members WHERE room_id = ?"
                     " AND member_id = ?")
           .execute({room_id, member_id})
         > 0;
}

bool sql_store::is_room_member(const std::string& room_id,
                               std::int64_t member_id) {
  auto r = conn_
             ->prepare("SELECT 1 FROM room_members WHERE room_id = ?"
                       " AND member_id = ?")
             .query({room_id, member_id});
  return r->next();
}

// -- housekeeping
// ------------------------------------------------------------------

purge_counts sql_store::purge_expired(const purge_cutoffs& c) {
  // Each kind in one short autocommit statement of at most `batch` rows, so
  // that a purge never holds locks for long. MySQL cannot LIMIT a subquery
  // of IN, SQLite (as Debian builds it) cannot LIMIT a DELETE.
  auto limit = std::to_string(std::max<std::size_t>(c.batch, 1));
  auto bounded = [&](const std::string& table, const std::string& key,
                     const std::string& where) {
    if (mysql())
      return "DELETE FROM " + table + " WHERE " + where + " LIMIT " + limit;
    return "DELETE FROM " + table + " WHERE " + key + " IN (SELECT " + key
           + " FROM " + table + " WHERE " + where + " LIMIT " + limit + ")";
  };
  purge_counts out;
  out.refresh_tokens
    = conn_->prepare(bounded("refresh_tokens", "token_hash", "expires_ms < ?"))
        .execute({c.tokens_ms});
  // Every access token comes with a refresh token that expires no sooner
  // after its issue than the cut-off's margin: a session with no refresh
  // token left at the cut-off has no live access token either.
  out.sessions
    = conn_
        ->prepare(bounded("sessions", "id",
                          "revoked = 1 OR (created_ms < ? AND NOT EXISTS"
                          " (SELECT 1 FROM refresh_tokens r"
                          " WHERE r.session_id = sessions.id"
                          " AND r.expires_ms >= ?))"))
        .execute({c.tokens_ms, c.tokens_ms});
  out.codes
    = conn_->prepare(bounded("verification_codes", "email", "expires_ms < ?"))
        .execute({c.codes_ms});
  if (c.reports_ms > 0)
    out.reports = conn_->prepare(bounded("reports", "id", "created_ms < ?"))
                    .execute({c.reports_ms});
  auto full = static_cast<std::uint64_t>(std::max<std::size_t>(c.batch, 1));
  out.more = out.refresh_tokens >= full || out.sessions >= full
             || out.codes >= full || out.reports >= full;
  return out;
}

} // namespace h2h::detail
