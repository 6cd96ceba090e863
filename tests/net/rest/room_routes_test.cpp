// Route-level tests of rooms, membership and history (DESIGN.md §3.2) with
// the codes of §3.4, on SQLite and MariaDB.
#include <gtest/gtest.h>

#include <algorithm>

#include "api_test_fixture.hpp"

using namespace h2h::test;
using h2h::room_change;
using h2h::room_change_kind;
using json = nlohmann::json;
using strings = std::vector<std::string>;

namespace {

class room_routes : public api_test {
protected:
  /// POST /chat/room (201 required); returns the room id.
  std::string create_room(const account& owner, const std::string& name,
                          bool is_private) {
    auto res
      = call(verb::post, "/chat/room",
             json{{"name", name}, {"private", is_private}}, owner.access_token);
    if (res.status != 201)
      throw step_failed("create room: " + std::to_string(res.status) + " "
                        + res.raw);
    return res.body.at("roomId").get<std::string>();
  }

  api_response invite(const account& by, const std::string& room,
                      const json& member) {
    return call(verb::post, "/chat/room/" + room + "/members",
                json{{"member_id", member}}, by.access_token);
  }

  api_response remove_member(const account& by, const std::string& room,
                             const std::string& member) {
    return call(verb::delete_, "/chat/room/" + room + "/members/" + member,
                std::nullopt, by.access_token);
  }

  api_response get_room(const account& by, const std::string& room) {
    return call(verb::get, "/chat/room/" + room, std::nullopt, by.access_token);
  }

  /// The ids of GET /chat/rooms for `by`.
  strings listed(const account& by) {
    auto res = call(verb::get, "/chat/rooms", std::nullopt, by.access_token);
    EXPECT_EQ(res.status, 200u) << res.raw;
    strings out;
    for (auto& r : res.body)
      out.push_back(r.at("roomId"));
    std::sort(out.begin(), out.end());
    return out;
  }

  /// Stores `n` messages in `room` (seq 1..n) straight into the store.
  void store_messages(const std::string& room, const account& sender, int n) {
    std::vector<h2h::room_event> batch;
    for (int i = 1; i <= n; ++i) {
      h2h::room_event e;
      e.room_id = room;
      e.seq = static_cast<std::uint64_t>(i);
      e.kind = h2h::event_kind::message;
      e.sender = sender.nickname;
      e.sender_id = sender.member_id;
      e.text = "m" + std::to_string(i);
      e.ts_ms = now_ms() + i;
      batch.push_back(std::move(e));
    }
    db_->append(batch);
  }

  static std::vector<std::uint64_t> seqs(const json& list) {
    std::vector<std::uint64_t> out;
    for (auto& e : list)
      out.push_back(e.at("seq"));
    return out;
  }
};

using seq_list = std::vector<std::uint64_t>;

} // namespace

// -- POST /chat/room ----------------------------------------------------------

TEST_P(room_routes, create_answers_201_with_the_room) {
  auto a = sign_up("alice");
  auto res
    = call(verb::post, "/chat/room", json{{"name", "Lobby"}}, a.access_token);
  ASSERT_EQ(res.status, 201u) << res.raw;
  EXPECT_EQ(keys_of(res.body),
            (strings{"name", "ownerId", "private", "roomId"}));
  EXPECT_EQ(res.body["name"], "Lobby");
  EXPECT_EQ(res.body["ownerId"], a.member_id);
  EXPECT_EQ(res.body["private"], false) << "public unless asked";
  auto id = res.body["roomId"].get<std::string>();
  EXPECT_FALSE(id.empty());
  EXPECT_LE(id.size(), 64u);
  EXPECT_TRUE(std::all_of(
    id.begin(), id.end(),
    [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; }))
    << id;
  auto priv = call(verb::post, "/chat/room",
                   json{{"name", "Secret"}, {"private", true}}, a.access_token);
  ASSERT_EQ(priv.status, 201u);
  EXPECT_EQ(priv.body["private"], true);
  EXPECT_NE(priv.body["roomId"], id);
  auto got = get_room(a, priv.body["roomId"]);
  EXPECT_EQ(got.body["members"], json::array({a.member_id}))
    << "the owner is a member";
}

