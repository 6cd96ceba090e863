// The store contract: the same cases against SQLite and a real MariaDB.
// MariaDB comes from H2H_TEST_MYSQL_URL (scripts/test-all.sh starts one);
// each test gets a database of its own.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "persistence/sql/migrations.hpp"
#include "persistence/sql/sql.hpp"
#include "persistence/sql/sql_store.hpp"
#include "store_fixture.hpp"

using namespace h2h;

namespace {

room_event make(const std::string& room, std::uint64_t seq,
                const std::string& sender = "alice", std::string text = {},
                std::string cmid = {}) {
  room_event e;
  e.room_id = room;
  e.seq = seq;
  e.kind = event_kind::message;
  e.sender = sender;
  e.sender_id = 7;
  e.text = text.empty() ? "m" + std::to_string(seq) : std::move(text);
  e.ts_ms = 1'700'000'000'000 + static_cast<std::int64_t>(seq);
  e.client_msg_id = std::move(cmid);
  return e;
}

/// What became of one event, as a word (readable in failure messages).
std::string status_of(const append_outcome& o) {
  switch (o.status) {
    case append_status::committed:
      return "committed";
    case append_status::duplicate:
      return "duplicate";
    case append_status::conflict:
      return "conflict";
    case append_status::room_deleted:
      return "room_deleted";
    case append_status::unstorable:
      return "unstorable";
  }
  return "?";
}

/// True when the snapshot says the room was deleted.
bool is_deleted(const room_snapshot& snap) {
  return snap.deleted;
}

std::vector<std::string> statuses(const std::vector<append_outcome>& out) {
  std::vector<std::string> words;
  for (auto& o : out)
    words.push_back(status_of(o));
  return words;
}

std::vector<std::uint64_t> seqs(const std::vector<room_event>& evs) {
  std::vector<std::uint64_t> out;
  for (auto& e : evs)
    out.push_back(e.seq);
  return out;
}

} // namespace

TEST_P(store_contract, migrations_are_recorded_and_idempotent) {
  db_->migrate();
  auto again = open_();
  again->migrate();
  // A second connection sees the same schema and data.
  again->append({make("r1", 1)});
  EXPECT_EQ(db_->load_room("r1", 10).last_seq, 1u);
}

TEST_P(store_contract, a_new_room_starts_empty_and_then_exists) {
  EXPECT_FALSE(db_->room_exists("fresh"));
  auto snap = db_->load_room("fresh", 100);
  EXPECT_EQ(snap.last_seq, 0u);
  EXPECT_TRUE(snap.recent.empty());
  EXPECT_TRUE(db_->room_exists("fresh"));
  EXPECT_FALSE(db_->room_exists("other"));
}

TEST_P(store_contract, find_room_loads_without_creating) {
  EXPECT_FALSE(db_->find_room("ghost", 10).has_value());
  EXPECT_FALSE(db_->room_exists("ghost")) << "looking creates nothing";
  db_->load_room("r1", 0);
  db_->append({make("r1", 1), make("r1", 2), make("r1", 3)});
  auto snap = db_->find_room("r1", 2);
  ASSERT_TRUE(snap.has_value());
  EXPECT_TRUE(snap->exists);
  EXPECT_EQ(snap->last_seq, 3u);
  EXPECT_EQ(seqs(snap->recent), (std::vector<std::uint64_t>{2, 3}));
  EXPECT_FALSE(snap->is_private);
  EXPECT_EQ(snap->owner_id, 0);
}

TEST_P(store_contract, a_room_created_with_an_owner_loads_with_its_owner) {
  room_record r;
  r.id = "mine";
  r.name = "mine";
  r.owner_id = 7;
  r.created_ms = 1'700'000'000'000;
  EXPECT_TRUE(db_->create_room(r));
  auto snap = db_->find_room("mine", 10);
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->owner_id, 7);
  EXPECT_FALSE(snap->is_private);
  EXPECT_EQ(snap->last_seq, 0u);
  auto rec = db_->room_by_id("mine", true);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->members, (std::vector<std::int64_t>{7})) << "owner is member";
  // A second creation of the same id (another ENTER raced) keeps the first.
  r.owner_id = 8;
  EXPECT_FALSE(db_->create_room(r));
  EXPECT_EQ(db_->find_room("mine", 0)->owner_id, 7);
}

