// The REST API in-process over a real store, with a fake clock and a
// recording mailer (see api_test_fixture.hpp).
#include "api_test_fixture.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <filesystem>
#include <regex>

#include "mariadb.hpp"
#include "net/security/crypto.hpp"
#include "persistence/sql/sql_store.hpp"

namespace h2h::test {

namespace http = boost::beast::http;
using nlohmann::json;

// -- recording_mailer ---------------------------------------------------------

void recording_mailer::send(const std::string& to, const std::string& subject,
                            const std::string& body) {
  std::lock_guard<std::mutex> guard{mtx_};
  mails_.push_back({to, subject, body});
}

std::vector<recorded_mail> recording_mailer::mails() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return mails_;
}

std::string recording_mailer::last_code(const std::string& to) const {
  static const std::regex six_digits{"\\b([0-9]{6})\\b"};
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto i = mails_.rbegin(); i != mails_.rend(); ++i) {
    if (i->to != to)
      continue;
    std::smatch m;
    if (std::regex_search(i->body, m, six_digits))
      return m[1];
    return {};
  }
  return {};
}

// -- api_test -----------------------------------------------------------------

void api_test::SetUp() {
  static std::atomic<int> counter{0};
  auto n = std::to_string(getpid()) + "_" + std::to_string(++counter);
  if (GetParam() == "sqlite") {
    dir_ = "/tmp/h2h-api-" + n;
    std::filesystem::create_directories(dir_);
    sqlite_path_ = dir_ + "/h2h.db";
    db_ = make_sql_store(sql::open_sqlite(sqlite_path_));
  } else {
    mysql_base_ = shared_mysql_url();
    if (mysql_base_.empty())
      GTEST_SKIP() << "H2H_TEST_MYSQL_URL is not set (scripts/mariadb.sh "
                      "start DIR prints a URL for it)";
    auto url = fresh_mysql_database(mysql_base_);
    sql::mysql_target target;
    std::string problem;
    ASSERT_TRUE(sql::parse_mysql_url(url, target, problem)) << problem;
    mysql_db_ = target.database;
    mysql_url_ = url;
    db_ = make_sql_store(sql::open_mysql(target));
  }
  db_->migrate();

  settings_.jwt_secret = std::string{test_jwt_secret};
  settings_.cost.ops = 1;
  settings_.cost.memory_kib = 8;
  settings_.require_verification = true;
  adjust(settings_);
  ctx_ = std::make_shared<net::api_context>(settings_);
  ctx_->now_ms = [this] { return now_ms_; };
  runner_ = std::make_unique<inline_store_runner>(*db_);
  ctx_->store_jobs = runner_.get();
  mail_ = std::make_shared<recording_mailer>();
  ctx_->mail = mail_;
  ctx_->notify_rooms = [this](const room_change& c) { changes_.push_back(c); };
  net::add_api_routes(router_, ctx_);
}

void api_test::TearDown() {
  db_.reset();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  if (!mysql_db_.empty()) {
    try {
      sql::mysql_target base;
      std::string problem;
      if (sql::parse_mysql_url(mysql_base_, base, problem))
        sql::open_mysql(base)->exec("DROP DATABASE IF EXISTS " + mysql_db_);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cannot drop " << mysql_db_ << ": " << e.what();
    }
  }
}

api_response api_test::call_raw(
  verb method, const std::string& target, const std::string& body,
  const std::map<std::string, std::string>& headers, const std::string& peer) {
  net::http_request req{method, target, 11};
  req.set(http::field::host, "localhost");
  for (auto& [k, v] : headers)
    req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  int calls = 0;
  net::http_response got;
  router_.dispatch(std::move(req), net::request_meta{peer, via_trusted_proxy_},
                   [&](net::http_response res) {
                     ++calls;
                     got = std::move(res);
                   });
  EXPECT_EQ(calls, 1) << "responses to " << method << " " << target;
  api_response out;
  out.status = got.result_int();
  out.raw = got.body();
  if (!out.raw.empty()) {
    auto j = json::parse(out.raw, nullptr, false);
    if (!j.is_discarded())
      out.body = std::move(j);
  }
  for (auto& f : got)
    out.headers[std::string{f.name_string()}] = std::string{f.value()};
  return out;
}