TEST_P(room_routes, create_refuses_bad_input) {
  auto a = sign_up("alice");
  for (auto bad : {json::object(), json{{"name", ""}}, json{{"name", 3}},
                   json{{"name", std::string(101, 'r')}},
                   json{{"name", "x"}, {"private", "yes"}}})
    expect_error(call(verb::post, "/chat/room", bad, a.access_token), 400,
                 "GLOBAL_002", bad.dump());
  expect_error(call(verb::post, "/chat/room", json{{"name", "x"}}), 400,
               "GLOBAL_103", "no token");
  EXPECT_TRUE(listed(a).empty());
}

// -- GET /chat/rooms and /chat/room/{id} --------------------------------------

TEST_P(room_routes, list_shows_public_rooms_and_own_private_rooms) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto pub = create_room(a, "public", false);
  auto a_priv = create_room(a, "alice only", true);
  auto b_priv = create_room(b, "bob only", true);
  db_->load_room("lobby", 0); // a room a client named over WebSocket
  auto mine = listed(a);
  EXPECT_NE(std::find(mine.begin(), mine.end(), pub), mine.end());
  EXPECT_NE(std::find(mine.begin(), mine.end(), a_priv), mine.end());
  EXPECT_NE(std::find(mine.begin(), mine.end(), "lobby"), mine.end());
  EXPECT_EQ(std::find(mine.begin(), mine.end(), b_priv), mine.end())
    << "bob's private room is hidden from alice";
  EXPECT_EQ(mine.size(), 3u);
  auto theirs = listed(b);
  EXPECT_EQ(theirs.size(), 3u);
  EXPECT_EQ(std::find(theirs.begin(), theirs.end(), a_priv), theirs.end());
  ASSERT_EQ(invite(b, b_priv, a.member_id).status, 201u);
  mine = listed(a);
  EXPECT_NE(std::find(mine.begin(), mine.end(), b_priv), mine.end())
    << "an invited member sees the private room";
  auto res = call(verb::get, "/chat/rooms", std::nullopt, a.access_token);
  for (auto& r : res.body) {
    EXPECT_EQ(keys_of(r), (strings{"name", "ownerId", "private", "roomId"}));
    if (r["roomId"] == "lobby") {
      EXPECT_TRUE(r["ownerId"].is_null()) << "a room nobody owns";
    }
  }
  expect_error(call(verb::get, "/chat/rooms"), 400, "GLOBAL_103", "no token");
}

TEST_P(room_routes, list_comes_in_pages_of_size_rooms) {
  auto a = sign_up("alice");
  strings made;
  for (int i = 0; i < 25; ++i) {
    made.push_back(create_room(a, "room " + std::to_string(i), false));
    advance_ms(1); // the list is ordered by creation
  }
  auto page_of = [&](const std::string& q) {
    auto res = call(verb::get, "/chat/rooms" + q, std::nullopt, a.access_token);
    EXPECT_EQ(res.status, 200u) << q << ": " << res.raw;
    strings out;
    for (auto& r : res.body)
      out.push_back(r.at("roomId"));
    return out;
  };
  auto slice = [&](std::size_t from, std::size_t n) {
    return strings(made.begin() + static_cast<long>(from),
                   made.begin()
                     + static_cast<long>(std::min(from + n, made.size())));
  };
  // Clients that send no parameters (all of them so far) get the first page.
  EXPECT_EQ(page_of(""), slice(0, 20));
  EXPECT_EQ(page_of("?page=1"), slice(20, 20));
  EXPECT_EQ(page_of("?page=2"), strings{});
  EXPECT_EQ(page_of("?size=10&page=2"), slice(20, 10));
  EXPECT_EQ(page_of("?size=100"), made);
  EXPECT_EQ(page_of("?page=0&size=1"), slice(0, 1));
  for (auto q : {"?page=-1", "?size=0", "?size=101", "?size=x",
                 "?page=", "?page=1000001", "?size=1e3"})
    expect_error(call(verb::get, std::string{"/chat/rooms"} + q, std::nullopt,
                      a.access_token),
                 400, "GLOBAL_002", q);
  expect_error(call(verb::get, "/chat/rooms?size=0"), 400, "GLOBAL_103",
               "the token is checked first");
}

