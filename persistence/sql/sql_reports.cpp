// The store over an SQL connection: members' reports (table `reports`), the
// context a report copies (a target's messages in shared rooms), and the
// rewrite of a deleted member's messages to a neutral sender.
#include "persistence/sql/sql_store_impl.hpp"

#include <algorithm>
#include <tuple>

namespace h2h::detail {

namespace {

report_record read_report(sql::rows& r) {
  report_record x;
  x.id = r.get_int(0);
  x.reporter_id = r.get_int(1);
  x.target_id = r.get_int(2);
  x.reason = r.get_text(3);
  x.context = r.get_text(4);
  x.created_ms = r.get_int(5);
  return x;
}

constexpr const char* report_columns
  = "id, reporter_id, target_id, reason, context, created_ms";

} // namespace

std::int64_t sql_store::put_report(const report_record& r) {
  return in_transaction([&] {
    conn_
      ->prepare("INSERT INTO reports (reporter_id, target_id, reason, context,"
                " created_ms) VALUES (?, ?, ?, ?, ?)")
      .execute({r.reporter_id, r.target_id, r.reason, r.context, r.created_ms});
    return conn_->last_insert_id();
  });
}

std::vector<report_record> sql_store::reports(std::int64_t target_id,
                                              std::size_t limit) {
  auto n = static_cast<std::int64_t>(limit);
  auto r = target_id == 0
             ? conn_
                 ->prepare(std::string{"SELECT "} + report_columns
                           + " FROM reports ORDER BY id DESC LIMIT ?")
                 .query({n})
             : conn_
                 ->prepare(std::string{"SELECT "} + report_columns
                           + " FROM reports WHERE target_id = ?"
                             " ORDER BY id DESC LIMIT ?")
                 .query({target_id, n});
  std::vector<report_record> out;
  while (r->next())
    out.push_back(read_report(*r));
  return out;
}

std::vector<room_event> sql_store::shared_messages(std::int64_t member,
                                                   std::int64_t target,
                                                   std::size_t limit,
                                                   std::size_t rooms_max) {
  std::vector<std::string> rooms;
  {
    auto r = conn_
               ->prepare("SELECT a.room_id FROM room_members a"
                         " JOIN room_members b ON b.room_id = a.room_id"
                         " AND b.member_id = ? WHERE a.member_id = ?"
                         " ORDER BY a.room_id LIMIT ?")
               .query({target, member, static_cast<std::int64_t>(rooms_max)});
    while (r->next())
      rooms.push_back(r->get_text(0));
  }
  std::vector<room_event> out;
  for (auto& room : rooms) {
    // (room_id, sender_id, ...) is an index: each room is a short probe.
    auto r = conn_
               ->prepare("SELECT seq, kind, sender, body, ts_ms FROM messages"
                         " WHERE room_id = ? AND sender_id = ? AND kind = 0"
                         " ORDER BY seq DESC LIMIT ?")
               .query({room, target, static_cast<std::int64_t>(limit)});
    while (r->next()) {
      room_event ev;
      ev.room_id = room;
      ev.seq = static_cast<std::uint64_t>(r->get_int(0));
      ev.kind = static_cast<event_kind>(r->get_int(1));
      ev.sender = r->get_text(2);
      ev.sender_id = target;
      ev.text = r->get_text(3);
      ev.ts_ms = r->get_int(4);
      out.push_back(std::move(ev));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return std::tie(x.ts_ms, x.room_id, x.seq)
           > std::tie(y.ts_ms, y.room_id, y.seq);
  });
  if (out.size() > limit)
    out.resize(limit);
  return out;
}

/// Room by room, through the (room_id, sender_id, ...) index: no index on
/// sender_id alone (it would cost every append), and no statement scans
/// the whole table or holds its locks for long.
std::uint64_t sql_store::anonymize_sender(std::int64_t member_id,
                                          const std::string& name,
                                          std::size_t batch) {
  auto n = static_cast<std::int64_t>(std::max<std::size_t>(batch, 1));
  // sender_key is the name for rows without a member id (migration 3);
  // with no clientMsgId the rows never collide in messages_client_key.
  // ENTER and EXIT notices name their sender in their text too.
  std::string set = "UPDATE messages SET sender = ?, sender_key = ?,"
                    " sender_id = 0, client_msg_id = NULL,"
                    " body = CASE kind WHEN 1 THEN ? WHEN 2 THEN ?"
                    " ELSE body END";
  auto update = mysql() ? set + " WHERE room_id = ? AND sender_id = ? LIMIT ?"
                        : set
                            + " WHERE room_id = ? AND seq IN (SELECT seq FROM"
                              " messages WHERE room_id = ? AND sender_id = ?"
                              " LIMIT ?)";
  auto entered = notice_text(event_kind::enter, name);
  auto left = notice_text(event_kind::exit, name);
  std::uint64_t total = 0;
  std::string after;
  for (;;) {
    std::vector<std::string> rooms;
    {
      auto r = conn_
                 ->prepare("SELECT id FROM rooms WHERE id > ?"
                           " ORDER BY id LIMIT 500")
                 .query({after});
      while (r->next())
        rooms.push_back(r->get_text(0));
    }
    if (rooms.empty())
      return total;
    after = rooms.back();
    for (auto& room : rooms)
      for (;;) {
        auto changed
          = mysql() ? conn_->prepare(update).execute(
              {name, name, entered, left, room, member_id, n})
                    : conn_->prepare(update).execute(
                      {name, name, entered, left, room, room, member_id, n});
        total += changed;
        if (changed < static_cast<std::uint64_t>(n))
          break;
      }
  }
}

} // namespace h2h::detail
