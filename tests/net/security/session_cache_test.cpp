// The upgrade's session cache: bounded size, bounded staleness, and
// sessions ended on this node refused at once.
#include <gtest/gtest.h>

#include <string>

#include "net/security/session_cache.hpp"

namespace {

using h2h::net::session_cache;
using h2h::net::session_facts;

session_facts active(std::int64_t member, std::string nickname = "alice") {
  return {member, true, std::move(nickname)};
}

TEST(session_cache, facts_are_believed_for_the_ttl_only) {
  session_cache cache{100, 5000};
  EXPECT_FALSE(cache.find("s1", 0));
  cache.put("s1", active(7), 1000, cache.generation());
  auto hit = cache.find("s1", 5999);
  ASSERT_TRUE(hit);
  EXPECT_TRUE(hit->active);
  EXPECT_EQ(hit->member_id, 7);
  EXPECT_EQ(hit->nickname, "alice");
  EXPECT_FALSE(cache.find("s1", 6000)) << "stale: ask the store again";
  cache.put("s1", active(7, "alicia"), 6000, cache.generation());
  EXPECT_EQ(cache.find("s1", 6001)->nickname, "alicia");
}

TEST(session_cache, a_session_ended_here_is_refused_at_once_and_for_good) {
  session_cache cache{100, 5000};
  cache.put("s1", active(7), 0, cache.generation());
  cache.end("s1", 10);
  auto hit = cache.find("s1", 11);
  ASSERT_TRUE(hit);
  EXPECT_FALSE(hit->active);
  EXPECT_TRUE(cache.find("s1", 1'000'000)) << "ended at any age";
  EXPECT_FALSE(cache.find("s1", 1'000'000)->active);
  cache.put("s1", active(7), 20, cache.generation());
  EXPECT_FALSE(cache.find("s1", 21)->active) << "ended stays ended";
  // A session never cached is refused too once it ended here.
  cache.end("s2", 30);
  EXPECT_FALSE(cache.find("s2", 31)->active);
}

// A store read that began before a logout must not bring the session back.
TEST(session_cache, a_read_that_raced_a_logout_is_not_cached) {
  session_cache cache{100, 5000};
  auto gen = cache.generation();
  cache.end("s-other", 5); // any session ending makes older reads suspect
  cache.put("s1", active(7), 10, gen);
  EXPECT_FALSE(cache.find("s1", 11));
  cache.put("s1", active(7), 12, cache.generation());
  EXPECT_TRUE(cache.find("s1", 13));
}

TEST(session_cache, holds_at_most_max_entries_pushing_out_the_oldest_read) {
  session_cache cache{1000, 5000};
  for (int i = 0; i < 100'000; ++i)
    cache.put("s" + std::to_string(i), active(i), i / 100, cache.generation());
  EXPECT_EQ(cache.size(), 1000u);
  EXPECT_FALSE(cache.find("s0", 1000)) << "the oldest was pushed out";
  EXPECT_TRUE(cache.find("s99999", 1000));
  for (int i = 0; i < 5000; ++i)
    cache.end("e" + std::to_string(i), 1000);
  EXPECT_EQ(cache.size(), 1000u) << "ended sessions obey the bound too";
}

TEST(session_cache, a_zero_ttl_caches_nothing_but_still_ends_sessions) {
  session_cache cache{100, 0};
  cache.put("s1", active(7), 0, cache.generation());
  EXPECT_FALSE(cache.find("s1", 0));
  EXPECT_EQ(cache.size(), 0u);
  cache.end("s1", 1);
  EXPECT_FALSE(cache.find("s1", 2)->active);
}

} // namespace

namespace {

// Blocking: a member's changed block list must not come from the cache.
TEST(session_cache, forgetting_a_member_drops_its_active_sessions_only) {
  session_cache cache{100, 5000};
  cache.put("a1", active(7), 0, cache.generation());
  cache.put("a2", active(7), 0, cache.generation());
  cache.put("b1", active(8, "bob"), 0, cache.generation());
  cache.end("a3", 0);
  auto gen = cache.generation();
  cache.forget_member(7);
  EXPECT_FALSE(cache.find("a1", 1));
  EXPECT_FALSE(cache.find("a2", 1));
  EXPECT_TRUE(cache.find("b1", 1));
  ASSERT_TRUE(cache.find("a3", 1)) << "an ended session stays ended";
  EXPECT_FALSE(cache.find("a3", 1)->active);
  EXPECT_EQ(cache.size(), 2u);
  // A read that began before the change is not cached.
  cache.put("a1", active(7), 2, gen);
  EXPECT_FALSE(cache.find("a1", 3));
  auto with_blocks = active(7);
  with_blocks.blocked = h2h::make_block_list({8});
  cache.put("a1", with_blocks, 4, cache.generation());
  auto hit = cache.find("a1", 5);
  ASSERT_TRUE(hit);
  ASSERT_TRUE(hit->blocked);
  EXPECT_EQ(*hit->blocked, (std::vector<std::int64_t>{8}));
}

} // namespace
