// The connection registry: shutdown, abort and token expiry reach live
// connections only, and a closed connection leaves no memory behind.
#include <chrono>
#include <cstddef>
#include <memory>

#include <gtest/gtest.h>

#include "net/registry.hpp"

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
