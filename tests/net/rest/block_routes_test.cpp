// Route-level tests of blocking: POST /member/block and /member/unblock,
// GET /member/getBlockingMembers, every error code, authorization (someone
// else's member_id is refused), the live-session hook, and invitations by a
// blocked member refused. SQLite and MariaDB.
#include <gtest/gtest.h>

#include "api_test_fixture.hpp"

using namespace h2h::test;
using json = nlohmann::json;

namespace {

struct told {
  std::int64_t member = 0;
  std::vector<std::int64_t> blocked;
};

class block_routes : public api_test {
protected:
  void adjust(h2h::net::api_settings& s) override {
    s.blocks_per_member = 3;
  }

  void SetUp() override {
    api_test::SetUp();
    ctx_->blocks_changed = [this](std::int64_t member,
                                  std::vector<std::int64_t> blocked,
                                  std::function<void()> done) {
      tells_.push_back({member, std::move(blocked)});
      done();
    };
  }

  api_response block(const account& by, const json& body,
                     bool blocking = true) {
    return call(verb::post, blocking ? "/member/block" : "/member/unblock",
                body, by.access_token);
  }

  api_response block(const account& by, const account& target,
                     bool blocking = true) {
    return block(by,
                 json{{"member_id", by.member_id},
                      {"target_id", target.member_id}},
                 blocking);
  }

  api_response list(const account& by, const std::string& query) {
    return call(verb::get, "/member/getBlockingMembers" + query, std::nullopt,
                by.access_token);
  }

  std::vector<told> tells_;
};

std::string id_of(const account& a) {
  return std::to_string(a.member_id);
}

} // namespace

TEST_P(block_routes, block_and_unblock_echo_the_ids_and_tell_the_sessions) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto res = block(a, b);
  ASSERT_EQ(res.status, 200u) << res.raw;
  EXPECT_EQ(res.body,
            (json{{"member_id", a.member_id}, {"target_id", b.member_id}}));
  ASSERT_EQ(tells_.size(), 1u);
  EXPECT_EQ(tells_[0].member, a.member_id);
  EXPECT_EQ(tells_[0].blocked, std::vector<std::int64_t>{b.member_id});
  // Ids as strings, as the app may send them.
  res = block(a, json{{"member_id", id_of(a)}, {"target_id", id_of(b)}}, false);
  ASSERT_EQ(res.status, 200u) << res.raw;
  EXPECT_EQ(res.body,
            (json{{"member_id", a.member_id}, {"target_id", b.member_id}}));
  ASSERT_EQ(tells_.size(), 2u);
  EXPECT_TRUE(tells_[1].blocked.empty());
}

TEST_P(block_routes, blocking_twice_answers_member_006) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  ASSERT_EQ(block(a, b).status, 200u);
  expect_error(block(a, b), 400, "MEMBER_006", "already blocking");
  EXPECT_EQ(tells_.size(), 1u) << "nothing changed, nothing told";
}

TEST_P(block_routes, an_unknown_or_invalid_target_answers_member_005) {
  auto a = sign_up("alice");
  auto mine = a.member_id;
  expect_error(block(a, json{{"member_id", mine}, {"target_id", mine + 99}}),
               400, "MEMBER_005", "unknown target");
  expect_error(
    block(a, json{{"member_id", mine}, {"target_id", mine + 99}}, false), 400,
    "MEMBER_005", "unknown target, unblock");
  expect_error(block(a, json{{"member_id", mine}, {"target_id", "x1"}}), 400,
               "MEMBER_005", "not a number");
  expect_error(block(a, json{{"member_id", mine}, {"target_id", -3}}), 400,
               "MEMBER_005", "negative");
  expect_error(block(a, json{{"member_id", mine}}), 400, "MEMBER_005",
               "missing target");
  expect_error(block(a, json{{"member_id", "abc"}, {"target_id", mine}}), 400,
               "MEMBER_005", "invalid member_id");
  EXPECT_TRUE(tells_.empty());
}

TEST_P(block_routes, someone_elses_member_id_is_refused_everywhere) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto c = sign_up("carol");
  auto as_b = json{{"member_id", b.member_id}, {"target_id", c.member_id}};
  expect_error(block(a, as_b), 403, "GLOBAL_105", "block");
  expect_error(block(a, as_b, false), 403, "GLOBAL_105", "unblock");
  expect_error(list(a, "?member_id=" + id_of(b)), 403, "GLOBAL_105", "list");
  EXPECT_TRUE(tells_.empty());
  // Without a token nothing is answered.
  auto res = call(verb::post, "/member/block", as_b);
  expect_error(res, 400, "GLOBAL_103", "no token");
  res = call(verb::get, "/member/getBlockingMembers");
  expect_error(res, 400, "GLOBAL_103", "no token, list");
}

