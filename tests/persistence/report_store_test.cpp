// The store contract for reports (stored, listed newest first, by target,
// purged by age), the context query (a target's messages in shared rooms)
// and the rewrite of a deleted member's history, on SQLite and MariaDB.
#include <string>

#include "persistence/sql/migrations.hpp"
#include "store_fixture.hpp"

using namespace h2h;

namespace {

std::int64_t new_member(store& db, const std::string& email) {
  member_record m;
  m.email = email;
  m.name = "n";
  m.nickname = "nick";
  m.password_hash = "x";
  m.created_ms = 1;
  return db.create_member(m).value();
}

report_record report(std::int64_t from, std::int64_t about, std::int64_t at_ms,
                     std::string reason = "spam") {
  report_record r;
  r.reporter_id = from;
  r.target_id = about;
  r.reason = std::move(reason);
  r.created_ms = at_ms;
  r.context = "[]";
  return r;
}

room_event message(const std::string& room, std::uint64_t seq,
                   std::int64_t sender_id, std::string sender, std::string text,
                   std::string client_msg_id = {},
                   event_kind kind = event_kind::message) {
  room_event ev;
  ev.room_id = room;
  ev.seq = seq;
  ev.kind = kind;
  ev.sender = std::move(sender);
  ev.sender_id = sender_id;
  ev.text = std::move(text);
  ev.ts_ms = 1'700'000'000'000 + static_cast<std::int64_t>(seq);
  ev.client_msg_id = std::move(client_msg_id);
  return ev;
}

void append_ok(store& db, const std::vector<room_event>& events) {
  for (auto& o : db.append(events))
    ASSERT_EQ(o.status, append_status::committed);
}

} // namespace

TEST_P(store_contract, reports_are_listed_newest_first_and_by_target) {
  auto a = new_member(*db_, "a@example.com");
  auto b = new_member(*db_, "b@example.com");
  auto c = new_member(*db_, "c@example.com");
  auto first = db_->put_report(report(a, b, 1000, "first"));
  auto r = report(c, b, 2000, "zweite Meldung \xF0\x9F\x98\xA0");
  r.context = R"([{"roomId":"r1","seq":3}])";
  auto second = db_->put_report(r);
  auto third = db_->put_report(report(b, a, 3000, ""));
  EXPECT_LT(first, second);
  auto all = db_->reports(0, 10);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, third);
  EXPECT_EQ(all[2].id, first);
  auto about_b = db_->reports(b, 10);
  ASSERT_EQ(about_b.size(), 2u);
  EXPECT_EQ(about_b[0].id, second);
  EXPECT_EQ(about_b[0].reporter_id, c);
  EXPECT_EQ(about_b[0].target_id, b);
  EXPECT_EQ(about_b[0].reason, r.reason);
  EXPECT_EQ(about_b[0].context, r.context);
  EXPECT_EQ(about_b[0].created_ms, 2000);
  EXPECT_EQ(db_->reports(b, 1).size(), 1u);
  EXPECT_TRUE(db_->reports(424242, 10).empty());
}

TEST_P(store_contract, old_reports_are_purged_in_batches) {
  auto a = new_member(*db_, "a@example.com");
  auto b = new_member(*db_, "b@example.com");
  for (int i = 0; i < 5; ++i)
    db_->put_report(report(a, b, 1000 + i));
  db_->put_report(report(a, b, 9000));
  purge_cutoffs c;
  c.batch = 3;
  c.reports_ms = 5000;
  auto n = db_->purge_expired(c);
  EXPECT_EQ(n.reports, 3u);
  EXPECT_TRUE(n.more);
  n = db_->purge_expired(c);
  EXPECT_EQ(n.reports, 2u);
  auto left = db_->reports(0, 10);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].created_ms, 9000);
  c.reports_ms = 0; // no retention given: reports stay
  EXPECT_EQ(db_->purge_expired(c).reports, 0u);
}

