// Route-level tests of the account side's hardening, on SQLite and MariaDB:
// verification-code guesses counted atomically under parallel requests.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "api_test_fixture.hpp"
#include "forwarding_store.hpp"

using namespace h2h::test;
using json = nlohmann::json;

namespace {

/// Holds each caller of code_for() until `expected` callers have read the
/// code (at most 5 s), so that every parallel guess reads before any of
/// them writes: the worst interleaving, every time.
struct read_gate {
  std::mutex mtx;
  std::condition_variable cv;
  int arrived = 0;
  int expected = 0;

  void pass() {
    std::unique_lock<std::mutex> lock{mtx};
    ++arrived;
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds{5},
                [this] { return arrived >= expected; });
  }
};

struct gated_store : forwarding_store {
  read_gate* gate = nullptr;

  std::optional<h2h::code_record> code_for(const std::string& email) override {
    auto c = inner->code_for(email);
    gate->pass();
    return c;
  }
};

/// The store of the calling thread (each thread has its own connection).
thread_local h2h::store* thread_store = nullptr;

class account_hardening : public api_test {
protected:
  api_response confirm(const std::string& email, const std::string& code,
                       const std::string& peer = "10.0.0.1") {
    return call(verb::post, "/auth/confirmVerificationCode",
                json{{"email", email}, {"verification_code", code}}, {}, peer);
  }

  api_response join(const std::string& email, const json& name,
                    const json& nickname) {
    return call(verb::post, "/auth/join",
                json{{"email", email},
                     {"name", name},
                     {"nickname", nickname},
                     {"password", std::string{good_password}}});
  }
};

// -- verification-code attempts -----------------------------------------------

TEST_P(account_hardening,
       parallel_wrong_guesses_cannot_pass_code_max_attempts) {
  auto code = request_code("alice@example.com");
  auto wrong = code == "000000" ? "111111" : "000000";
  constexpr int guesses = 12;
  ASSERT_LT(settings_.code_max_attempts, guesses);
  read_gate gate;
  gate.expected = guesses;
  std::vector<std::unique_ptr<gated_store>> stores;
  std::vector<std::string> peers;
  for (int i = 0; i < guesses; ++i) {
    auto s = std::make_unique<gated_store>();
    s->inner = open_store();
    s->gate = &gate;
    stores.push_back(std::move(s));
    peers.push_back(fresh_peer());
  }
  // Store jobs run on the calling thread, on that thread's connection.
  ctx_->run = [](h2h::store_job job, h2h::store_job_failed failed) {
    try {
      job(*thread_store);
    } catch (const h2h::store_error& e) {
      failed(e);
    }
  };
  std::vector<api_response> answers(guesses);
  std::vector<std::thread> threads;
  for (int i = 0; i < guesses; ++i)
    threads.emplace_back([&, i] {
      thread_store = stores[i].get();
      answers[i] = confirm("alice@example.com", wrong, peers[i]);
    });
  for (auto& t : threads)
    t.join();
  int evaluated = 0;
  int refused = 0;
  for (auto& a : answers) {
    auto c = a.body.value("code", "");
    evaluated += c == "AUTH_003";
    refused += c == "AUTH_004";
    EXPECT_TRUE(c == "AUTH_003" || c == "AUTH_004") << a.raw;
  }
  EXPECT_LE(evaluated, settings_.code_max_attempts)
    << "more parallel guesses were compared than auth.code_max_attempts";
  EXPECT_EQ(evaluated + refused, guesses);
  thread_store = db_.get();
  expect_error(confirm("alice@example.com", code), 401, "AUTH_004",
               "the right code after the limit");
}

TEST_P(account_hardening, a_right_guess_costs_no_attempt) {
  auto code = request_code("alice@example.com");
  auto wrong = code == "000000" ? "111111" : "000000";
  for (int i = 0; i + 1 < settings_.code_max_attempts; ++i)
    expect_error(confirm("alice@example.com", wrong), 401, "AUTH_003");
  EXPECT_EQ(confirm("alice@example.com", code).status, 200u);
  EXPECT_EQ(confirm("alice@example.com", code).status, 200u)
    << "confirming again (a client's retry) still works";
  expect_error(confirm("alice@example.com", wrong), 401, "AUTH_003",
               "the last wrong guess allowed");
  expect_error(confirm("alice@example.com", wrong), 401, "AUTH_004",
               "beyond the limit");
  EXPECT_EQ(join("alice@example.com", "Alice", "alice").status, 201u)
    << "the confirmation stays valid";
}

TEST_P(account_hardening, a_new_code_starts_a_new_count) {
  auto first = request_code("alice@example.com");
  auto wrong = first == "000000" ? "111111" : "000000";
  for (int i = 0; i < settings_.code_max_attempts; ++i)
    confirm("alice@example.com", wrong);
  auto second = request_code("alice@example.com");
  EXPECT_EQ(confirm("alice@example.com", second).status, 200u);
}

} // namespace

H2H_API_STORES(account_hardening);
