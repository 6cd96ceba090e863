// Route-level tests of POST /member/report and DELETE /member/delete/{id}:
// authorization (someone else's id is refused), each error code, the rate
// limit, what a report stores, and what a deletion removes and keeps.
// SQLite and MariaDB.
#include <gtest/gtest.h>

#include "api_test_fixture.hpp"

using namespace h2h::test;
using json = nlohmann::json;

namespace {

class report_routes : public api_test {
protected:
  void adjust(h2h::net::api_settings& s) override {
    s.reports_per_hour = 3;
  }

  api_response report(const account& a, const json& body) {
    return call(verb::post, "/member/report", body, a.access_token);
  }

  /// `who` said `text` in `room` (a public room both may share).
  void said(const std::string& room, const account& who, std::uint64_t seq,
            const std::string& text) {
    h2h::room_event ev;
    ev.room_id = room;
    ev.seq = seq;
    ev.sender = who.nickname;
    ev.sender_id = who.member_id;
    ev.text = text;
    ev.ts_ms = now_ms() + static_cast<std::int64_t>(seq);
    ASSERT_TRUE(db_->append({ev}).front().stored());
  }
};

using delete_routes = report_routes;

} // namespace

TEST_P(report_routes, a_report_is_stored_with_the_targets_recent_messages) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  db_->load_room("lobby", 0);
  db_->add_room_member("lobby", a.member_id);
  db_->add_room_member("lobby", b.member_id);
  db_->load_room("elsewhere", 0);
  db_->add_room_member("elsewhere", b.member_id);
  said("lobby", b, 1, "buy cheap stuff");
  said("lobby", a, 2, "stop it");
  said("lobby", b, 3, "never");
  said("elsewhere", b, 1, "not shared with alice");
  auto res = report(a, {{"member_id", a.member_id},
                        {"target_id", std::to_string(b.member_id)},
                        {"reason", "spam"}});
  ASSERT_EQ(res.status, 200u) << res.raw;
  EXPECT_EQ(res.body,
            (json{{"member_id", a.member_id}, {"target_id", b.member_id}}));
  auto stored = db_->reports(b.member_id, 10);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].reporter_id, a.member_id);
  EXPECT_EQ(stored[0].reason, "spam");
  EXPECT_EQ(stored[0].created_ms, now_ms());
  auto context = json::parse(stored[0].context);
  ASSERT_EQ(context.size(), 2u) << context;
  EXPECT_EQ(context[0]["message"], "never"); // newest first
  EXPECT_EQ(context[0]["roomId"], "lobby");
  EXPECT_EQ(context[0]["seq"], 3);
  EXPECT_EQ(context[1]["message"], "buy cheap stuff");
  // Without a reason (or an empty one, as the app may send) it is stored
  // too, with no shared messages an empty context.
  auto c = sign_up("carol");
  ASSERT_EQ(
    report(c, {{"member_id", c.member_id}, {"target_id", b.member_id}}).status,
    200u);
  ASSERT_EQ(report(c, {{"member_id", c.member_id},
                       {"target_id", b.member_id},
                       {"reason", ""}})
              .status,
            200u);
  stored = db_->reports(b.member_id, 10);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0].reason, "");
  EXPECT_EQ(stored[0].context, "[]");
}

TEST_P(report_routes, refuses_others_ids_unknown_targets_and_bad_fields) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  expect_error(
    report(a, {{"member_id", b.member_id}, {"target_id", a.member_id}}), 403,
    "GLOBAL_105", "someone else's member_id");
  expect_error(report(a, {{"member_id", a.member_id}, {"target_id", 424242}}),
               400, "MEMBER_005", "no such target");
  expect_error(report(a, {{"member_id", a.member_id}, {"target_id", "x"}}), 400,
               "MEMBER_005", "a target that is no id");
  expect_error(report(a, {{"member_id", a.member_id}}), 400, "MEMBER_005",
               "no target");
  expect_error(report(a, {{"target_id", b.member_id}}), 400, "MEMBER_005",
               "no member_id");
  expect_error(
    report(a, {{"member_id", a.member_id}, {"target_id", a.member_id}}), 400,
    "MEMBER_005", "oneself");
  expect_error(report(a, {{"member_id", a.member_id},
                          {"target_id", b.member_id},
                          {"reason", std::string(501, 'x')}}),
               400, "GLOBAL_002", "a reason of 501 characters");
  expect_error(report(a, {{"member_id", a.member_id},
                          {"target_id", b.member_id},
                          {"reason", 5}}),
               400, "GLOBAL_002", "a reason that is no string");
  expect_error(
    call(verb::post, "/member/report",
         json{{"member_id", a.member_id}, {"target_id", b.member_id}}),
    400, "GLOBAL_103", "no token");
  EXPECT_TRUE(db_->reports(0, 10).empty());
  EXPECT_EQ(report(a, {{"member_id", a.member_id},
                       {"target_id", b.member_id},
                       {"reason", std::string(500, 'x')}})
              .status,
            200u);
}

