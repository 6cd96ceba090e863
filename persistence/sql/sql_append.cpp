// The store over an SQL connection: appending room events, with one outcome
// per event (committed, duplicate, conflict, room deleted, unstorable).
#include <string_view>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "persistence/sql/sql_store_impl.hpp"

namespace h2h::detail {

namespace {

using sql::value;

constexpr const char* insert_columns
  = "room_id, seq, kind, sender, sender_id,"
    " sender_key, body, ts_ms, client_msg_id";

/// The sender part of the clientMsgId key: an authenticated sender is its
/// member id alone (display names are not unique and can be changed); only
/// in trusted mode (member id 0) does the name count.
std::string sender_key(const room_event& ev) {
  return ev.sender_id == 0 ? ev.sender : std::string{};
}

void push_params(std::vector<value>& p, const room_event& ev) {
  p.emplace_back(ev.room_id);
  p.emplace_back(static_cast<std::int64_t>(ev.seq));
  p.emplace_back(static_cast<std::int64_t>(ev.kind));
  p.emplace_back(ev.sender);
  p.emplace_back(ev.sender_id);
  p.emplace_back(sender_key(ev));
  p.emplace_back(ev.text);
  p.emplace_back(ev.ts_ms);
  if (ev.client_msg_id.empty())
    p.emplace_back(nullptr);
  else
    p.emplace_back(ev.client_msg_id);
}

/// Most bytes of values one INSERT carries: far below MySQL's
/// max_allowed_packet (16 MB on MariaDB, 64 MB on MySQL 8 by default),
/// which 256 of the longest messages (64 KB each) would pass.
constexpr std::size_t statement_bytes_max = 4 * 1024 * 1024;

/// About the bytes an event adds to a statement.
std::size_t bytes_of(const room_event& ev) {
  return ev.room_id.size() + ev.sender.size() * 2 + ev.text.size()
         + ev.client_msg_id.size() + 64;
}

/// Characters of UTF-8 text (what MySQL's VARCHAR lengths count).
std::size_t chars(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    n += (c & 0xC0) != 0x80;
  return n;
}

/// Whether every value fits its column (the MySQL schema: VARCHAR(64) in
/// characters, TEXT in 65,535 bytes). Both stores check it here, before
/// the insert, so that they refuse the same events; MySQL's strict mode
/// stays behind it.
bool fits_columns(const room_event& ev) {
  constexpr std::size_t id_chars = 64;
  constexpr std::size_t body_bytes = 65535;
  return chars(ev.room_id) <= id_chars && chars(ev.sender) <= id_chars
         && chars(ev.client_msg_id) <= id_chars && ev.text.size() <= body_bytes;
}

/// "(?,?)" groups for an IN list of `n` values.
std::string placeholders(std::size_t n) {
  std::string s = "(";
  for (std::size_t k = 0; k < n; ++k)
    s += k == 0 ? "?" : ",?";
  return s + ")";
}

} // namespace

std::vector<append_outcome>
sql_store::append(const std::vector<room_event>& batch) {
  std::vector<append_outcome> out;
  out.reserve(batch.size());
  for (auto& ev : batch)
    out.push_back({ev.seq, ev.ts_ms, append_status::committed});
  if (!batch.empty())
    append_isolating(batch, 0, batch.size(), out);
  return out;
}

/// Appends [first, last) in one transaction. When a value of some event
/// cannot be stored, the range is halved until each such event stands
/// alone and is refused: a few more transactions, on this rare path only.
/// Halves that committed stay committed; a retry of the whole batch later
/// finds them stored (explain_skipped) and says so.
void sql_store::append_isolating(const std::vector<room_event>& batch,
                                 std::size_t first, std::size_t last,
                                 std::vector<append_outcome>& out) {
  try {
    in_transaction([&] { append_range(batch, first, last, out); });
  } catch (const store_error& e) {
    if (e.kind() != store_failure::permanent)
      throw;
    if (last - first == 1) {
      auto& ev = batch[first];
      spdlog::warn("store: seq {} of room {} cannot be stored: {}", ev.seq,
                   ev.room_id, e.what());
      out[first].status = append_status::unstorable;
      return;
    }
    auto mid = first + (last - first) / 2;
    append_isolating(batch, first, mid, out);
    append_isolating(batch, mid, last, out);
  }
}

void sql_store::append_range(const std::vector<room_event>& batch,
                             std::size_t first, std::size_t last,
                             std::vector<append_outcome>& out) {
  // Outcomes of an earlier, rolled back attempt at this range are void.
  for (auto i = first; i < last; ++i)
    out[i] = {batch[i].seq, batch[i].ts_ms, append_status::committed};
  auto gone = deleted_rooms(batch, first, last);
  std::vector<std::size_t> rows;
  rows.reserve(last - first);
  for (auto i = first; i < last; ++i) {
    if (gone.count(batch[i].room_id) > 0)
      out[i].status = append_status::room_deleted;
    else if (!fits_columns(batch[i])) {
      spdlog::warn("store: seq {} of room {} cannot be stored: a value is "
                   "longer than its column",
                   batch[i].seq, batch[i].room_id);
      out[i].status = append_status::unstorable;
    } else
      rows.push_back(i);
  }
  if (rows.empty())
    return;
  if (insert_chunked(batch, rows) != rows.size())
    explain_skipped(batch, rows, out);
}

/// The rooms of [first, last) that were deleted. On MySQL the rows are read
/// with a shared lock: a deletion (an UPDATE of the row) waits for this
/// transaction, and this one sees a deletion that committed before. SQLite
/// runs one writer at a time (BEGIN IMMEDIATE) anyway.
std::unordered_set<std::string>
sql_store::deleted_rooms(const std::vector<room_event>& batch,
                         std::size_t first, std::size_t last) {
  std::vector<std::string> ids;
  {
    std::unordered_set<std::string> seen;
    for (auto i = first; i < last; ++i)
      if (seen.insert(batch[i].room_id).second)
        ids.push_back(batch[i].room_id);
  }
  std::unordered_set<std::string> gone;
  std::size_t i = 0;
  std::vector<value> params;
  for (std::size_t chunk : {64u, 16u, 4u, 1u}) {
    while (ids.size() - i >= chunk) {
      params.assign(ids.begin() + static_cast<std::ptrdiff_t>(i),
                    ids.begin() + static_cast<std::ptrdiff_t>(i + chunk));
      auto r = conn_
                 ->prepare("SELECT id, deleted_ms FROM rooms WHERE id IN "
                           + placeholders(chunk)
                           + (mysql() ? " LOCK IN SHARE MODE" : ""))
                 .query(params);
      while (r->next())
        if (!r->is_null(1))
          gone.insert(r->get_text(0));
      i += chunk;
    }
  }
  return gone;
}

/// Inserts in multi-row statements of 256, 64, 16, 4 and 1 rows (a few
/// prepared statements serve every batch size), each the largest that
/// fits the rows left and statement_bytes_max. Rows whose keys exist are
/// skipped; returns how many went in.
std::size_t sql_store::insert_chunked(const std::vector<room_event>& batch,
                                      const std::vector<std::size_t>& rows) {
  // bytes[k] = bytes of rows [0, k)
  std::vector<std::size_t> bytes(rows.size() + 1, 0);
  for (std::size_t k = 0; k < rows.size(); ++k)
    bytes[k + 1] = bytes[k] + bytes_of(batch[rows[k]]);
  std::size_t inserted = 0;
  std::vector<value> params;
  for (std::size_t i = 0; i < rows.size();) {
    std::size_t chunk = 1;
    for (std::size_t c : {256u, 64u, 16u, 4u}) {
      if (rows.size() - i >= c
          && bytes[i + c] - bytes[i] <= statement_bytes_max) {
        chunk = c;
        break;
      }
    }
    params.clear();
    params.reserve(chunk * 9);
    for (std::size_t k = 0; k < chunk; ++k)
      push_params(params, batch[rows[i + k]]);
    inserted += conn_->prepare(insert_sql(chunk)).execute(params);
    i += chunk;
  }
  return inserted;
}

/// Skips rows whose keys exist. MySQL's INSERT IGNORE would also turn a
/// value that does not fit into a warning and store it cut: the no-op
/// ON DUPLICATE KEY UPDATE ignores taken keys only (0 rows changed).
std::string sql_store::insert_sql(std::size_t rows) const {
  std::string s = mysql() ? "INSERT" : "INSERT OR IGNORE";
  s += " INTO messages (";
  s += insert_columns;
  s += ") VALUES ";
  for (std::size_t k = 0; k < rows; ++k)
    s += k == 0 ? "(?,?,?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?,?,?)";
  if (mysql())
    s += " ON DUPLICATE KEY UPDATE seq = seq";
  return s;
}

/// Some rows were skipped: each is either ours already (a retried commit),
/// a repeated clientMsgId (answer with the original), or a seq that another
/// writer took (a conflict: that event alone is not stored).
void sql_store::explain_skipped(const std::vector<room_event>& batch,
                                const std::vector<std::size_t>& rows,
                                std::vector<append_outcome>& out) {
  auto& by_seq = conn_->prepare("SELECT sender, sender_id, ts_ms, body"
                                " FROM messages WHERE room_id = ? AND seq = ?");
  for (auto i : rows) {
    auto& ev = batch[i];
    bool seq_taken = false;
    {
      auto r = by_seq.query({ev.room_id, static_cast<std::int64_t>(ev.seq)});
      if (r->next()) {
        if (r->get_text(0) == ev.sender && r->get_int(1) == ev.sender_id
            && r->get_int(2) == ev.ts_ms && r->get_text(3) == ev.text)
          continue; // this very event is stored
        seq_taken = true;
      }
    }
    if (!ev.client_msg_id.empty() && !seq_taken) {
      auto r = conn_
                 ->prepare("SELECT seq, ts_ms FROM messages WHERE room_id = ?"
                           " AND sender_id = ? AND sender_key = ?"
                           " AND client_msg_id = ?")
                 .query({ev.room_id, ev.sender_id, sender_key(ev),
                         ev.client_msg_id});
      if (r->next()) {
        out[i] = {static_cast<std::uint64_t>(r->get_int(0)), r->get_int(1),
                  append_status::duplicate};
        continue;
      }
    }
    if (!seq_taken)
      throw store_error(store_failure::fatal,
                        "seq " + std::to_string(ev.seq) + " of room "
                          + ev.room_id + " was skipped for no known reason");
    out[i].status = append_status::conflict;
  }
}

} // namespace h2h::detail
