// The store over an SQL connection (SQLite or MySQL): history.
#include "persistence/sql_store.hpp"

#include <algorithm>
#include <chrono>

#include "persistence/migrations.hpp"
#include "persistence/sql_store_impl.hpp"

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

void push_params(std::vector<value>& p, const room_event& ev) {
  p.emplace_back(ev.room_id);
  p.emplace_back(static_cast<std::int64_t>(ev.seq));
  p.emplace_back(static_cast<std::int64_t>(ev.kind));
  p.emplace_back(ev.sender);
  p.emplace_back(ev.sender_id);
  p.emplace_back(ev.text);
  p.emplace_back(ev.ts_ms);
  if (ev.client_msg_id.empty())
    p.emplace_back(nullptr);
  else
    p.emplace_back(ev.client_msg_id);
}

} // namespace

namespace detail {

void sql_store::migrate() {
  sql::migrate(*conn_);
}

std::vector<append_outcome>
sql_store::append(const std::vector<room_event>& batch) {
  std::vector<append_outcome> out;
  out.reserve(batch.size());
  for (auto& ev : batch)
    out.push_back({ev.seq, ev.ts_ms, false});
  if (batch.empty())
    return out;
  in_transaction([&] {
    auto inserted = insert_chunked(batch);
    if (inserted != batch.size())
      explain_skipped(batch, out);
  });
  return out;
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
                    "room " + room_id + " was deleted while it was loaded");
}

std::optional<room_snapshot> sql_store::find_room(const std::string& room_id,
                                                  std::size_t recent) {
  room_snapshot snap;
  {
    auto r = conn_
               ->prepare("SELECT is_private, owner_id FROM rooms"
                         " WHERE id = ?")
               .query({room_id});
    if (!r->next())
      return std::nullopt;
    snap.is_private = r->get_int(0) != 0;
    snap.owner_id = r->is_null(1) ? 0 : r->get_int(1);
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
  auto r = conn_->prepare("SELECT 1 FROM rooms WHERE id = ?").query({room_id});
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

/// Inserts in multi-row statements of 256, 64, 16, 4 and 1 rows (a few
/// prepared statements serve every batch size). Rows whose keys exist are
/// skipped; returns how many went in.
std::size_t sql_store::insert_chunked(const std::vector<room_event>& batch) {
  std::size_t inserted = 0;
  std::size_t i = 0;
  std::vector<value> params;
  for (std::size_t chunk : {256u, 64u, 16u, 4u, 1u}) {
    while (batch.size() - i >= chunk) {
      params.clear();
      params.reserve(chunk * 8);
      for (std::size_t k = 0; k < chunk; ++k)
        push_params(params, batch[i + k]);
      inserted += conn_->prepare(insert_sql(chunk)).execute(params);
      i += chunk;
    }
  }
  return inserted;
}

std::string sql_store::insert_sql(std::size_t rows) const {
  std::string s = insert_ignore() + " INTO messages (" + columns + ") VALUES ";
  for (std::size_t k = 0; k < rows; ++k)
    s += k == 0 ? "(?,?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?,?)";
  return s;
}

/// Some rows were skipped: each is either ours already (a retried commit),
/// a repeated clientMsgId (answer with the original), or a seq that another
/// writer took (a conflict: nothing of the batch is stored).
void sql_store::explain_skipped(const std::vector<room_event>& batch,
                                std::vector<append_outcome>& out) {
  auto& by_seq = conn_->prepare(
    "SELECT sender, ts_ms, body FROM messages WHERE room_id = ? AND seq = ?");
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& ev = batch[i];
    bool seq_taken = false;
    {
      auto r = by_seq.query({ev.room_id, static_cast<std::int64_t>(ev.seq)});
      if (r->next()) {
        if (r->get_text(0) == ev.sender && r->get_int(1) == ev.ts_ms
            && r->get_text(2) == ev.text)
          continue; // this very event is stored
        seq_taken = true;
      }
    }
    if (!ev.client_msg_id.empty() && !seq_taken) {
      auto r = conn_
                 ->prepare("SELECT seq, ts_ms FROM messages WHERE room_id = ?"
                           " AND sender = ? AND client_msg_id = ?")
                 .query({ev.room_id, ev.sender, ev.client_msg_id});
      if (r->next()) {
        out[i]
          = {static_cast<std::uint64_t>(r->get_int(0)), r->get_int(1), true};
        continue;
      }
    }
    throw store_error(store_failure::conflict,
                      "seq " + std::to_string(ev.seq) + " of room " + ev.room_id
                        + " is taken by another message");
  }
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
