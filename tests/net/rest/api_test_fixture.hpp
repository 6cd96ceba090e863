// The REST API in-process, without sockets: a real store (SQLite or MariaDB),
// a fake clock, a recording mailer and the router, for route-level tests.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "net/rest/api.hpp"
#include "net/outbound/mailer.hpp"
#include "net/http/router.hpp"
#include "persistence/sql/sql.hpp"
#include "persistence/store.hpp"

namespace h2h::test {

/// One mail the API sent.
struct recorded_mail {
  std::string to;
  std::string subject;
  std::string body;
};

/// A mailer that keeps what it is asked to send. Thread-safe.
class recording_mailer final : public net::mailer {
public:
  void send(const std::string& to, const std::string& subject,
            const std::string& body) override;
  bool delivers() const override {
    return false;
  }

  std::vector<recorded_mail> mails() const;

  /// The six-digit code of the newest mail to `to`; empty when there is none.
  std::string last_code(const std::string& to) const;

private:
  mutable std::mutex mtx_;
  std::vector<recorded_mail> mails_;
};

/// What one dispatched request answered.
struct api_response {
  unsigned status = 0;
  /// The parsed body; null when the body is empty or not JSON.
  nlohmann::json body;
  std::string raw;
  std::map<std::string, std::string> headers;
};

/// A member who signed up and logged in.
struct account {
  std::int64_t member_id = 0;
  std::string email;
  std::string name;
  std::string nickname;
  std::string password;
  std::string access_token;
  std::string refresh_token;
};

/// The password every helper-made member has (meets the original rule).
inline constexpr std::string_view good_password = "Passw0rd!";

/// The JWT key of the fixture (32+ bytes).
inline constexpr std::string_view test_jwt_secret
  = "h2h-api-tests-0123456789-abcdefghijklmnop";

/// Builds the API over a fresh store of the kind GetParam() names
/// ("sqlite" or "mysql"; the latter skips without H2H_TEST_MYSQL_URL).
class api_test : public ::testing::TestWithParam<std::string> {
protected:
  using verb = boost::beast::http::verb;
  using json = nlohmann::json;

  void SetUp() override;
  void TearDown() override;

  /// Settings before the context is built; tests may change them here.
  virtual void adjust(net::api_settings&) {
  }

  /// Dispatches one request through the router; a JSON body is sent with
  /// Content-Type application/json, a token as `Authorization: Bearer`.
  /// `headers` are set last (they may override both).
  api_response call(verb method, const std::string& target,
                    const std::optional<json>& body = std::nullopt,
                    const std::string& token = {},
                    const std::string& peer = "10.0.0.1",
                    const std::map<std::string, std::string>& headers = {});

  /// Like call() with a raw body (no Content-Type unless given in headers).
  api_response call_raw(verb method, const std::string& target,
                        const std::string& body,
                        const std::map<std::string, std::string>& headers,
                        const std::string& peer = "10.0.0.1");

  /// Moves the fake clock forward.
  void advance_ms(std::int64_t ms) {
    now_ms_ += ms;
  }
  void advance_s(std::int64_t s) {
    now_ms_ += s * 1000;
  }
  std::int64_t now_ms() const {
    return now_ms_;
  }

  /// An address no other helper call uses (per-peer limits stay clear).
  std::string fresh_peer();

  /// POST /auth/emailVerificationCode (202 required); returns the code
  /// read from the mail.
  std::string request_code(const std::string& email);

  /// Sends, reads and confirms a code for `email` (200 required).
  void verify_email(const std::string& email);

  /// The whole sign-up: verify the email, join, log in.
  account sign_up(const std::string& nickname);

  /// POST /auth/login (200 required) and fills the tokens of `a`.
  void log_in(account& a);

  /// The JSON body of a token's payload (no check).
  static json token_payload(const std::string& token);

  /// Another connection to the fixture's database (migrated), e.g. one
  /// per thread.
  std::unique_ptr<store> open_store() const;

  /// A plain SQL connection to the fixture's database, to look at tables.
  std::unique_ptr<sql::connection> open_sql() const;

  net::api_settings settings_;
  std::shared_ptr<net::api_context> ctx_;
  std::shared_ptr<recording_mailer> mail_;
  std::unique_ptr<store> db_;
  /// Store jobs run at once on `db_` (the context's store_jobs).
  std::unique_ptr<inline_store_runner> runner_;
  net::router router_;
  std::vector<room_change> changes_;
  /// Requests arrive as from a trusted proxy (request_meta).
  bool via_trusted_proxy_ = false;

private:
  std::int64_t now_ms_ = 1'700'000'000'000;
  std::string dir_;
  std::string mysql_base_;
  std::string mysql_db_;
  std::string sqlite_path_;
  std::string mysql_url_;
  int peers_ = 0;
};

/// Checks an error answer: the HTTP status, a body of exactly
/// {status, code, message} with the same status and the given code.
void expect_error(const api_response& res, unsigned status,
                  std::string_view code, const std::string& what = {});

/// The sorted keys of a JSON object.
std::vector<std::string> keys_of(const nlohmann::json& j);

/// Names parameterized tests after the store ("sqlite", "mysql").
std::string store_name(const ::testing::TestParamInfo<std::string>& info);

/// Thrown by helpers when a step that the test depends on fails.
struct step_failed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

} // namespace h2h::test

/// Instantiates `suite` over both stores.
#define H2H_API_STORES(suite)                                                  \
  INSTANTIATE_TEST_SUITE_P(stores, suite,                                      \
                           ::testing::Values("sqlite", "mysql"),               \
                           ::h2h::test::store_name)