api_response api_test::call(verb method, const std::string& target,
                            const std::optional<json>& body,
                            const std::string& token, const std::string& peer,
                            const std::map<std::string, std::string>& headers) {
  std::map<std::string, std::string> all;
  if (body)
    all["Content-Type"] = "application/json";
  if (!token.empty())
    all["Authorization"] = "Bearer " + token;
  for (auto& [k, v] : headers)
    all[k] = v;
  return call_raw(method, target, body ? body->dump() : std::string{}, all,
                  peer);
}

std::string api_test::fresh_peer() {
  ++peers_;
  return "10.1." + std::to_string(peers_ / 250) + "."
         + std::to_string(peers_ % 250 + 1);
}

std::string api_test::request_code(const std::string& email) {
  auto res = call(verb::post, "/auth/emailVerificationCode",
                  json{{"email", email}}, {}, fresh_peer());
  if (res.status != 202)
    throw step_failed("emailVerificationCode for " + email + ": "
                      + std::to_string(res.status) + " " + res.raw);
  auto code = mail_->last_code(email);
  if (code.size() != 6)
    throw step_failed("no code mailed to " + email);
  return code;
}

void api_test::verify_email(const std::string& email) {
  auto code = request_code(email);
  auto res = call(verb::post, "/auth/confirmVerificationCode",
                  json{{"email", email}, {"verification_code", code}}, {},
                  fresh_peer());
  if (res.status != 200)
    throw step_failed("confirmVerificationCode for " + email + ": "
                      + std::to_string(res.status) + " " + res.raw);
}

account api_test::sign_up(const std::string& nickname) {
  account a;
  a.nickname = nickname;
  a.name = "Name of " + nickname;
  a.email = nickname + "@example.com";
  std::transform(a.email.begin(), a.email.end(), a.email.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  a.password = std::string{good_password};
  verify_email(a.email);
  auto res = call(verb::post, "/auth/join",
                  json{{"email", a.email},
                       {"name", a.name},
                       {"nickname", a.nickname},
                       {"password", a.password}});
  if (res.status != 201 || !res.body.contains("member_id"))
    throw step_failed("join of " + a.email + ": " + std::to_string(res.status)
                      + " " + res.raw);
  a.member_id = res.body["member_id"].get<std::int64_t>();
  log_in(a);
  return a;
}

void api_test::log_in(account& a) {
  auto res = call(verb::post, "/auth/login",
                  json{{"email", a.email}, {"password", a.password}}, {},
                  fresh_peer());
  if (res.status != 200)
    throw step_failed("login of " + a.email + ": " + std::to_string(res.status)
                      + " " + res.raw);
  a.access_token = res.body.at("access_token").get<std::string>();
  a.refresh_token = res.body.at("refresh_token").get<std::string>();
}

std::unique_ptr<sql::connection> api_test::open_sql() const {
  if (!sqlite_path_.empty())
    return sql::open_sqlite(sqlite_path_);
  sql::mysql_target target;
  std::string problem;
  if (!sql::parse_mysql_url(mysql_url_, target, problem))
    throw step_failed("bad MySQL URL: " + problem);
  return sql::open_mysql(target);
}

std::unique_ptr<store> api_test::open_store() const {
  return make_sql_store(open_sql());
}

json api_test::token_payload(const std::string& token) {
  auto d1 = token.find('.');
  auto d2 = token.find('.', d1 + 1);
  std::string raw;
  if (d1 == std::string::npos || d2 == std::string::npos
      || !net::crypto::base64url_decode(token.substr(d1 + 1, d2 - d1 - 1), raw))
    return json{};
  return json::parse(raw, nullptr, false);
}

// -- free helpers -------------------------------------------------------------

std::vector<std::string> keys_of(const json& j) {
  std::vector<std::string> out;
  if (j.is_object())
    for (auto& [k, v] : j.items())
      out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

void expect_error(const api_response& res, unsigned status,
                  std::string_view code, const std::string& what) {
  EXPECT_EQ(res.status, status) << what << ": " << res.raw;
  EXPECT_EQ(keys_of(res.body),
            (std::vector<std::string>{"code", "message", "status"}))
    << what << ": " << res.raw;
  if (!res.body.is_object())
    return;
  EXPECT_EQ(res.body.value("code", ""), code) << what << ": " << res.raw;
  EXPECT_EQ(res.body.value("status", 0u), res.status)
    << what << ": the body's status differs from the HTTP status: " << res.raw;
  EXPECT_TRUE(res.body.contains("message") && res.body["message"].is_string()
              && !res.body["message"].get<std::string>().empty())
    << what << ": " << res.raw;
}

std::string store_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

} // namespace h2h::test