TEST_P(store_contract, batches_of_any_size_are_stored_in_order) {
  db_->load_room("a", 0);
  db_->load_room("b", 0);
  // 601 events in one batch exercises every chunk size (256, 64, 16, 4, 1).
  std::vector<room_event> batch;
  for (std::uint64_t s = 1; s <= 400; ++s)
    batch.push_back(make("a", s));
  for (std::uint64_t s = 1; s <= 201; ++s)
    batch.push_back(make("b", s));
  auto out = db_->append(batch);
  ASSERT_EQ(out.size(), batch.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].seq, batch[i].seq);
    EXPECT_EQ(out[i].ts_ms, batch[i].ts_ms);
    EXPECT_EQ(status_of(out[i]), "committed");
  }
  auto after = db_->after("a", 390, 100);
  EXPECT_EQ(seqs(after), (std::vector<std::uint64_t>{391, 392, 393, 394, 395,
                                                     396, 397, 398, 399, 400}));
  EXPECT_EQ(after.front(), batch[390]);
  EXPECT_EQ(seqs(db_->after("a", 0, 3)), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(seqs(db_->before("b", 201, 3)),
            (std::vector<std::uint64_t>{200, 199, 198}));
  EXPECT_EQ(seqs(db_->before("b", 3, 10)), (std::vector<std::uint64_t>{2, 1}));
  EXPECT_EQ(seqs(db_->page("a", 2, 5)),
            (std::vector<std::uint64_t>{11, 12, 13, 14, 15}));
  EXPECT_TRUE(db_->page("a", 80, 5).empty());
  auto snap = db_->load_room("b", 4);
  EXPECT_EQ(snap.last_seq, 201u);
  EXPECT_EQ(seqs(snap.recent),
            (std::vector<std::uint64_t>{198, 199, 200, 201}));
  EXPECT_EQ(db_->load_room("a", 0).last_seq, 400u);
}

TEST_P(store_contract, a_repeated_client_msg_id_names_the_original) {
  db_->load_room("r1", 0);
  auto first = db_->append({make("r1", 1, "alice", "hi", "c-1")});
  ASSERT_EQ(status_of(first[0]), "committed");
  auto bob = make("r1", 3, "bob", "hi", "c-1");
  bob.sender_id = 8;
  auto out = db_->append({make("r1", 2, "alice", "hi", "c-1"), bob,
                          make("r1", 4, "alice", "new", "c-2")});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(status_of(out[0]), "duplicate");
  EXPECT_EQ(out[0].seq, 1u);
  EXPECT_EQ(out[0].ts_ms, make("r1", 1).ts_ms);
  EXPECT_EQ(status_of(out[1]), "committed")
    << "another sender's id is another message";
  EXPECT_EQ(status_of(out[2]), "committed");
  EXPECT_EQ(seqs(db_->after("r1", 0, 10)),
            (std::vector<std::uint64_t>{1, 3, 4}));
}

TEST_P(store_contract, a_repeated_commit_of_the_same_batch_is_harmless) {
  db_->load_room("r1", 0);
  std::vector<room_event> batch{make("r1", 1), make("r1", 2, "bob", "x", "c")};
  db_->append(batch);
  auto again = db_->append(batch);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].seq, 1u);
  EXPECT_EQ(again[1].seq, 2u);
  EXPECT_EQ(db_->after("r1", 0, 10).size(), 2u);
}

// The reproduction: member B renamed itself to A's nickname and
// sent c-17; A's own c-17 was then answered with B's seq and never stored.
TEST_P(store_contract, a_client_msg_id_belongs_to_the_member_not_the_name) {
  db_->load_room("r1", 0);
  auto from_b = make("r1", 1, "alice", "from B", "c-17");
  from_b.sender_id = 8;
  auto from_a = make("r1", 2, "alice", "from A", "c-17");
  from_a.sender_id = 7;
  ASSERT_EQ(statuses(db_->append({from_b})),
            (std::vector<std::string>{"committed"}));
  auto out = db_->append({from_a});
  EXPECT_EQ(statuses(out), (std::vector<std::string>{"committed"}));
  EXPECT_EQ(out[0].seq, 2u);
  // A retries after renaming itself: still A's message, still seq 2.
  auto retry = make("r1", 3, "alicia", "from A", "c-17");
  retry.sender_id = 7;
  out = db_->append({retry});
  EXPECT_EQ(statuses(out), (std::vector<std::string>{"duplicate"}));
  EXPECT_EQ(out[0].seq, 2u);
  EXPECT_EQ(out[0].ts_ms, from_a.ts_ms);
  // Both in one batch behave the same.
  auto b2 = make("r1", 4, "alice", "B again", "c-18");
  b2.sender_id = 8;
  auto a2 = make("r1", 5, "alice", "A again", "c-18");
  a2.sender_id = 7;
  EXPECT_EQ(statuses(db_->append({b2, a2})),
            (std::vector<std::string>{"committed", "committed"}));
  EXPECT_EQ(seqs(db_->after("r1", 0, 10)),
            (std::vector<std::uint64_t>{1, 2, 4, 5}));
}