TEST_P(room_routes, a_room_created_by_enter_is_its_creators_to_delete) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  // What the store worker does for an authenticated ENTER of a new room.
  h2h::room_record r;
  r.id = "lobby";
  r.name = "lobby";
  r.owner_id = a.member_id;
  r.created_ms = now_ms();
  ASSERT_TRUE(db_->create_room(r));
  auto got = get_room(b, "lobby");
  ASSERT_EQ(got.status, 200u) << got.raw;
  EXPECT_EQ(got.body["ownerId"], a.member_id);
  EXPECT_EQ(got.body["private"], false);
  expect_error(
    call(verb::delete_, "/chat/room/lobby", std::nullopt, b.access_token), 403,
    "GLOBAL_105", "not the creator");
  EXPECT_EQ(
    call(verb::delete_, "/chat/room/lobby", std::nullopt, a.access_token)
      .status,
    204u);
}

TEST_P(room_routes, get_shows_a_room_with_its_members) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto pub = create_room(a, "public", false);
  auto priv = create_room(a, "private", true);
  auto res = get_room(b, pub);
  ASSERT_EQ(res.status, 200u) << res.raw;
  EXPECT_EQ(keys_of(res.body),
            (strings{"members", "name", "ownerId", "private", "roomId"}));
  EXPECT_EQ(res.body["roomId"], pub);
  EXPECT_EQ(res.body["members"], json::array({a.member_id}));
  expect_error(get_room(b, priv), 403, "CHAT_002", "a stranger");
  EXPECT_EQ(get_room(a, priv).status, 200u);
  expect_error(get_room(a, "no-such-room"), 404, "CHAT_001");
  expect_error(call(verb::get, "/chat/room/" + pub), 400, "GLOBAL_103",
               "no token");
}

// -- DELETE /chat/room/{id} ---------------------------------------------------

TEST_P(room_routes, only_the_owner_deletes_a_room) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto room = create_room(a, "doomed", false);
  expect_error(
    call(verb::delete_, "/chat/room/" + room, std::nullopt, b.access_token),
    403, "GLOBAL_105", "not the owner");
  EXPECT_TRUE(changes_.empty());
  auto res
    = call(verb::delete_, "/chat/room/" + room, std::nullopt, a.access_token);
  EXPECT_EQ(res.status, 204u) << res.raw;
  EXPECT_TRUE(res.raw.empty());
  expect_error(get_room(a, room), 404, "CHAT_001", "after deletion");
  expect_error(
    call(verb::delete_, "/chat/room/" + room, std::nullopt, a.access_token),
    404, "CHAT_001", "deleted twice");
  EXPECT_EQ(changes_,
            (std::vector<room_change>{{room, room_change_kind::deleted, 0}}));
}

// -- POST /chat/room/{id}/members ---------------------------------------------

TEST_P(room_routes, the_owner_invites_members) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto c = sign_up("carol");
  auto room = create_room(a, "private", true);
  auto res = invite(a, room, b.member_id);
  ASSERT_EQ(res.status, 201u) << res.raw;
  EXPECT_EQ(res.body["roomId"], room);
  EXPECT_EQ(res.body["member_id"], b.member_id);
  auto got = get_room(b, room);
  ASSERT_EQ(got.status, 200u) << "an invited member reads the room";
  auto members = got.body["members"].get<std::vector<std::int64_t>>();
  std::sort(members.begin(), members.end());
  EXPECT_EQ(members, (std::vector<std::int64_t>{a.member_id, b.member_id}));
  EXPECT_EQ(invite(a, room, std::to_string(c.member_id)).status, 201u)
    << "member_id as a string";
  EXPECT_EQ(changes_, (std::vector<room_change>{
                        {room, room_change_kind::member_added, b.member_id},
                        {room, room_change_kind::member_added, c.member_id}}));
}