TEST_P(block_routes, blocking_yourself_is_refused) {
  auto a = sign_up("alice");
  expect_error(block(a, a), 400, "GLOBAL_002", "yourself");
}

TEST_P(block_routes, the_block_list_is_bounded_with_member_007) {
  auto a = sign_up("alice");
  std::vector<account> others;
  for (auto* nick : {"b1", "b2", "b3", "b4"})
    others.push_back(sign_up(nick));
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(block(a, others[i]).status, 200u);
  expect_error(block(a, others[3]), 400, "MEMBER_007", "past the bound");
  ASSERT_EQ(block(a, others[0], false).status, 200u);
  EXPECT_EQ(block(a, others[3]).status, 200u);
}

TEST_P(block_routes, unblocking_someone_not_blocked_answers_200_and_tells_no_one) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto res = block(a, b, false);
  ASSERT_EQ(res.status, 200u) << res.raw;
  EXPECT_EQ(res.body,
            (json{{"member_id", a.member_id}, {"target_id", b.member_id}}));
  EXPECT_TRUE(tells_.empty());
}

TEST_P(block_routes, the_list_shows_the_blocked_members_fields) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto c = sign_up("carol");
  auto empty = list(a, "?member_id=" + id_of(a));
  ASSERT_EQ(empty.status, 200u) << empty.raw;
  EXPECT_EQ(empty.body, (json{{"size", 0}, {"members", json::array()}}));
  ASSERT_EQ(block(a, c).status, 200u);
  advance_ms(1); // the list is in the order of blocking
  ASSERT_EQ(block(a, b).status, 200u);
  auto res = list(a, "?member_id=" + id_of(a));
  ASSERT_EQ(res.status, 200u) << res.raw;
  EXPECT_EQ(res.body["size"], 2);
  ASSERT_EQ(res.body["members"].size(), 2u);
  auto first = res.body["members"][0];
  EXPECT_EQ(keys_of(first), (std::vector<std::string>{
                              "avatar_url", "email", "id", "name", "nickname"}));
  EXPECT_EQ(first["id"], c.member_id);
  EXPECT_EQ(first["email"], c.email);
  EXPECT_EQ(first["nickname"], c.nickname);
  EXPECT_EQ(first["name"], c.name);
  EXPECT_EQ(first["avatar_url"], "");
  EXPECT_EQ(res.body["members"][1]["id"], b.member_id);
  // Without member_id: the caller's own list.
  EXPECT_EQ(list(a, "").body, res.body);
  // Bob blocks nobody.
  EXPECT_EQ(list(b, "").body["size"], 0);
  expect_error(list(a, "?member_id=zz"), 400, "MEMBER_005", "invalid id");
}

TEST_P(block_routes, the_list_shows_the_absolute_avatar_url_of_the_profile) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  h2h::avatar_record av;
  av.member_id = b.member_id;
  av.hash = std::string(64, 'a');
  av.mime = "image/png";
  av.bytes = "png";
  av.created_ms = 1;
  ASSERT_TRUE(db_->put_avatar(av));
  ASSERT_EQ(block(a, b).status, 200u);
  auto profile = call(verb::get, "/member/profile?member_id=" + id_of(b),
                      std::nullopt, a.access_token);
  ASSERT_EQ(profile.status, 200u);
  auto url = profile.body["avatar_url"].get<std::string>();
  ASSERT_EQ(url.rfind("http://", 0), 0u) << url;
  EXPECT_EQ(list(a, "").body["members"][0]["avatar_url"], url);
}

TEST_P(block_routes, a_member_is_not_invited_by_someone_they_block) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto make = [&](const account& owner) {
    auto res = call(verb::post, "/chat/room",
                    json{{"name", "priv"}, {"private", true}},
                    owner.access_token);
    EXPECT_EQ(res.status, 201u) << res.raw;
    return res.body.value("roomId", std::string{});
  };
  auto room = make(b);
  ASSERT_EQ(block(a, b).status, 200u); // alice blocks bob
  auto res = call(verb::post, "/chat/room/" + room + "/members",
                  json{{"member_id", a.member_id}}, b.access_token);
  expect_error(res, 403, "GLOBAL_105", "bob invites alice");
  // The other way round is allowed: blocking is alice's choice.
  auto hers = make(a);
  res = call(verb::post, "/chat/room/" + hers + "/members",
             json{{"member_id", b.member_id}}, a.access_token);
  EXPECT_EQ(res.status, 201u) << res.raw;
  // After an unblock bob may invite her again.
  ASSERT_EQ(block(a, b, false).status, 200u);
  res = call(verb::post, "/chat/room/" + room + "/members",
             json{{"member_id", a.member_id}}, b.access_token);
  EXPECT_EQ(res.status, 201u) << res.raw;
}

H2H_API_STORES(block_routes);
