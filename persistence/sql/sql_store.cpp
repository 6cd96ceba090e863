// The store over an SQL connection (SQLite or MySQL): history.
#include "persistence/sql/sql_store.hpp"

#include <algorithm>
#include <chrono>

#include "persistence/sql/migrations.hpp"
#include "persistence/sql/sql_store_impl.hpp"

namespace h2h {

namespace {

using sql::value;

constexpr const char* columns
  = "room_id, seq, kind, sender, sender_id, body, ts_ms, client_msg_id";

room_event read_event(sql::rows& r) {
  room_event ev;
  ev.room_id = r.get_text(0);
  ev.seq = static_cast<std::uint64_t>(r.get_int(1));
  ev.kind = static_cast<event_kind>(r.get_int(2));
  ev.sender = r.get_text(3);
  ev.sender_id = r.get_int(4);
  ev.text = r.get_text(5);
  ev.ts_ms = r.get_int(6);
  if (!r.is_null(7))
    ev.client_msg_id = r.get_text(7);
  return ev;
}

std::vector<room_event> read_all(sql::rows& r) {
  std::vector<room_event> out;
  while (r.next())
    out.push_back(read_event(r));
  return out;
}

} // namespace

namespace detail {

void sql_store::migrate() {
  sql::migrate(*conn_);
}

room_snapshot sql_store::load_room(const std::string& room_id,
                                   std::size_t recent) {
  conn_
    ->prepare(insert_ignore()
              + " INTO rooms (id, name, owner_id, is_private, created_ms)"
                " VALUES (?, ?, NULL, 0, ?)")
    .execute({room_id, room_id, now_ms()});
  if (auto snap = find_room(room_id, recent))
    return std::move(*snap);
  throw store_error(store_failure::unavailable,
                    "room " + room_id + " could not be created");
}

std::optional<room_snapshot> sql_store::find_room(const std::string& room_id,
                                                  std::size_t recent) {
  room_snapshot snap;
  {
    // A deleted room keeps its row (the tombstone), so the INSERT above
    // never brings its id back.
    auto r = conn_
               ->prepare("SELECT is_private, owner_id, deleted_ms FROM rooms"
                         " WHERE id = ?")
               .query({room_id});
    if (!r->next())
      return std::nullopt;
    snap.is_private = r->get_int(0) != 0;
    snap.owner_id = r->is_null(1) ? 0 : r->get_int(1);
    snap.deleted = !r->is_null(2);
  }
  if (snap.deleted) {
    room_snapshot gone;
    gone.deleted = true;
    return gone;
  }
  if (snap.is_private)
    snap.members = room_members(room_id);
  if (recent > 0) {
    auto r = conn_
               ->prepare(std::string{"SELECT "} + columns
                         + " FROM messages WHERE room_id = ?"
                           " ORDER BY seq DESC LIMIT ?")
               .query({room_id, static_cast<std::int64_t>(recent)});
    snap.recent = read_all(*r);
    std::reverse(snap.recent.begin(), snap.recent.end());
  }
  if (!snap.recent.empty()) {
    snap.last_seq = snap.recent.back().seq;
  } else {
    auto r = conn_->prepare("SELECT MAX(seq) FROM messages WHERE room_id = ?")
               .query({room_id});
    if (r->next() && !r->is_null(0))
      snap.last_seq = static_cast<std::uint64_t>(r->get_int(0));
  }
  return snap;
}

bool sql_store::room_exists(const std::string& room_id) {
  auto r
    = conn_->prepare("SELECT 1 FROM rooms WHERE id = ? AND deleted_ms IS NULL")
        .query({room_id});
  return r->next();
}

std::vector<room_event> sql_store::after(const std::string& room_id,
                                         std::uint64_t seq, std::size_t limit) {
  auto r = conn_
             ->prepare(std::string{"SELECT "} + columns
                       + " FROM messages WHERE room_id = ? AND seq > ?"
                         " ORDER BY seq ASC LIMIT ?")
             .query({room_id, static_cast<std::int64_t>(seq),
                     static_cast<std::int64_t>(limit)});
  return read_all(*r);
}

std::vector<room_event> sql_store::before(const std::string& room_id,
                                          std::uint64_t seq,
                                          std::size_t limit) {
  auto r = conn_
             ->prepare(std::string{"SELECT "} + columns
                       + " FROM messages WHERE room_id = ? AND seq < ?"
                         " ORDER BY seq DESC LIMIT ?")
             .query({room_id, static_cast<std::int64_t>(seq),
                     static_cast<std::int64_t>(limit)});
  return read_all(*r);
}

std::vector<room_event> sql_store::page(const std::string& room_id,
                                        std::size_t page, std::size_t size) {
  auto r = conn_
             ->prepare(std::string{"SELECT "} + columns
                       + " FROM messages WHERE room_id = ?"
                         " ORDER BY seq ASC LIMIT ? OFFSET ?")
             .query({room_id, static_cast<std::int64_t>(size),
                     static_cast<std::int64_t>(page * size)});
  return read_all(*r);
}

void sql_store::ping() {
  auto r = conn_->prepare("SELECT 1").query({});
  r->next();
}

std::vector<std::int64_t> sql_store::room_members(const std::string& room_id) {
  auto r = conn_
             ->prepare("SELECT member_id FROM room_members WHERE room_id = ?"
                       " ORDER BY member_id")
             .query({room_id});
  std::vector<std::int64_t> out;
  while (r->next())
    out.push_back(r->get_int(0));
  return out;
}
} // namespace detail

std::unique_ptr<store> make_sql_store(std::unique_ptr<sql::connection> conn) {
  return std::make_unique<detail::sql_store>(std::move(conn));
}

store_factory make_store_factory(const std::string& kind,
                                 const std::string& sqlite_path,
                                 const std::string& mysql_url) {
  if (kind == "mysql") {
    sql::mysql_target target;
    std::string problem;
    if (!sql::parse_mysql_url(mysql_url, target, problem))
      throw store_error(store_failure::fatal, "store.mysql_url: " + problem);
    return [target] { return make_sql_store(sql::open_mysql(target)); };
  }
  return
    [sqlite_path] { return make_sql_store(sql::open_sqlite(sqlite_path)); };
}

} // namespace h2h