TEST_P(room_routes, invitations_are_checked) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto c = sign_up("carol");
  auto room = create_room(a, "private", true);
  ASSERT_EQ(invite(a, room, b.member_id).status, 201u);
  expect_error(invite(b, room, c.member_id), 403, "GLOBAL_105",
               "a member who is not the owner");
  expect_error(invite(a, room, c.member_id + 1000), 400, "AUTH_005",
               "an unknown member");
  for (auto bad : {json("abc"), json(-1), json(0), json(nullptr)})
    expect_error(invite(a, room, bad), 400, "MEMBER_005", bad.dump());
  expect_error(call(verb::post, "/chat/room/" + room + "/members",
                    json::object(), a.access_token),
               400, "MEMBER_005", "no member_id");
  expect_error(invite(a, "no-such-room", c.member_id), 404, "CHAT_001");
  expect_error(get_room(c, room), 403, "CHAT_002", "carol was never added");
  EXPECT_EQ(changes_.size(), 1u);
}

// -- DELETE /chat/room/{id}/members/{member_id} -------------------------------

TEST_P(room_routes, members_leave_or_are_removed_by_the_owner) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto c = sign_up("carol");
  auto room = create_room(a, "private", true);
  for (auto* m : {&b, &c})
    ASSERT_EQ(invite(a, room, m->member_id).status, 201u);
  changes_.clear();
  expect_error(remove_member(c, room, std::to_string(b.member_id)), 403,
               "GLOBAL_105", "a third member");
  auto by_owner = remove_member(a, room, std::to_string(b.member_id));
  EXPECT_EQ(by_owner.status, 204u) << by_owner.raw;
  expect_error(get_room(b, room), 403, "CHAT_002", "bob was removed");
  auto self = remove_member(c, room, std::to_string(c.member_id));
  EXPECT_EQ(self.status, 204u) << self.raw;
  expect_error(get_room(c, room), 403, "CHAT_002", "carol left");
  expect_error(remove_member(a, room, std::to_string(a.member_id)), 403,
               "GLOBAL_105", "the owner cannot leave");
  expect_error(remove_member(a, room, std::to_string(b.member_id)), 403,
               "CHAT_002", "not a member any more");
  expect_error(remove_member(a, room, "abc"), 400, "MEMBER_005");
  expect_error(remove_member(a, "no-such-room", std::to_string(b.member_id)),
               404, "CHAT_001");
  EXPECT_EQ(changes_,
            (std::vector<room_change>{
              {room, room_change_kind::member_removed, b.member_id},
              {room, room_change_kind::member_removed, c.member_id}}));
}

// -- GET /messages/room/{id} --------------------------------------------------

