// Route-level tests of the auth endpoints' edges: the session-end hook of
// logout and refresh-token reuse, password and mail work on lanes of their
// own (503 when full), and per-address limits by IPv6 /64.
#include <gtest/gtest.h>

#include "api_test_fixture.hpp"

using namespace h2h::test;
using json = nlohmann::json;

namespace {

class auth_edges : public api_test {
protected:
  void SetUp() override {
    api_test::SetUp();
    if (IsSkipped() || !ctx_)
      return;
    ctx_->end_session
      = [this](const std::string& sid) { ended_.push_back(sid); };
  }

  std::string session_of(const std::string& token) {
    return token_payload(token).value("sid", "");
  }

  /// A lane that counts its jobs and runs them like the store (the
  /// fixture's inline runner), or refuses them all when `full`.
  struct lane_runner final : h2h::store_runner {
    h2h::store_runner* inner = nullptr;
    int jobs = 0;
    bool full = false;
    bool enqueue(std::unique_ptr<h2h::store_job>& job) override {
      if (full)
        return false;
      ++jobs;
      return inner->enqueue(job);
    }
  };

  /// Lanes that run inline like the store and count.
  void count_lanes() {
    password_lane_.inner = ctx_->store_jobs;
    ctx_->password_jobs = &password_lane_;
    ctx_->reserve_mail = [this] {
      ++mail_jobs_;
      return h2h::net::mail_ticket{[](h2h::net::mail_job m) { m.send(); },
                                   [] {}};
    };
  }

  std::vector<std::string> ended_;
  lane_runner password_lane_;
  int mail_jobs_ = 0;
};

TEST_P(auth_edges, logout_ends_the_session_on_this_node) {
  auto a = sign_up("alice");
  ASSERT_TRUE(ended_.empty());
  auto res = call(verb::post, "/auth/logout", json::object(), a.access_token);
  ASSERT_EQ(res.status, 200u) << res.raw;
  ASSERT_EQ(ended_.size(), 1u);
  EXPECT_EQ(ended_[0], session_of(a.access_token));
  EXPECT_FALSE(ended_[0].empty());
}

TEST_P(auth_edges, a_reused_refresh_token_ends_the_session_on_this_node) {
  auto a = sign_up("alice");
  auto body
    = json{{"member_id", a.member_id}, {"refresh_token", a.refresh_token}};
  ASSERT_EQ(call(verb::post, "/auth/reissueToken", body).status, 200u);
  EXPECT_TRUE(ended_.empty()) << "a normal rotation ends nothing";
  advance_ms(settings_.refresh_reuse_grace_ms + 1);
  expect_error(call(verb::post, "/auth/reissueToken", body), 401, "AUTH_007",
               "the reused token");
  ASSERT_EQ(ended_.size(), 1u);
  EXPECT_EQ(ended_[0], session_of(a.access_token));
}

TEST_P(auth_edges, password_and_mail_work_run_on_their_own_lanes) {
  count_lanes();
  auto a = sign_up("alice"); // a code mail, a join and a login
  EXPECT_EQ(mail_jobs_, 1);
  EXPECT_EQ(password_lane_.jobs, 2);
  log_in(a);
  EXPECT_EQ(password_lane_.jobs, 3);
  // Other calls stay on the store workers.
  auto res
    = call(verb::get, "/auth/verifyAccessToken", std::nullopt, a.access_token);
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(password_lane_.jobs, 3);
  EXPECT_EQ(mail_jobs_, 1);
}

TEST_P(auth_edges, a_full_lane_answers_503_with_retry_after_at_once) {
  auto a = sign_up("alice");
  password_lane_.full = true;
  ctx_->password_jobs = &password_lane_;
  ctx_->reserve_mail = [] { return h2h::net::mail_ticket{}; };
  auto login = call(verb::post, "/auth/login",
                    json{{"email", a.email}, {"password", a.password}}, {},
                    fresh_peer());
  expect_error(login, 503, "CHAT_006", "login with the password lane full");
  EXPECT_EQ(login.headers["Retry-After"], "1");
  auto join = call(verb::post, "/auth/join",
                   json{{"email", "bob@example.com"},
                        {"name", "Bob"},
                        {"nickname", "bob"},
                        {"password", std::string{good_password}}});
  expect_error(join, 503, "CHAT_006", "join with the password lane full");
  auto code = call(verb::post, "/auth/emailVerificationCode",
                   json{{"email", "carol@example.com"}}, {}, fresh_peer());
  expect_error(code, 503, "CHAT_006", "a code with the mail lane full");
  EXPECT_EQ(code.headers["Retry-After"], "1");
}

// An IPv6 client owns its /64: rotating addresses inside it does not reset
// the per-address login limit (limits.login_attempts x 4 = 40).
TEST_P(auth_edges, ipv6_clients_are_limited_by_their_64) {
  auto attempt = [&](int i, const std::string& peer) {
    return call(verb::post, "/auth/login",
                json{{"email", "nobody" + std::to_string(i) + "@example.com"},
                     {"password", "Wrong#123"}},
                {}, peer)
      .status;
  };
  for (int i = 0; i < 40; ++i)
    ASSERT_EQ(attempt(i, "2001:db8:7:7::" + std::to_string(i + 1)), 400u) << i;
  EXPECT_EQ(attempt(40, "2001:db8:7:7:ffff::1"), 429u);
  EXPECT_EQ(attempt(41, "2001:db8:7:8::1"), 400u) << "the next /64";
}

} // namespace

H2H_API_STORES(auth_edges);