TEST_P(report_routes, reports_are_limited_per_reporter_and_hour) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto c = sign_up("carol");
  json body{{"member_id", a.member_id}, {"target_id", b.member_id}};
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(report(a, body).status, 200u) << i;
  expect_error(report(a, body), 429, "GLOBAL_429", "the fourth in an hour");
  // Another reporter is not affected; an hour later alice may again.
  EXPECT_EQ(
    report(c, {{"member_id", c.member_id}, {"target_id", b.member_id}}).status,
    200u);
  advance_s(3601);
  EXPECT_EQ(report(a, body).status, 200u);
  EXPECT_EQ(db_->reports(b.member_id, 10).size(), 5u);
}

// Before: the limit was charged before the session was checked, so a
// logged-out (stolen) token used up its member's reports for the hour.
TEST_P(report_routes, a_logged_out_token_does_not_use_up_the_limit) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto old = a;
  log_in(a);
  ASSERT_EQ(
    call(verb::post, "/auth/logout", std::nullopt, old.access_token).status,
    200u);
  json body{{"member_id", a.member_id}, {"target_id", b.member_id}};
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(report(old, body).status, 400u) << i;
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(report(a, body).status, 200u) << i;
  EXPECT_EQ(db_->reports(b.member_id, 10).size(), 3u);
}

// -- DELETE /member/delete/{member_id} ----------------------------------------

TEST_P(delete_routes, only_the_own_account_and_once) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto target = [](const account& x) {
    return "/member/delete/" + std::to_string(x.member_id);
  };
  expect_error(call(verb::delete_, target(b), std::nullopt, a.access_token),
               403, "GLOBAL_105", "bob's account with alice's token");
  expect_error(
    call(verb::delete_, "/member/delete/abc", std::nullopt, a.access_token),
    400, "MEMBER_005", "no id");
  expect_error(call(verb::delete_, target(a)), 400, "GLOBAL_103", "no token");
  EXPECT_TRUE(db_->member_by_id(b.member_id));
  auto res = call(verb::delete_, target(a), std::nullopt, a.access_token);
  EXPECT_EQ(res.status, 204u) << res.raw;
  EXPECT_EQ(res.raw, "");
  expect_error(call(verb::delete_, target(a), std::nullopt, a.access_token),
               400, "GLOBAL_103", "a second delete");
  EXPECT_FALSE(db_->member_by_id(a.member_id));
  EXPECT_TRUE(db_->member_by_id(b.member_id));
}

TEST_P(delete_routes, tokens_logins_and_devices_go_and_the_email_is_free) {
  auto a = sign_up("alice");
  auto second = a;
  log_in(second); // another device's session
  ASSERT_EQ(call(verb::post, "/member/device",
                 json{{"token", "fcm-1"}, {"platform", "android"}},
                 a.access_token)
              .status,
            201u);
  std::vector<std::int64_t> ended;
  ctx_->end_member = [&](std::int64_t id) { ended.push_back(id); };
  ASSERT_EQ(call(verb::delete_, "/member/delete/" + std::to_string(a.member_id),
                 std::nullopt, a.access_token)
              .status,
            204u);
  EXPECT_EQ(ended, std::vector<std::int64_t>{a.member_id});
  for (auto* x : {&a, &second}) {
    expect_error(
      call(verb::get, "/auth/verifyAccessToken", std::nullopt, x->access_token),
      400, "GLOBAL_103", "an access token");
    expect_error(call(verb::post, "/auth/reissueToken",
                      json{{"member_id", a.member_id},
                           {"refresh_token", x->refresh_token}}),
                 401, "AUTH_007", "a refresh token");
  }
  expect_error(call(verb::post, "/auth/login",
                    json{{"email", a.email}, {"password", a.password}},
                    std::string{}, fresh_peer()),
               400, "AUTH_005", "login");
  EXPECT_TRUE(db_->devices_of(a.member_id).empty());
  // The same email (alice@example.com) signs up again and gets a new id.
  auto again = sign_up("alice");
  EXPECT_NE(again.member_id, a.member_id);
  EXPECT_EQ(db_->member_by_email(a.email)->id, again.member_id);
}

TEST_P(delete_routes, history_keeps_the_messages_under_a_neutral_name) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  db_->load_room("lobby", 0);
  said("lobby", a, 1, "hi from alice");
  said("lobby", b, 2, "hi from bob");
  ASSERT_EQ(call(verb::delete_, "/member/delete/" + std::to_string(a.member_id),
                 std::nullopt, a.access_token)
              .status,
            204u);
  auto res = call(verb::get, "/messages/room/lobby?page=0&size=10",
                  std::nullopt, b.access_token);
  ASSERT_EQ(res.status, 200u) << res.raw;
  ASSERT_EQ(res.body.size(), 2u);
  EXPECT_EQ(res.body[0]["sender"], "deleted member");
  EXPECT_FALSE(res.body[0].contains("senderId")) << res.body[0];
  EXPECT_EQ(res.body[0]["message"], "hi from alice");
  EXPECT_EQ(res.body[1]["sender"], "bob");
  EXPECT_EQ(res.body[1]["senderId"], b.member_id);
  // Running rooms hear it (every room: no room id) to rewrite their rings.
  ASSERT_FALSE(changes_.empty());
  EXPECT_EQ(
    changes_.back(),
    (h2h::room_change{{}, h2h::room_change_kind::member_deleted, a.member_id}));
}

H2H_API_STORES(report_routes);
H2H_API_STORES(delete_routes);
