// The store contract for avatars (one per member, replaced by each upload,
// bytes exact), against SQLite and MariaDB like the rest of the contract.
#include <string>

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

avatar_record image(std::int64_t member, std::string bytes,
                    std::string hash = "h1") {
  avatar_record a;
  a.member_id = member;
  a.hash = std::move(hash);
  a.mime = "image/png";
  a.bytes = std::move(bytes);
  a.created_ms = 1'700'000'000'000;
  return a;
}

// Every byte value, in a length that ends with each base64 padding.
std::string all_bytes(std::size_t extra) {
  std::string s;
  for (int i = 0; i < 256; ++i)
    s.push_back(static_cast<char>(i));
  return s + std::string(extra, '\0');
}

} // namespace

TEST_P(store_contract, an_avatar_needs_an_existing_member) {
  EXPECT_FALSE(db_->put_avatar(image(424242, "x")));
  EXPECT_FALSE(db_->current_avatar(424242));
  EXPECT_FALSE(db_->avatar(424242, "h1"));
  EXPECT_FALSE(db_->delete_avatar(424242));
}

TEST_P(store_contract, avatar_bytes_round_trip_exactly) {
  auto id = new_member(*db_, "a@example.com");
  for (std::size_t extra = 0; extra < 3; ++extra) {
    auto bytes = all_bytes(extra);
    ASSERT_TRUE(db_->put_avatar(image(id, bytes)));
    auto got = db_->avatar(id, "h1");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->bytes, bytes);
    EXPECT_EQ(got->mime, "image/png");
    EXPECT_EQ(got->created_ms, 1'700'000'000'000);
  }
  // The largest default upload (limits.avatar_bytes, 2 MiB) fits the column.
  std::string big(2 * 1024 * 1024, '\x89');
  ASSERT_TRUE(db_->put_avatar(image(id, big, "big")));
  EXPECT_EQ(db_->avatar(id, "big")->bytes, big);
  EXPECT_TRUE(db_->put_avatar(image(id, "", "empty")));
  EXPECT_EQ(db_->avatar(id, "empty")->bytes, "");
}

TEST_P(store_contract, a_new_avatar_replaces_the_old_one) {
  auto id = new_member(*db_, "a@example.com");
  auto other = new_member(*db_, "b@example.com");
  ASSERT_TRUE(db_->put_avatar(image(id, "one", "h1")));
  ASSERT_TRUE(db_->put_avatar(image(other, "theirs", "h1")));
  auto cur = db_->current_avatar(id);
  ASSERT_TRUE(cur);
  EXPECT_EQ(cur->hash, "h1");
  EXPECT_EQ(cur->mime, "image/png");
  EXPECT_EQ(cur->bytes, ""); // a description only
  ASSERT_TRUE(db_->put_avatar(image(id, "two", "h2")));
  EXPECT_FALSE(db_->avatar(id, "h1"));
  EXPECT_EQ(db_->avatar(id, "h2")->bytes, "two");
  EXPECT_EQ(db_->current_avatar(id)->hash, "h2");
  EXPECT_EQ(db_->avatar(other, "h1")->bytes, "theirs");
  EXPECT_FALSE(db_->avatar(other, "h2")); // the hash is per member
}

TEST_P(store_contract, avatars_go_with_delete_avatar_and_the_member) {
  auto id = new_member(*db_, "a@example.com");
  auto other = new_member(*db_, "b@example.com");
  ASSERT_TRUE(db_->put_avatar(image(id, "one")));
  ASSERT_TRUE(db_->put_avatar(image(other, "two")));
  EXPECT_TRUE(db_->delete_avatar(id));
  EXPECT_FALSE(db_->delete_avatar(id));
  EXPECT_FALSE(db_->current_avatar(id));
  EXPECT_TRUE(db_->delete_member(other));
  EXPECT_FALSE(db_->avatar(other, "h1"));
  // A store opened again sees the same rows (nothing lives in memory).
  ASSERT_TRUE(db_->put_avatar(image(id, "three", "h3")));
  db_ = open_();
  EXPECT_EQ(db_->avatar(id, "h3")->bytes, "three");
}