TEST_P(store_contract, shared_messages_are_the_targets_in_shared_rooms) {
  auto a = new_member(*db_, "a@example.com");
  auto b = new_member(*db_, "b@example.com");
  for (auto room : {"both", "only-b", "both-2"})
    db_->load_room(room, 0);
  for (auto room : {"both", "both-2"}) {
    db_->add_room_member(room, a);
    db_->add_room_member(room, b);
  }
  db_->add_room_member("only-b", b);
  append_ok(*db_, {message("both", 1, b, "bob", "one"),
                   message("both", 2, a, "al", "not b's"),
                   message("both", 3, b, "bob", "", {}, event_kind::enter),
                   message("both", 4, b, "bob", "two"),
                   message("only-b", 1, b, "bob", "elsewhere"),
                   message("both-2", 5, b, "bob", "three")});
  auto got = db_->shared_messages(a, b, 10, 10);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].text, "three"); // newest first, over rooms
  EXPECT_EQ(got[1].text, "two");
  EXPECT_EQ(got[2].text, "one");
  EXPECT_EQ(got[0].room_id, "both-2");
  EXPECT_EQ(got[1].sender_id, b);
  EXPECT_EQ(db_->shared_messages(a, b, 2, 10).size(), 2u);
  EXPECT_EQ(db_->shared_messages(a, b, 10, 1).size(), 2u); // room "both"
  EXPECT_TRUE(db_->shared_messages(b, a, 10, 10).size() == 1u);
}

TEST_P(store_contract, a_deleted_members_history_gets_the_neutral_sender) {
  auto a = new_member(*db_, "a@example.com");
  auto b = new_member(*db_, "b@example.com");
  auto c = new_member(*db_, "c@example.com");
  db_->load_room("r1", 0);
  db_->load_room("r2", 0);
  // b and c both used clientMsgId "c-1" in r1: with the ids gone the rows
  // must not collide.
  append_ok(*db_, {message("r1", 1, b, "bob", "hi", "c-1"),
                   message("r1", 2, a, "al", "hello", "c-1"),
                   message("r1", 3, c, "cy", "yo", "c-1"),
                   message("r2", 1, b, "bob", "", {}, event_kind::enter)});
  for (int i = 0; i < 7; ++i)
    append_ok(*db_, {message("r2", 2 + static_cast<std::uint64_t>(i), b, "bob",
                             "m" + std::to_string(i))});
  EXPECT_EQ(db_->anonymize_sender(b, deleted_member_name, 3), 9u);
  EXPECT_EQ(db_->anonymize_sender(c, deleted_member_name, 3), 1u);
  EXPECT_EQ(db_->anonymize_sender(b, deleted_member_name, 3), 0u);
  auto r1 = db_->after("r1", 0, 10);
  ASSERT_EQ(r1.size(), 3u);
  EXPECT_EQ(r1[0].sender, "deleted member");
  EXPECT_EQ(r1[0].sender_id, 0);
  EXPECT_EQ(r1[0].client_msg_id, "");
  EXPECT_EQ(r1[0].text, "hi");
  EXPECT_EQ(r1[1].sender, "al"); // others keep theirs
  EXPECT_EQ(r1[1].sender_id, a);
  EXPECT_EQ(r1[1].client_msg_id, "c-1");
  EXPECT_EQ(r1[2].sender_id, 0);
  auto r2 = db_->after("r2", 0, 20);
  ASSERT_EQ(r2.size(), 8u);
  for (auto& ev : r2) {
    EXPECT_EQ(ev.sender, "deleted member");
    EXPECT_EQ(ev.sender_id, 0);
  }
  // A notice names its sender in its text too; a message keeps its text.
  EXPECT_EQ(r2[0].text, "deleted member entered.");
  EXPECT_EQ(r2[1].text, "m0");
  // The original's clientMsgId no longer names it: a new member (or the
  // same person after a new sign-up) may use it again.
  auto snap = db_->load_room("r1", 10);
  EXPECT_EQ(snap.recent.front().sender, "deleted member");
  append_ok(*db_, {message("r1", 4, a, "al", "again", "c-2")});
}

TEST_P(store_contract, migrations_apply_a_version_left_out_below_the_newest) {
  // Issue 19's two branches numbered 6 and 7: a database that has 7 but
  // not 6 (or any gap) gets the missing one at the next start.
  auto conn = connect_();
  conn->exec("DELETE FROM schema_migrations WHERE version = 4");
  EXPECT_EQ(sql::migrate(*conn), 1);
  EXPECT_EQ(sql::migrate(*conn), 0);
}
