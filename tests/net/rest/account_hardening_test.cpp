// Route-level tests of the account side's hardening, on SQLite and MariaDB:
// verification-code guesses counted atomically under parallel requests,
// names without control characters, and the purge of expired sessions,
// refresh tokens and codes.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "api_test_fixture.hpp"
#include "forwarding_store.hpp"
#include "net/rest/account_purge.hpp"

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

/// Runs store jobs at once on the calling thread's `thread_store`.
class thread_store_runner final : public h2h::store_runner {
public:
  bool enqueue(std::unique_ptr<h2h::store_job>& job) override {
    auto mine = std::move(job);
    h2h::run_job_on(*mine, *thread_store);
    return true;
  }
};

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

  /// Rows of `table`, counted on a connection of its own.
  std::int64_t rows(const std::string& table) {
    auto c = open_sql();
    auto r = c->prepare("SELECT COUNT(*) FROM " + table).query({});
    return r->next() ? r->get_int(0) : -1;
  }

  h2h::purge_counts purge(std::size_t batch = 1000) {
    return db_->purge_expired(
      h2h::net::purge_cutoffs_at(now_ms(), settings_, batch));
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
  static thread_store_runner per_thread;
  ctx_->store_jobs = &per_thread;
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

// -- names --------------------------------------------------------------------

const std::vector<std::string> bad_names{
  "al\aice",      "two\nlines", "tab\there", std::string{"nul\0", 4},
  "del\x7f",      "c1\u0085",   "csi\u009b", "rlo\u202e",
  "lre\u202a",    "fsi\u2068",  "pdi\u2069", "line\u2028sep",
  "para\u2029sep"};

TEST_P(account_hardening, join_refuses_names_with_control_characters) {
  verify_email("alice@example.com");
  for (auto& bad : bad_names) {
    auto by_name = join("alice@example.com", bad, "alice");
    expect_error(by_name, 400, "GLOBAL_002", "name " + json(bad).dump());
    EXPECT_NE(by_name.body.value("message", "").find("name"), std::string::npos)
      << by_name.raw;
    expect_error(join("alice@example.com", "Alice", bad), 400, "GLOBAL_002",
                 "nickname " + json(bad).dump());
  }
  EXPECT_FALSE(db_->member_by_email("alice@example.com"));
  EXPECT_EQ(join("alice@example.com", "Alice", "alice").status, 201u);
}

TEST_P(account_hardening, join_and_profile_accept_names_in_any_script) {
  verify_email("zoe@example.com");
  auto res
    = join("zoe@example.com", "Zoë Ångström", "김철수 محمد\u200f 🙂");
  ASSERT_EQ(res.status, 201u) << res.raw;
  auto a = sign_up("alice");
  auto p
    = call(verb::patch, "/member/profile",
           json{{"name", "Ἀλίκη"}, {"nickname", "アリス"}}, a.access_token);
  EXPECT_EQ(p.status, 200u) << p.raw;
}

TEST_P(account_hardening, profile_refuses_names_with_control_characters) {
  auto a = sign_up("alice");
  for (auto& bad : bad_names)
    for (auto key : {"name", "nickname"})
      expect_error(
        call(verb::patch, "/member/profile", json{{key, bad}}, a.access_token),
        400, "GLOBAL_002", std::string{key} + json(bad).dump());
  auto m = db_->member_by_id(a.member_id);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->name, a.name);
  EXPECT_EQ(m->nickname, "alice");
}

// -- purge --------------------------------------------------------------------

TEST_P(account_hardening, purge_deletes_what_expired_and_keeps_what_lives) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  ASSERT_EQ(
    call(verb::post, "/auth/logout", std::nullopt, b.access_token).status,
    200u);
  request_code("carol@example.com");
  ASSERT_EQ(rows("sessions"), 2);
  ASSERT_EQ(rows("verification_codes"), 3);

  auto now = purge();
  EXPECT_EQ(now.sessions, 1u) << "bob's session was revoked";
  EXPECT_EQ(now.codes, 0u);
  EXPECT_EQ(rows("sessions"), 1);
  EXPECT_EQ(
    call(verb::get, "/auth/verifyAccessToken", std::nullopt, a.access_token)
      .status,
    200u);

  // Codes go once they can no longer allow a join.
  advance_s(settings_.code_ttl_s + settings_.verified_join_window_s - 1);
  EXPECT_EQ(purge().codes, 0u);
  advance_s(2);
  EXPECT_EQ(purge().codes, 3u);
  EXPECT_EQ(rows("verification_codes"), 0);

  // Refresh tokens and alice's session outlive the refresh token's end by
  // an access token's lifetime.
  advance_s(settings_.refresh_ttl_s);
  auto late = purge();
  EXPECT_EQ(late.sessions, 0u);
  EXPECT_EQ(late.refresh_tokens, 0u);
  EXPECT_EQ(rows("sessions"), 1);
  advance_s(settings_.access_ttl_s);
  auto gone = purge();
  EXPECT_EQ(gone.sessions, 1u);
  EXPECT_EQ(gone.refresh_tokens, 2u) << "alice's and bob's refresh tokens";
  EXPECT_EQ(rows("sessions"), 0);
  EXPECT_EQ(rows("refresh_tokens"), 0);
  EXPECT_TRUE(db_->member_by_id(a.member_id)) << "members stay";
}

TEST_P(account_hardening, purge_keeps_a_session_whose_token_was_reissued) {
  auto a = sign_up("alice");
  advance_s(settings_.refresh_ttl_s - 10);
  auto r = call(
    verb::post, "/auth/reissueToken",
    json{{"member_id", a.member_id}, {"refresh_token", a.refresh_token}});
  ASSERT_EQ(r.status, 200u) << r.raw;
  advance_s(settings_.access_ttl_s + 20);
  auto n = purge();
  EXPECT_EQ(n.sessions, 0u);
  EXPECT_EQ(n.refresh_tokens, 1u) << "only the used, expired token";
  auto again
    = call(verb::post, "/auth/reissueToken",
           json{{"member_id", a.member_id},
                {"refresh_token", r.body["refresh_token"].get<std::string>()}});
  EXPECT_EQ(again.status, 200u) << again.raw;
}

TEST_P(account_hardening, purge_deletes_at_most_a_batch_of_each_kind) {
  for (auto name : {"a", "b", "c", "d", "e"})
    request_code(std::string{name} + "@example.com");
  advance_s(settings_.code_ttl_s + settings_.verified_join_window_s + 1);
  auto first = purge(2);
  EXPECT_EQ(first.codes, 2u);
  EXPECT_TRUE(first.more);
  EXPECT_EQ(purge(2).codes, 2u);
  auto last = purge(2);
  EXPECT_EQ(last.codes, 1u);
  EXPECT_FALSE(last.more);
  EXPECT_EQ(rows("verification_codes"), 0);
}

TEST_P(account_hardening, purge_run_reports_a_backlog) {
  for (auto name : {"a", "b", "c"})
    request_code(std::string{name} + "@example.com");
  advance_s(settings_.code_ttl_s + settings_.verified_join_window_s + 1);
  auto cut = h2h::net::purge_cutoffs_at(now_ms(), settings_, 2);
  EXPECT_TRUE(h2h::net::purge_accounts(*db_, cut));
  EXPECT_FALSE(h2h::net::purge_accounts(*db_, cut));
  EXPECT_EQ(rows("verification_codes"), 0);
}

} // namespace

H2H_API_STORES(account_hardening);
