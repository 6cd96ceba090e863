// The connection registry: shutdown, abort and token expiry reach live
// connections only, and a closed connection leaves no memory behind.
#include <chrono>
#include <cstddef>
#include <memory>

#include <gtest/gtest.h>

#include "net/server/registry.hpp"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct probe final : h2h::net::closable {
  int shutdowns = 0;
  int aborts = 0;
  int expiries = 0;
  void shutdown() override {
    ++shutdowns;
  }
  void abort_now() override {
    ++aborts;
  }
  void expire() override {
    ++expiries;
  }
};

/// Counts the bytes allocated through it and not yet given back.
std::size_t outstanding = 0;

template <class T>
struct counting_allocator {
  using value_type = T;
  counting_allocator() = default;
  template <class U>
  counting_allocator(const counting_allocator<U>&) {
  }
  T* allocate(std::size_t n) {
    outstanding += n * sizeof(T);
    return std::allocator<T>{}.allocate(n);
  }
  void deallocate(T* p, std::size_t n) {
    outstanding -= n * sizeof(T);
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  bool operator==(const counting_allocator<U>&) const {
    return true;
  }
  template <class U>
  bool operator!=(const counting_allocator<U>&) const {
    return false;
  }
};

TEST(registry, expiry_reaches_a_live_connection_once) {
  h2h::net::registry reg;
  auto c = std::make_shared<probe>();
  auto id = reg.add(c);
  auto now = clock_type::now();
  reg.expire_at(now + 10s, id);
  reg.expire_due(now + 5s);
  EXPECT_EQ(c->expiries, 0);
  reg.expire_due(now + 10s);
  EXPECT_EQ(c->expiries, 1);
  reg.expire_due(now + 20s);
  EXPECT_EQ(c->expiries, 1);
}

TEST(registry, expiry_skips_a_closed_connection) {
  h2h::net::registry reg;
  auto c = std::make_shared<probe>();
  auto id = reg.add(c);
  auto now = clock_type::now();
  reg.expire_at(now + 1s, id);
  reg.remove(id);
  reg.expire_due(now + 2s);
  EXPECT_EQ(c->expiries, 0);
}

// A pending expiry (tokens live for hours) must not keep a closed
// connection's memory: with churn that grew without bound until the
// tokens' deadlines passed.
TEST(registry, closed_connection_memory_is_freed_before_its_expiry) {
  h2h::net::registry reg;
  outstanding = 0;
  {
    auto c = std::allocate_shared<probe>(counting_allocator<probe>{});
    ASSERT_GT(outstanding, 0u);
    auto id = reg.add(c);
    reg.expire_at(clock_type::now() + 1h, id);
    reg.remove(id);
  }
  EXPECT_EQ(outstanding, 0u);
}

TEST(registry, shutdown_and_abort_reach_only_live_connections) {
  h2h::net::registry reg;
  auto a = std::make_shared<probe>();
  auto b = std::make_shared<probe>();
  reg.add(a);
  auto id_b = reg.add(b);
  EXPECT_EQ(reg.size(), 2u);
  reg.remove(id_b);
  EXPECT_EQ(reg.size(), 1u);
  reg.shutdown_all();
  reg.abort_all();
  EXPECT_EQ(a->shutdowns, 1);
  EXPECT_EQ(a->aborts, 1);
  EXPECT_EQ(b->shutdowns, 0);
  EXPECT_EQ(b->aborts, 0);
}

} // namespace

namespace {

// Reconnecting clients must not grow the schedule: an entry per upgrade
// stayed until the token's deadline (24 h), 10,000 reconnects left 10,000.
TEST(registry, schedule_stays_small_under_reconnect_churn) {
  h2h::net::registry reg;
  auto now = clock_type::now();
  for (int i = 0; i < 10000; ++i) {
    auto c = std::make_shared<probe>();
    auto id = reg.add(c);
    reg.expire_at(now + 24h, id);
    reg.remove(id);
  }
  EXPECT_LE(reg.scheduled(), 64u);
  // Live connections keep their entries and still expire.
  std::vector<std::shared_ptr<probe>> live;
  for (int i = 0; i < 100; ++i) {
    live.push_back(std::make_shared<probe>());
    auto id = reg.add(live.back());
    reg.expire_at(now + 1h, id);
    auto gone = reg.add(std::make_shared<probe>());
    reg.expire_at(now + 1h, gone);
    reg.remove(gone);
  }
  EXPECT_GE(reg.scheduled(), 100u);
  EXPECT_LE(reg.scheduled(), 2 * 100u + 64u);
  reg.expire_due(now + 2h);
  for (auto& c : live)
    EXPECT_EQ(c->expiries, 1);
  EXPECT_LE(reg.scheduled(), 64u);
}

} // namespace