TEST_P(room_routes, history_of_a_private_room_is_for_members_only) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto room = create_room(a, "private", true);
  store_messages(room, a, 5);
  auto page = call(verb::get, "/messages/room/" + room + "?page=0&size=2",
                   std::nullopt, a.access_token);
  ASSERT_EQ(page.status, 200u) << page.raw;
  ASSERT_TRUE(page.body.is_array());
  EXPECT_EQ(seqs(page.body), (seq_list{1, 2})) << "oldest first";
  auto& first = page.body[0];
  EXPECT_EQ(first["type"], "MESSAGE");
  EXPECT_EQ(first["roomId"], room);
  EXPECT_EQ(first["sender"], "alice");
  EXPECT_EQ(first["senderId"], a.member_id);
  EXPECT_EQ(first["message"], "m1");
  EXPECT_TRUE(first.contains("ts"));
  auto page2 = call(verb::get, "/messages/room/" + room + "?page=2&size=2",
                    std::nullopt, a.access_token);
  EXPECT_EQ(seqs(page2.body), (seq_list{5}));
  auto cursor = call(verb::get, "/messages/room/" + room + "?limit=2",
                     std::nullopt, a.access_token);
  ASSERT_EQ(cursor.status, 200u) << cursor.raw;
  EXPECT_EQ(keys_of(cursor.body), (strings{"messages", "next_before"}));
  EXPECT_EQ(seqs(cursor.body["messages"]), (seq_list{5, 4})) << "newest first";
  EXPECT_EQ(cursor.body["next_before"], 4);
  auto last = call(verb::get, "/messages/room/" + room + "?before=3&limit=5",
                   std::nullopt, a.access_token);
  EXPECT_EQ(seqs(last.body["messages"]), (seq_list{2, 1}));
  EXPECT_TRUE(last.body["next_before"].is_null());
  for (auto q : {"?page=0&size=2", "?before=3&limit=2", ""})
    expect_error(call(verb::get, "/messages/room/" + room + q, std::nullopt,
                      b.access_token),
                 403, "CHAT_002", std::string{"a stranger, "} + q);
  for (auto q : {"?page=0&size=2", "?before=3&limit=2"})
    expect_error(call(verb::get, "/messages/room/" + room + q), 400,
                 "GLOBAL_103", std::string{"no token, "} + q);
  ASSERT_EQ(invite(a, room, b.member_id).status, 201u);
  EXPECT_EQ(
    call(verb::get, "/messages/room/" + room, std::nullopt, b.access_token)
      .status,
    200u)
    << "once invited";
}

TEST_P(room_routes, history_parameters_are_checked) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  auto room = create_room(a, "public", false);
  store_messages(room, a, 3);
  auto any
    = call(verb::get, "/messages/room/" + room, std::nullopt, b.access_token);
  EXPECT_EQ(any.status, 200u) << "a public room for any member: " << any.raw;
  EXPECT_EQ(seqs(any.body), (seq_list{1, 2, 3}));
  for (auto q : {"?page=-1", "?size=0", "?size=101", "?limit=0", "?before=0",
                 "?page=0&limit=2", "?size=x"})
    expect_error(call(verb::get, "/messages/room/" + room + q, std::nullopt,
                      a.access_token),
                 400, "GLOBAL_002", q);
  expect_error(call(verb::get, "/messages/room/no-such-room", std::nullopt,
                    a.access_token),
               404, "CHAT_001");
}

H2H_API_STORES(room_routes);

namespace {

/// A node that lets each member create three rooms an hour.
class room_creation_limit : public room_routes {
protected:
  void adjust(h2h::net::api_settings& s) override {
    s.rooms_created_per_hour = 3;
  }
};

} // namespace

// Before: POST /chat/room had no limit at all (one member could create a
// million rooms; only ENTER creations were limited).
TEST_P(room_creation_limit, a_member_creates_at_most_rooms_created_per_hour) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  for (int i = 0; i < 3; ++i)
    create_room(a, "room " + std::to_string(i), false);
  expect_error(
    call(verb::post, "/chat/room", json{{"name", "one more"}}, a.access_token),
    429, "GLOBAL_429", "the fourth room in an hour");
  create_room(b, "bob's own", false); // another member is not charged
  advance_ms(3600 * 1000);
  create_room(a, "an hour later", false);
}

// Before: the limit was charged before the session was checked, so a
// logged-out (stolen) token with a valid signature used up its member's
// rooms for the hour.
TEST_P(room_creation_limit, a_logged_out_token_does_not_use_up_the_limit) {
  auto a = sign_up("alice");
  auto old = a;
  log_in(a); // a second session; the first one is then logged out
  ASSERT_EQ(
    call(verb::post, "/auth/logout", std::nullopt, old.access_token).status,
    200u);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(
      call(verb::post, "/chat/room", json{{"name", "stolen"}}, old.access_token)
        .status,
      400u)
      << i;
  for (int i = 0; i < 3; ++i)
    create_room(a, "mine " + std::to_string(i), false);
}

H2H_API_STORES(room_creation_limit);
