// The store contract: the same cases against SQLite and a real MariaDB.
// MariaDB comes from H2H_TEST_MYSQL_URL (scripts/test-all.sh starts one);
// each test gets a database of its own.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "persistence/migrations.hpp"
#include "persistence/sql.hpp"
#include "persistence/sql_store.hpp"

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

std::vector<std::uint64_t> seqs(const std::vector<room_event>& evs) {
  std::vector<std::uint64_t> out;
  for (auto& e : evs)
    out.push_back(e.seq);
  return out;
}

/// Opens stores of one kind on a fresh database.
class store_contract : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    auto n = std::to_string(getpid()) + "_" + std::to_string(++counter);
    if (GetParam() == "sqlite") {
      dir_ = "/tmp/h2h-contract-" + n;
      std::filesystem::create_directories(dir_);
      auto path = dir_ + "/h2h.db";
      open_ = [path] { return make_sql_store(sql::open_sqlite(path)); };
    } else {
      auto* url = std::getenv("H2H_TEST_MYSQL_URL");
      if (url == nullptr)
        GTEST_SKIP() << "H2H_TEST_MYSQL_URL is not set (scripts/test-all.sh "
                        "starts MariaDB and sets it)";
      sql::mysql_target base;
      std::string problem;
      ASSERT_TRUE(sql::parse_mysql_url(url, base, problem)) << problem;
      db_name_ = "h2h_contract_" + n;
      admin_ = sql::open_mysql(base);
      admin_->exec("CREATE DATABASE " + db_name_
                   + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
      auto target = base;
      target.database = db_name_;
      open_ = [target] { return make_sql_store(sql::open_mysql(target)); };
    }
    db_ = open_();
    db_->migrate();
  }

  void TearDown() override {
    db_.reset();
    if (admin_ && !db_name_.empty())
      admin_->exec("DROP DATABASE IF EXISTS " + db_name_);
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  std::function<std::unique_ptr<store>()> open_;
  std::unique_ptr<store> db_;
  std::unique_ptr<sql::connection> admin_;
  std::string db_name_;
  std::string dir_;
};

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
    EXPECT_FALSE(out[i].duplicate);
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
  ASSERT_FALSE(first[0].duplicate);
  auto out = db_->append({make("r1", 2, "alice", "hi", "c-1"),
                          make("r1", 3, "bob", "hi", "c-1"),
                          make("r1", 4, "alice", "new", "c-2")});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].duplicate);
  EXPECT_EQ(out[0].seq, 1u);
  EXPECT_EQ(out[0].ts_ms, make("r1", 1).ts_ms);
  EXPECT_FALSE(out[1].duplicate) << "another sender's id is another message";
  EXPECT_FALSE(out[2].duplicate);
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

TEST_P(store_contract, a_taken_seq_is_a_conflict_and_the_batch_is_not_stored) {
  db_->load_room("r1", 0);
  db_->append({make("r1", 1, "alice", "original")});
  try {
    db_->append(
      {make("r1", 2, "bob", "fine"), make("r1", 1, "mallory", "stale writer")});
    FAIL() << "expected a conflict";
  } catch (const store_error& e) {
    EXPECT_EQ(e.kind(), store_failure::conflict);
  }
  auto all = db_->after("r1", 0, 10);
  ASSERT_EQ(all.size(), 1u) << "the batch is one transaction";
  EXPECT_EQ(all[0].text, "original");
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
  EXPECT_FALSE(out[0].duplicate);
  EXPECT_FALSE(out[1].duplicate);
  EXPECT_EQ(db_->after("r1", 0, 10).size(), 2u);
}

TEST_P(store_contract, ping_answers) {
  EXPECT_NO_THROW(db_->ping());
}

INSTANTIATE_TEST_SUITE_P(stores, store_contract,
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

TEST(store_urls, mysql_urls_are_parsed_and_checked) {
  sql::mysql_target t;
  std::string problem;
  ASSERT_TRUE(
    sql::parse_mysql_url("mysql://u:p%40ss@db.local:3307/chat", t, problem));
  EXPECT_EQ(t.user, "u");
  EXPECT_EQ(t.password, "p@ss");
  EXPECT_EQ(t.host, "db.local");
  EXPECT_EQ(t.port, 3307);
  EXPECT_EQ(t.database, "chat");
  ASSERT_TRUE(sql::parse_mysql_url("mysql://u@h/d", t, problem));
  EXPECT_EQ(t.port, 3306);
  EXPECT_FALSE(sql::parse_mysql_url("postgres://u@h/d", t, problem));
  EXPECT_FALSE(sql::parse_mysql_url("mysql://u@h:0/d", t, problem));
  EXPECT_FALSE(sql::parse_mysql_url("mysql://u@h:99999/d", t, problem));
  EXPECT_FALSE(sql::parse_mysql_url("mysql://h/d", t, problem));
  EXPECT_FALSE(sql::parse_mysql_url("mysql://u@h", t, problem));
}