namespace {

struct ending_probe final : h2h::net::closable {
  int ended = 0;
  void shutdown() override {
  }
  void abort_now() override {
  }
  void end_session() override {
    ++ended;
  }
};

TEST(registry, an_address_holds_at_most_cap_connections) {
  h2h::net::registry reg;
  std::vector<std::shared_ptr<probe>> conns;
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 4; ++i) {
    conns.push_back(std::make_shared<probe>());
    ids.push_back(reg.add(conns.back()));
  }
  EXPECT_TRUE(reg.bind_address(ids[0], "10.0.0.1", 3));
  EXPECT_TRUE(reg.bind_address(ids[1], "10.0.0.1", 3));
  EXPECT_TRUE(reg.bind_address(ids[2], "10.0.0.1", 3));
  EXPECT_FALSE(reg.bind_address(ids[3], "10.0.0.1", 3));
  EXPECT_EQ(reg.connections_of("10.0.0.1"), 3u);
  EXPECT_TRUE(reg.bind_address(ids[3], "10.0.0.2", 3))
    << "another address has its own slots";
  reg.remove(ids[0]);
  EXPECT_EQ(reg.connections_of("10.0.0.1"), 2u) << "closing frees a slot";
  auto again = reg.add(conns[0]);
  EXPECT_TRUE(reg.bind_address(again, "10.0.0.1", 3));
  for (auto id : {ids[1], ids[2], ids[3], again})
    reg.remove(id);
  EXPECT_EQ(reg.addresses(), 0u) << "no entry outlives its connections";
  EXPECT_FALSE(reg.bind_address(12345, "10.0.0.9", 3)) << "unknown id";
  EXPECT_EQ(reg.addresses(), 0u);
}

TEST(registry, an_upgrade_hands_its_address_slot_over) {
  h2h::net::registry reg;
  auto http = std::make_shared<probe>();
  auto ws = std::make_shared<probe>();
  auto from = reg.add(http);
  ASSERT_TRUE(reg.bind_address(from, "10.0.0.1", 1));
  auto to = reg.add(ws);
  reg.hand_over(from, to);
  EXPECT_EQ(reg.size(), 1u);
  EXPECT_EQ(reg.connections_of("10.0.0.1"), 1u);
  auto other = reg.add(std::make_shared<probe>());
  EXPECT_FALSE(reg.bind_address(other, "10.0.0.1", 1)) << "still counted";
  reg.remove(to);
  EXPECT_EQ(reg.connections_of("10.0.0.1"), 0u);
  // The new connection closed before the hand-over: the slot is freed.
  auto from2 = reg.add(http);
  ASSERT_TRUE(reg.bind_address(from2, "10.0.0.1", 1));
  reg.hand_over(from2, 999999);
  EXPECT_EQ(reg.connections_of("10.0.0.1"), 0u);
  EXPECT_EQ(reg.addresses(), 0u);
}

TEST(registry, ending_a_session_reaches_its_open_connections_only) {
  h2h::net::registry reg;
  std::vector<std::shared_ptr<ending_probe>> mine, other;
  std::vector<std::uint64_t> mine_ids;
  for (int i = 0; i < 5; ++i) {
    mine.push_back(std::make_shared<ending_probe>());
    mine_ids.push_back(reg.add(mine.back()));
    reg.bind_session(mine_ids.back(), "session-a");
    other.push_back(std::make_shared<ending_probe>());
    reg.bind_session(reg.add(other.back()), "session-b");
  }
  // Closing some out of order keeps the index right.
  reg.remove(mine_ids[1]);
  reg.remove(mine_ids[4]);
  EXPECT_EQ(reg.end_session("session-a"), 3u);
  EXPECT_EQ(reg.end_session("session-x"), 0u);
  for (int i : {0, 2, 3})
    EXPECT_EQ(mine[i]->ended, 1) << i;
  for (int i : {1, 4})
    EXPECT_EQ(mine[i]->ended, 0) << i;
  for (auto& c : other)
    EXPECT_EQ(c->ended, 0);
  for (int i : {0, 2, 3})
    reg.remove(mine_ids[i]);
  EXPECT_EQ(reg.sessions(), 1u) << "only session-b has connections";
}

// An upgrade whose token was checked before the logout and that completes
// after it: binding tells the caller to end it.
TEST(registry, a_session_that_just_ended_cannot_be_bound) {
  h2h::net::registry reg;
  EXPECT_EQ(reg.end_session("gone"), 0u);
  auto late = reg.add(std::make_shared<ending_probe>());
  EXPECT_FALSE(reg.bind_session(late, "gone"));
  EXPECT_EQ(reg.sessions(), 0u);
  EXPECT_TRUE(reg.bind_session(late, "alive"));
  // The memory of ended sessions is bounded.
  for (std::size_t i = 0; i < h2h::net::registry::recently_ended_max; ++i)
    reg.end_session("other-" + std::to_string(i));
  auto later = reg.add(std::make_shared<ending_probe>());
  EXPECT_TRUE(reg.bind_session(later, "gone")) << "forgotten after the bound";
}

// 10,000 connections of one session closing in any order: each close is
// O(1) and the index empties.
TEST(registry, session_index_is_emptied_by_closes_in_any_order) {
  h2h::net::registry reg;
  std::vector<std::uint64_t> ids;
  auto c = std::make_shared<ending_probe>();
  for (int i = 0; i < 10000; ++i) {
    ids.push_back(reg.add(c));
    reg.bind_session(ids.back(), "s");
  }
  for (std::size_t i = 0; i < ids.size(); i += 2)
    reg.remove(ids[i]);
  EXPECT_EQ(reg.end_session("s"), 5000u);
  for (std::size_t i = 1; i < ids.size(); i += 2)
    reg.remove(ids[i]);
  EXPECT_EQ(reg.sessions(), 0u);
  EXPECT_EQ(reg.size(), 0u);
}

} // namespace
