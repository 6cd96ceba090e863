// The one translation of store failures: every store_failure kind to its
// errc, to the caf::error an actor answers, and attempt() catching.
#include <gtest/gtest.h>

#include <stdexcept>

#include "actors/store/store_errors.hpp"
#include "actors/vocabulary/messages.hpp"

namespace {

using h2h::errc;
using h2h::store_failure;

TEST(store_errors, every_kind_has_its_errc) {
  EXPECT_EQ(h2h::to_errc(store_failure::unavailable), errc::unavailable);
  EXPECT_EQ(h2h::to_errc(store_failure::conflict), errc::seq_conflict);
  EXPECT_EQ(h2h::to_errc(store_failure::permanent), errc::internal);
  EXPECT_EQ(h2h::to_errc(store_failure::fatal), errc::internal);
}

TEST(store_errors, a_store_error_keeps_its_kind_and_text) {
  for (auto kind : {store_failure::unavailable, store_failure::conflict,
                    store_failure::permanent, store_failure::fatal}) {
    auto f = h2h::to_fault(h2h::store_error(kind, "test: why"));
    EXPECT_EQ(f.kind, kind);
    EXPECT_EQ(f.code, h2h::to_errc(kind));
    EXPECT_EQ(f.detail, "test: why");
  }
}

TEST(store_errors, any_other_exception_is_fatal) {
  auto f = h2h::to_fault(std::out_of_range("test: a bug"));
  EXPECT_EQ(f.kind, store_failure::fatal);
  EXPECT_EQ(f.code, errc::internal);
  EXPECT_EQ(f.detail, "test: a bug");
}

TEST(store_errors, actors_answer_the_errc_with_the_detail) {
  auto err = h2h::to_error(
    h2h::make_fault(store_failure::conflict, "test: seq 7 is taken"));
  EXPECT_EQ(err.category(), caf::make_error(errc::seq_conflict).category());
  EXPECT_EQ(err.code(), static_cast<std::uint8_t>(errc::seq_conflict));
  auto ctx = err.context();
  ASSERT_TRUE(ctx.match_elements<std::string>());
  EXPECT_EQ(ctx.get_as<std::string>(0), "test: seq 7 is taken");
}

TEST(store_errors, attempt_turns_a_throw_into_a_fault_and_keeps_a_value) {
  auto ok = h2h::attempt([] { return 7; });
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 7);
  auto bad = h2h::attempt([]() -> int {
    throw h2h::store_error(store_failure::unavailable, "test: gone");
  });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::unavailable);
  auto none = h2h::attempt_void([] {});
  EXPECT_FALSE(none.has_value());
  auto thrown = h2h::attempt_void(
    [] { throw h2h::store_error(store_failure::fatal, "test: corrupt"); });
  ASSERT_TRUE(thrown.has_value());
  EXPECT_EQ(thrown->code, errc::internal);
}

} // namespace