// Trusted mode (auth.required = false): no member id, the name is the key.
TEST_P(store_contract, without_a_member_id_the_sender_name_is_the_key) {
  db_->load_room("r1", 0);
  auto bob = make("r1", 1, "bob", "b", "c-1");
  bob.sender_id = 0;
  auto carol = make("r1", 2, "carol", "c", "c-1");
  carol.sender_id = 0;
  auto member = make("r1", 3, "bob", "member bob", "c-1");
  member.sender_id = 7;
  EXPECT_EQ(statuses(db_->append({bob, carol, member})),
            (std::vector<std::string>{"committed", "committed", "committed"}));
  auto again = make("r1", 4, "bob", "b", "c-1");
  again.sender_id = 0;
  auto out = db_->append({again});
  EXPECT_EQ(statuses(out), (std::vector<std::string>{"duplicate"}));
  EXPECT_EQ(out[0].seq, 1u);
  EXPECT_EQ(seqs(db_->after("r1", 0, 10)),
            (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST_P(store_contract, a_taken_seq_conflicts_alone_and_the_rest_is_stored) {
  db_->load_room("r1", 0);
  db_->load_room("r2", 0);
  db_->append({make("r1", 1, "alice", "original")});
  std::vector<append_outcome> out;
  ASSERT_NO_THROW(out = db_->append({make("r1", 2, "bob", "fine"),
                                     make("r1", 1, "mallory", "stale writer"),
                                     make("r2", 1, "carol", "other room")}))
    << "one conflict must not fail the other events of the batch";
  EXPECT_EQ(statuses(out),
            (std::vector<std::string>{"committed", "conflict", "committed"}));
  auto r1 = db_->after("r1", 0, 10);
  ASSERT_EQ(r1.size(), 2u);
  EXPECT_EQ(r1[0].text, "original");
  EXPECT_EQ(r1[1].text, "fine");
  EXPECT_EQ(seqs(db_->after("r2", 0, 10)), (std::vector<std::uint64_t>{1}));
}

TEST_P(store_contract, a_deleted_room_refuses_appends_and_never_comes_back) {
  db_->load_room("gone", 0);
  db_->load_room("kept", 0);
  db_->append({make("gone", 1)});
  ASSERT_TRUE(db_->delete_room("gone"));
  // Appends queued before the deletion arrive afterwards.
  auto out = db_->append({make("gone", 2, "alice", "late"), make("kept", 1)});
  EXPECT_EQ(statuses(out),
            (std::vector<std::string>{"room_deleted", "committed"}));
  EXPECT_TRUE(db_->after("gone", 0, 10).empty());
  // Loading the id again (an ENTER) does not create a new room.
  auto snap = db_->load_room("gone", 10);
  EXPECT_TRUE(is_deleted(snap));
  EXPECT_EQ(snap.last_seq, 0u);
  EXPECT_FALSE(db_->room_exists("gone"));
  EXPECT_FALSE(db_->room_by_id("gone", true).has_value());
  for (auto& r : db_->rooms_visible_to(7, 0, 100))
    EXPECT_NE(r.id, "gone");
  room_record again;
  again.id = "gone";
  again.name = "reborn";
  again.owner_id = 7;
  again.created_ms = 1;
  EXPECT_FALSE(db_->create_room(again)) << "a deleted id is never reused";
  EXPECT_FALSE(db_->delete_room("gone"));
  EXPECT_EQ(statuses(db_->append({make("gone", 1, "alice", "reborn?")})),
            (std::vector<std::string>{"room_deleted"}));
  EXPECT_TRUE(db_->after("gone", 0, 10).empty());
  EXPECT_TRUE(db_->room_exists("kept"));
}

// A value a column cannot hold (MySQL: VARCHAR(64) in characters, TEXT in
// 65,535 bytes; SQLite enforces the same) refuses that event only; the
// others of the batch are stored, unchanged.
TEST_P(store_contract, an_event_the_store_cannot_hold_is_refused_alone) {
  db_->load_room("r1", 0);
  std::string longest_body;
  for (int i = 0; i < 16383; ++i)
    longest_body += "\xF0\x9F\x98\x80"; // 4 bytes each: 65,532 bytes
  std::string wide_sender;
  for (int i = 0; i < 64; ++i)
    wide_sender += "\xC3\xBC"; // 64 characters, 128 bytes
  std::vector<room_event> batch{
    make("r1", 1, "alice", "before"),
    make("r1", 2, std::string(65, 's'), "sender too long"),
    make("r1", 3, "alice", longest_body),
    make("r1", 4, "alice", std::string(65536, 'b')),
    make("r1", 5, wide_sender, "a sender of 64 characters"),
    make("r1", 6, "alice", "id too long", std::string(65, 'c')),
    make("r1", 7, "alice", "after", "c-7")};
  std::vector<append_outcome> out;
  ASSERT_NO_THROW(out = db_->append(batch));
  EXPECT_EQ(statuses(out),
            (std::vector<std::string>{"committed", "unstorable", "committed",
                                      "unstorable", "committed", "unstorable",
                                      "committed"}));
  auto stored = db_->after("r1", 0, 10);
  EXPECT_EQ(seqs(stored), (std::vector<std::uint64_t>{1, 3, 5, 7}));
  for (auto& ev : stored)
    EXPECT_EQ(ev, batch[ev.seq - 1]) << "stored exactly, never truncated";
  // A retry of the whole batch (as after a lost answer) says the same.
  EXPECT_EQ(statuses(db_->append(batch)), statuses(out));
}

// 256 messages of the longest text the store holds (16383 characters of 4
// bytes) are 16.8 MB: more than one statement may carry to MySQL
// (max_allowed_packet, 16 MB by default on MariaDB). Statements are cut by
// bytes too.
TEST_P(store_contract, a_batch_of_the_longest_messages_is_stored) {
  db_->load_room("r1", 0);
  std::string longest;
  for (int i = 0; i < 16383; ++i)
    longest += "\xF0\x9F\x98\x80";
  std::vector<room_event> batch;
  for (std::uint64_t s = 1; s <= 260; ++s)
    batch.push_back(make("r1", s, "alice", longest));
  std::vector<append_outcome> out;
  ASSERT_NO_THROW(out = db_->append(batch));
  EXPECT_EQ(out.size(), batch.size());
  for (auto& o : out)
    EXPECT_EQ(status_of(o), "committed");
  auto stored = db_->after("r1", 250, 20);
  ASSERT_EQ(stored.size(), 10u);
  EXPECT_EQ(stored.back(), batch.back());
}

TEST_P(store_contract, texts_round_trip_exactly) {
  db_->load_room("r1", 0);
  std::string text = "héllo \"quoted\" \\ back\\slash \n newline 💬 😀 한국어";
  auto e = make("r1", 1, "ünïcode", text, "c-✓");
  e.kind = event_kind::enter;
  e.sender_id = 0;
  db_->append({e});
  auto got = db_->after("r1", 0, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], e);
}

TEST_P(store_contract, messages_without_client_ids_never_collide) {
  db_->load_room("r1", 0);
  auto out = db_->append(
    {make("r1", 1, "alice", "same"), make("r1", 2, "alice", "same")});
  EXPECT_EQ(statuses(out),
            (std::vector<std::string>{"committed", "committed"}));
  EXPECT_EQ(db_->after("r1", 0, 10).size(), 2u);
}

TEST_P(store_contract, ping_answers) {
  EXPECT_NO_THROW(db_->ping());
}

INSTANTIATE_TEST_SUITE_P(stores, store_contract,
                         ::testing::Values("sqlite", "mysql"),
                         [](const auto& info) { return info.param; });

namespace {

/// The same stores, on a database an older h2h made (not migrated yet).
class store_migration : public store_contract {
protected:
  bool migrate_at_setup() const override {
    return false;
  }
};

} // namespace

// Version 2 keyed a clientMsgId on the sender's name. Its rows survive
// migration 3 unchanged, also a member's repeated id after a rename (a
// repeat under the new key) and trusted-mode rows (member id 0).
TEST_P(store_migration, a_version_2_database_keeps_its_rows_under_member_keys) {
  auto conn = connect_();
  ASSERT_EQ(sql::migrate(*conn, 2), 2);
  conn
    ->prepare("INSERT INTO rooms (id, name, owner_id, is_private, created_ms)"
              " VALUES (?, ?, NULL, 0, ?)")
    .execute({std::string{"r1"}, std::string{"r1"}, std::int64_t{1}});
  auto old_row = [](std::uint64_t seq, std::string sender, std::int64_t id,
                    std::string text, std::string cmid) {
    auto e = make("r1", seq, sender, std::move(text), std::move(cmid));
    e.sender_id = id;
    return e;
  };
  std::vector<room_event> old{
    old_row(1, "alice", 7, "a1", "c-1"),
    old_row(2, "alicia", 7, "a2 after a rename", "c-1"),
    old_row(3, "bob", 0, "trusted bob", "c-1"),
    old_row(4, "carol", 0, "trusted carol", "c-1"),
    old_row(5, "dave", 9, "dave entered.", ""),
  };
  old[4].kind = event_kind::enter;
  for (auto& e : old) {
    std::vector<sql::value> p{e.room_id,
                              static_cast<std::int64_t>(e.seq),
                              static_cast<std::int64_t>(e.kind),
                              e.sender,
                              e.sender_id,
                              e.text,
                              e.ts_ms};
    if (e.client_msg_id.empty())
      p.emplace_back(nullptr);
    else
      p.emplace_back(e.client_msg_id);
    conn
      ->prepare("INSERT INTO messages (room_id, seq, kind, sender, sender_id,"
                " body, ts_ms, client_msg_id) VALUES (?,?,?,?,?,?,?,?)")
      .execute(p);
  }
  db_->migrate();
  EXPECT_EQ(sql::migrate(*conn), 0) << "nothing left to migrate";
  EXPECT_EQ(db_->after("r1", 0, 10), old);
  auto snap = db_->load_room("r1", 10);
  EXPECT_EQ(snap.last_seq, 5u);
  EXPECT_EQ(snap.recent, old);
  // The oldest of a member's repeated ids answers its retries.
  auto retry = old_row(6, "alice", 7, "a1", "c-1");
  auto out = db_->append({retry});
  EXPECT_EQ(statuses(out), (std::vector<std::string>{"duplicate"}));
  EXPECT_EQ(out[0].seq, 1u);
  retry.sender = "alicia";
  out = db_->append({retry});
  EXPECT_EQ(statuses(out), (std::vector<std::string>{"duplicate"}));
  EXPECT_EQ(out[0].seq, 1u);
  out = db_->append({old_row(6, "bob", 0, "trusted bob", "c-1")});
  EXPECT_EQ(statuses(out), (std::vector<std::string>{"duplicate"}));
  EXPECT_EQ(out[0].seq, 3u);
  // Another member with the same name is another sender.
  out = db_->append({old_row(6, "alice", 8, "someone else", "c-1")});
  EXPECT_EQ(statuses(out), (std::vector<std::string>{"committed"}));
  EXPECT_EQ(db_->after("r1", 0, 10).size(), 6u);
  // Rooms survive too and can be deleted (the tombstone column is there).
  EXPECT_TRUE(db_->room_exists("r1"));
  EXPECT_TRUE(db_->delete_room("r1"));
  EXPECT_TRUE(db_->load_room("r1", 0).deleted);
}

INSTANTIATE_TEST_SUITE_P(stores, store_migration,
                         ::testing::Values("sqlite", "mysql"),
                         [](const auto& info) { return info.param; });

TEST(store_failures, an_unreachable_mysql_server_is_unavailable) {
  sql::mysql_target t;
  t.user = "h2h";
  t.password = "secret";
  t.port = 1; // nothing listens there
  t.database = "h2h";
  try {
    sql::open_mysql(t);
    FAIL() << "expected store_error";
  } catch (const store_error& e) {
    EXPECT_EQ(e.kind(), store_failure::unavailable);
  }
}

TEST(store_failures, an_unwritable_sqlite_path_is_unavailable) {
  try {
    sql::open_sqlite("/proc/h2h-cannot-write-here/h2h.db");
    FAIL() << "expected store_error";
  } catch (const store_error& e) {
    EXPECT_EQ(e.kind(), store_failure::unavailable);
  }
}
