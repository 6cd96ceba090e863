// Integration: idempotency belongs to the member, not its name, and a
// deleted room never comes back; a real h2hd on SQLite and on MariaDB with
// the app's sign-up flow.
#include <gtest/gtest.h>

#include "accounts.hpp"
#include "mariadb.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

class store_fence : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    auto args = local_args_on(GetParam(), dir_);
    if (!args)
      GTEST_SKIP() << "H2H_TEST_MYSQL_URL is not set";
    srv_ = std::make_unique<server_process>(H2HD_PATH, with_accounts(*args));
  }

  std::uint16_t port() const {
    return srv_->port();
  }

  std::unique_ptr<ws_client> connect(const member& m) {
    return std::make_unique<ws_client>(port(),
                                       with_query_token(m.access_token));
  }

  temp_dir dir_;
  std::unique_ptr<server_process> srv_;
};

/// ENTER and wait for the answer: the member's own ENTER notice or an error.
std::optional<json> enter(ws_client& c, const std::string& room,
                          std::int64_t member_id) {
  if (!c.send_json(enter_frame(room, "")))
    return std::nullopt;
  return c.recv_where([&](const json& j) {
    return j.value("type", "") == "ERROR"
           || (j.value("type", "") == "ENTER" && j.value("roomId", "") == room
               && j.value("senderId", std::int64_t{0}) == member_id);
  });
}

/// Sends a message and waits for its ACK (or an ERROR); returns the seq or
/// -1.
std::int64_t send_acked(ws_client& c, const std::string& room,
                        const std::string& text, const std::string& cmid) {
  if (!c.send_json(message_frame(room, "", text, cmid)))
    return -1;
  auto answer = c.recv_where([&](const json& j) {
    auto type = j.value("type", "");
    return (type == "ACK" || type == "ERROR")
           && j.value("clientMsgId", "") == cmid;
  });
  if (!answer || (*answer)["type"] != "ACK")
    return -1;
  return (*answer)["seq"].get<std::int64_t>();
}

} // namespace

// The reproduction: member B renamed itself to A's nickname and
// sent c-17 in a public room; A's own c-17 was then acknowledged with B's
// seq and never stored.
TEST_P(store_fence, a_renamed_member_cannot_take_anothers_client_msg_id) {
  auto a = sign_up(*srv_, "alice");
  auto b = sign_up(*srv_, "bob");
  auto renamed = rest(port(), "PATCH", "/member/profile",
                      json{{"nickname", "alice"}}, b.access_token);
  ASSERT_EQ(renamed.status, 200) << renamed.raw;
  const std::string room = "public-" + GetParam();
  auto alice = connect(a);
  auto bob = connect(b);
  auto a_in = enter(*alice, room, a.id);
  ASSERT_TRUE(a_in && (*a_in)["type"] == "ENTER") << (a_in ? a_in->dump() : "");
  auto b_in = enter(*bob, room, b.id);
  ASSERT_TRUE(b_in && (*b_in)["type"] == "ENTER") << (b_in ? b_in->dump() : "");
  EXPECT_EQ((*b_in)["sender"], "alice") << "bob now calls himself alice";

  auto seq_b = send_acked(*bob, room, "from B", "c-17");
  ASSERT_GT(seq_b, 0);
  auto seq_a = send_acked(*alice, room, "from A", "c-17");
  ASSERT_GT(seq_a, 0);
  EXPECT_NE(seq_a, seq_b) << "A's message has a seq of its own";
  // A's retry is answered with A's seq, not B's.
  EXPECT_EQ(send_acked(*alice, room, "from A", "c-17"), seq_a);

  auto history
    = rest(port(), "GET", "/messages/room/" + room + "?page=0&size=50", {},
           a.access_token);
  ASSERT_EQ(history.status, 200) << history.raw;
  std::vector<std::pair<std::string, std::int64_t>> said;
  for (auto& m : history.body)
    if (m.value("type", "") == "MESSAGE")
      said.emplace_back(m.value("message", ""),
                        m.value("senderId", std::int64_t{0}));
  EXPECT_EQ(said, (std::vector<std::pair<std::string, std::int64_t>>{
                    {"from B", b.id}, {"from A", a.id}}))
    << history.raw;
  EXPECT_EQ(srv_->stop(), 0);
}

// DELETE /chat/room/{id} fences the id: the room's members are told, its
// history is gone, and an ENTER never brings it back (CHAT_001).
TEST_P(store_fence, a_deleted_room_never_comes_back) {
  auto a = sign_up(*srv_, "alice");
  auto created = rest(port(), "POST", "/chat/room", json{{"name", "doomed"}},
                      a.access_token);
  ASSERT_EQ(created.status, 201) << created.raw;
  std::string room = created.body["roomId"];
  auto alice = connect(a);
  auto in = enter(*alice, room, a.id);
  ASSERT_TRUE(in && (*in)["type"] == "ENTER") << (in ? in->dump() : "");
  ASSERT_GT(send_acked(*alice, room, "last words", "c-1"), 0);

  auto deleted
    = rest(port(), "DELETE", "/chat/room/" + room, {}, a.access_token);
  ASSERT_EQ(deleted.status, 204) << deleted.raw;
  auto told = next_error(*alice);
  ASSERT_TRUE(told);
  EXPECT_EQ((*told)["code"], "CHAT_001") << told->dump();

  for (int attempt = 0; attempt < 2; ++attempt) {
    auto again = enter(*alice, room, a.id);
    ASSERT_TRUE(again);
    EXPECT_EQ((*again)["type"], "ERROR") << again->dump();
    EXPECT_EQ((*again)["code"], "CHAT_001") << again->dump();
  }
  auto other = connect(a);
  auto fresh = enter(*other, room, a.id);
  ASSERT_TRUE(fresh);
  EXPECT_EQ((*fresh)["code"], "CHAT_001") << fresh->dump();

  auto history
    = rest(port(), "GET", "/messages/room/" + room + "?page=0&size=50", {},
           a.access_token);
  EXPECT_EQ(history.status, 404) << history.raw;
  EXPECT_EQ(history.body.value("code", ""), "CHAT_001");
  auto info = rest(port(), "GET", "/chat/room/" + room, {}, a.access_token);
  EXPECT_EQ(info.status, 404) << info.raw;
  auto listed = rest(port(), "GET", "/chat/rooms", {}, a.access_token);
  ASSERT_EQ(listed.status, 200) << listed.raw;
  for (auto& r : listed.body)
    EXPECT_NE(r.value("roomId", ""), room);
  EXPECT_EQ(
    rest(port(), "DELETE", "/chat/room/" + room, {}, a.access_token).status,
    404);
  EXPECT_EQ(srv_->stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(stores, store_fence,
                         ::testing::Values("sqlite", "mysql"),
                         [](const auto& info) { return info.param; });
