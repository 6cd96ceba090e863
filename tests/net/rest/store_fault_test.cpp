// How the REST layer answers a store job that failed: every store fault,
// whatever its kind, is 503 CHAT_006 "store unavailable, retry" (clients
// learn nothing of the store), the same bytes as before jobs were typed.
#include <gtest/gtest.h>

#include <optional>

#include "api_test_fixture.hpp"

using namespace h2h::test;
using json = nlohmann::json;

namespace {

class store_faults : public api_test {
protected:
  /// The answer of a REST job that throws `e`.
  template <class E>
  std::optional<h2h::net::http_response> answer_to(E e) {
    std::optional<h2h::net::http_response> got;
    h2h::net::run_job(
      *ctx_, h2h::net::reply_shape{},
      [&got](h2h::net::http_response res) { got = std::move(res); },
      [e](h2h::store&) -> h2h::net::http_response { throw e; });
    return got;
  }

  static void
  expect_store_unavailable(const std::optional<h2h::net::http_response>& res,
                           const char* what) {
    ASSERT_TRUE(res) << what << ": no answer";
    EXPECT_EQ(res->result_int(), 503u) << what;
    auto body = json::parse(res->body(), nullptr, false);
    EXPECT_EQ(body, (json{{"status", 503},
                          {"code", "CHAT_006"},
                          {"message", "store unavailable, retry"}}))
      << what << ": " << res->body();
    EXPECT_EQ(res->count(boost::beast::http::field::retry_after), 0u) << what;
  }
};

TEST_P(store_faults, every_store_fault_answers_503_store_unavailable) {
  using h2h::store_failure;
  expect_store_unavailable(
    answer_to(h2h::store_error(store_failure::unavailable, "test: gone")),
    "unavailable");
  expect_store_unavailable(
    answer_to(h2h::store_error(store_failure::fatal, "test: corrupt")),
    "fatal");
  expect_store_unavailable(
    answer_to(h2h::store_error(store_failure::conflict, "test: taken")),
    "conflict");
  expect_store_unavailable(
    answer_to(h2h::store_error(store_failure::permanent, "test: too long")),
    "permanent");
  expect_store_unavailable(answer_to(std::runtime_error("test: a bug")),
                           "another exception");
}

TEST_P(store_faults, a_job_that_succeeds_answers_its_response) {
  std::optional<h2h::net::http_response> got;
  h2h::net::run_job(
    *ctx_, h2h::net::reply_shape{},
    [&got](h2h::net::http_response res) { got = std::move(res); },
    [](h2h::store& db) {
      db.ping();
      return h2h::net::json_response(h2h::net::reply_shape{}, 200, "{}");
    });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->result_int(), 200u);
  EXPECT_EQ(got->body(), "{}");
}

} // namespace

H2H_API_STORES(store_faults);
