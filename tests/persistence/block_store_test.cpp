// The store contract for blocks (bounded per member, gone with either
// member), against SQLite and MariaDB like the rest of the contract.
#include <string>
#include <vector>

#include "store_fixture.hpp"

using namespace h2h;

namespace {

std::int64_t new_member(store& db, const std::string& email) {
  member_record m;
  m.email = email;
  m.name = "name-" + email;
  m.nickname = "nick-" + email;
  m.password_hash = "x";
  m.created_ms = 1;
  return db.create_member(m).value();
}

using ids = std::vector<std::int64_t>;

} // namespace

TEST_P(store_contract, a_block_is_kept_once_and_undone_by_unblock) {
  auto a = new_member(*db_, "a@example.com");
  auto b = new_member(*db_, "b@example.com");
  auto c = new_member(*db_, "c@example.com");
  EXPECT_EQ(db_->block(a, c, 10, 1000), block_outcome::blocked);
  EXPECT_EQ(db_->block(a, b, 20, 1000), block_outcome::blocked);
  EXPECT_EQ(db_->block(a, b, 30, 1000), block_outcome::already);
  EXPECT_EQ(db_->blocked_by(a), (ids{b, c})); // ascending ids
  EXPECT_TRUE(db_->blocks(a, b));
  EXPECT_FALSE(db_->blocks(b, a)); // blocking is one-way
  EXPECT_EQ(db_->blocked_by(b), ids{});
  EXPECT_TRUE(db_->unblock(a, b));
  EXPECT_FALSE(db_->unblock(a, b));
  EXPECT_FALSE(db_->blocks(a, b));
  EXPECT_EQ(db_->blocked_by(a), ids{c});
}

TEST_P(store_contract, blocking_an_unknown_member_changes_nothing) {
  auto a = new_member(*db_, "a@example.com");
  EXPECT_EQ(db_->block(a, a + 1000, 10, 1000), block_outcome::no_target);
  EXPECT_EQ(db_->blocked_by(a), ids{});
}

TEST_P(store_contract, a_member_blocks_at_most_the_bound) {
  auto a = new_member(*db_, "a@example.com");
  ids others;
  for (int i = 0; i < 4; ++i)
    others.push_back(new_member(*db_, "o" + std::to_string(i) + "@x.org"));
  EXPECT_EQ(db_->block(a, others[0], 1, 3), block_outcome::blocked);
  EXPECT_EQ(db_->block(a, others[1], 2, 3), block_outcome::blocked);
  EXPECT_EQ(db_->block(a, others[2], 3, 3), block_outcome::blocked);
  EXPECT_EQ(db_->block(a, others[3], 4, 3), block_outcome::full);
  // Already blocking is told as such even at the bound.
  EXPECT_EQ(db_->block(a, others[0], 5, 3), block_outcome::already);
  EXPECT_TRUE(db_->unblock(a, others[1]));
  EXPECT_EQ(db_->block(a, others[3], 6, 3), block_outcome::blocked);
}

TEST_P(store_contract, the_list_of_blocked_members_has_their_fields) {
  auto a = new_member(*db_, "a@example.com");
  auto b = new_member(*db_, "b@example.com");
  auto c = new_member(*db_, "c@example.com");
  avatar_record av;
  av.member_id = c;
  av.hash = "abc";
  av.mime = "image/png";
  av.bytes = "png";
  av.created_ms = 5;
  ASSERT_TRUE(db_->put_avatar(av));
  ASSERT_EQ(db_->block(a, c, 10, 1000), block_outcome::blocked);
  ASSERT_EQ(db_->block(a, b, 20, 1000), block_outcome::blocked);
  auto list = db_->blocked_members(a, 100);
  ASSERT_EQ(list.size(), 2u); // the earliest block first
  EXPECT_EQ(list[0].member.id, c);
  EXPECT_EQ(list[0].member.email, "c@example.com");
  EXPECT_EQ(list[0].member.name, "name-c@example.com");
  EXPECT_EQ(list[0].member.nickname, "nick-c@example.com");
  ASSERT_TRUE(list[0].avatar);
  EXPECT_EQ(list[0].avatar->hash, "abc");
  EXPECT_EQ(list[0].avatar->mime, "image/png");
  EXPECT_TRUE(list[0].avatar->bytes.empty());
  EXPECT_EQ(list[1].member.id, b);
  EXPECT_FALSE(list[1].avatar);
  EXPECT_EQ(db_->blocked_members(a, 1).size(), 1u);
  EXPECT_TRUE(db_->blocked_members(b, 100).empty());
}

TEST_P(store_contract, deleting_a_member_removes_blocks_both_ways) {
  auto a = new_member(*db_, "a@example.com");
  auto b = new_member(*db_, "b@example.com");
  auto c = new_member(*db_, "c@example.com");
  ASSERT_EQ(db_->block(a, b, 1, 1000), block_outcome::blocked);
  ASSERT_EQ(db_->block(b, c, 2, 1000), block_outcome::blocked);
  ASSERT_EQ(db_->block(c, a, 3, 1000), block_outcome::blocked);
  EXPECT_TRUE(db_->delete_member(b));
  EXPECT_EQ(db_->blocked_by(a), ids{}); // a blocked b: gone
  EXPECT_EQ(db_->blocked_by(b), ids{}); // b's own: gone
  EXPECT_EQ(db_->blocked_by(c), ids{a}); // others' untouched
  EXPECT_TRUE(db_->blocked_members(a, 100).empty());
}
