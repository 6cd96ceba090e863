// The authorization matrix, real-time half: raw /message (upgrade, ENTER,
// MESSAGE), STOMP (CONNECT, SUBSCRIBE, SEND) and the admin port x the six
// credentials of authz_matrix.hpp get their documented refusal
// (docs/protocol.md, docs/admin.md), and nothing refused reaches alice's
// connection or a room's history. The event stream and the HTTP send are
// HTTP routes: authz_matrix_rest_test.cpp.
#include <functional>
#include <iostream>

#include "authz_matrix.hpp"
#include "sse_client.hpp"
#include "stomp_client.hpp"

using namespace h2h::test;
using namespace h2h::test::authz;
using namespace std::chrono_literals;

namespace h2h::test::authz {

/// One action: how it is tried with a column's credential, and what each
/// column must see. WebSocket outcomes read "ERROR <code>, close <code>"
/// or "ERROR <code>, open" (the connection stays); admin outcomes
/// "<error code>, closed".
struct live_row {
  std::string action;
  std::function<std::string(cred)> attempt;
  cells expect;
  std::string note;
};

namespace {

/// The frames up to the first ERROR (its code) and what became of the
/// connection.
std::string ws_outcome(ws_client& c) {
  std::string out;
  auto err = c.recv_where([&](const json& j) {
    auto type = j.value("type", "?");
    if (type != "ERROR")
      out += type + " " + j.value("message", "") + ", ";
    return type == "ERROR";
  });
  out += err ? "ERROR " + err->value("code", "?") : "no ERROR";
  auto code = c.wait_closed(500ms);
  return out + (code ? ", close " + std::to_string(*code) : ", open");
}

/// Whether a MESSAGE frame is a room's ENTER or EXIT notice.
bool is_presence(const stomp::frame& f) {
  if (f.command != "MESSAGE")
    return false;
  auto body = json::parse(f.body, nullptr, false);
  auto type = body.is_object() ? body.value("type", "") : "";
  return type == "ENTER" || type == "EXIT";
}

/// The frames up to the first ERROR and what became of the connection.
/// `skip_presence`: a connection subscribed to a shared room may get ENTER
/// and EXIT notices at any moment — its own ENTER is committed and
/// delivered after the SUBSCRIBE's RECEIPT (slower on MySQL), other rows'
/// connections come and go — so those are not counted; every other frame
/// is, the refused message's echo above all.
std::string stomp_outcome(stomp_client& c, bool skip_presence = false) {
  std::string out;
  for (int i = 0; i < 16; ++i) {
    auto f = c.next();
    if (!f) {
      out += "no ERROR";
      break;
    }
    if (f->command == "ERROR") {
      out += "ERROR " + header(*f, "code");
      break;
    }
    if (skip_presence && is_presence(*f))
      continue;
    out += f->command + " ";
  }
  auto code = c.ws.wait_closed(2s);
  return out + (code ? ", close " + std::to_string(*code) : ", open");
}

const cells ws_token_cells{{cred::none, "ERROR GLOBAL_103, close 1008"},
                           {cred::expired, "ERROR GLOBAL_104, close 1008"},
                           {cred::tampered, "ERROR GLOBAL_103, close 1008"},
                           {cred::logged_out, "ERROR GLOBAL_103, close 1008"}};

} // namespace

class authz_live : public authz_matrix {
protected:
  std::uint16_t port() const {
    return w().port();
  }

  std::string text(const std::string& what, cred k) const {
    return std::string{marker} + " " + what + " with " + name_of(k);
  }

  /// A raw connection of a member who is let in (bob or carol).
  std::unique_ptr<ws_client> raw_of(const member& m) {
    return std::make_unique<ws_client>(port(),
                                       with_query_token(m.access_token));
  }

  std::unique_ptr<stomp_client> stomp_of(const member& m) {
    auto c = std::make_unique<stomp_client>(port());
    c->connect(m.access_token);
    return c;
  }

  std::vector<live_row> table() {
    auto& x = w();
    return {
      {"raw: upgrade, then ENTER and MESSAGE",
       [this, &x](cred k) {
         auto token = x.token(k);
         ws_client c{port(),
                     token.empty() ? ws_options{} : with_query_token(token)};
         c.send_json(enter_frame(x.pub, "alice"));
         c.send_json(message_frame(x.pub, "alice", text("raw", k)));
         return ws_outcome(c);
       },
       ws_token_cells, "a valid token's cases are the rows below"},
      {"raw: ENTER the private room",
       [this, &x](cred) {
         auto c = raw_of(x.carol);
         c->send_json(enter_frame(x.priv, "carol"));
         return ws_outcome(*c);
       },
       {{cred::non_member, "ERROR CHAT_002, open"}},
       "bob is a member"},
      {"raw: ENTER the private room with lastSeq 0 (a replay)",
       [this, &x](cred) {
         auto c = raw_of(x.carol);
         c->send_json(enter_frame(x.priv, "carol", 0));
         return ws_outcome(*c);
       },
       {{cred::non_member, "ERROR CHAT_002, open"}},
       "bob is a member"},
      {"raw: MESSAGE to the private room",
       [this, &x](cred k) {
         auto c = raw_of(x.carol);
         c->send_json(message_frame(x.priv, "carol", text("raw", k)));
         return ws_outcome(*c);
       },
       {{cred::non_member, "ERROR CHAT_003, open"}},
       "not entered, and it cannot be"},
      {"raw: MESSAGE naming alice as its sender",
       [this, &x](cred k) {
         auto c = raw_of(x.bob);
         c->send_json(enter_frame(x.pub, "bob"));
         c->recv_where([](const json& j) {
           return j.value("type", "") == "ENTER"
                  && j.value("sender", "") == "bob";
         });
         c->send_json(message_frame(x.pub, "alice", text("raw", k)));
         return ws_outcome(*c);
       },
       {{cred::other, "ERROR GLOBAL_105, open"}},
       "the frame's sender is the token's member"},
      {"stomp: CONNECT, then SUBSCRIBE and SEND behind it",
       [this, &x](cred k) {
         stomp_client c{port()};
         std::vector<stomp::header> h{{"accept-version", "1.2"},
                                      {"host", "localhost"}};
         if (auto token = x.token(k); !token.empty())
           h.push_back({"Authorization", "Bearer " + token});
         c.send("CONNECT", h);
         c.send("SUBSCRIBE",
                {{"id", "s1"}, {"destination", "/subscribe/room/" + x.pub}});
         c.talk(x.pub, text("stomp", k), "", x.alice.id);
         return stomp_outcome(c);
       },
       ws_token_cells, "a valid token's cases are the rows below"},
      {"stomp: SUBSCRIBE the private room",
       [this, &x](cred) {
         auto c = stomp_of(x.carol);
         c->subscribe("s1", x.priv, "r1");
         return stomp_outcome(*c);
       },
       {{cred::non_member, "ERROR CHAT_002, close 1008"}},
       "bob is a member"},
      {"stomp: SUBSCRIBE the private room with last-seq 0 (a replay)",
       [this, &x](cred) {
         auto c = stomp_of(x.carol);
         c->subscribe("s1", x.priv, "r1", 0);
         return stomp_outcome(*c);
       },
       {{cred::non_member, "ERROR CHAT_002, close 1008"}},
       "bob is a member"},
      {"stomp: SEND to the private room",
       [this, &x](cred k) {
         auto c = stomp_of(x.carol);
         c->talk(x.priv, text("stomp", k), "r1", x.carol.id);
         return stomp_outcome(*c);
       },
       {{cred::non_member, "ERROR CHAT_003, close 1008"}},
       "not subscribed, and it cannot be"},
      {"stomp: SEND naming alice's senderId",
       [this, &x](cred k) {
         auto c = stomp_of(x.bob);
         c->talk(x.pub, text("stomp", k), "r1", x.alice.id);
         return stomp_outcome(*c);
       },
       {{cred::other, "ERROR GLOBAL_105, close 1008"}},
       "the sender is the token's member"},
      {"stomp: SEND naming alice as its sender",
       [this, &x](cred k) {
         auto c = stomp_of(x.bob);
         c->subscribe("s1", x.pub, "r0"); // in the room: only the name is wrong
         until_receipt(*c, "r0");
         c->send("SEND",
                 {{"destination", "/publish/message"},
                  {"content-type", "application/json"},
                  {"receipt", "r1"}},
                 json{{"type", "TALK"},
                      {"roomId", x.pub},
                      {"sender", "alice"},
                      {"message", text("stomp", k)}}
                   .dump());
         return stomp_outcome(*c, true);
       },
       {{cred::other, "ERROR GLOBAL_105, close 1008"}},
       "the sender is the token's member"},
      // The admin port: loopback needs no token by design (and the
      // non-loopback refusal is tests/net/admin/admin_auth_test.cpp's);
      // what is tried here is that no REST token is an admin token. Each
      // `auth` is followed by a kick of alice, which must not run.
      {"admin: auth with a REST token, then kick alice",
       [this, &x](cred k) {
         admin_line a{x.srv->admin_port()};
         a.send("{\"cmd\":\"auth\",\"token\":" + json(x.token(k)).dump()
                + "}\n{\"cmd\":\"kick\",\"member\":"
                + std::to_string(x.alice.id) + "}\n");
         auto answer = a.answer();
         if (!answer)
           return std::string{"no answer"};
         auto out = answer->value("ok", false)
                      ? "ok " + answer->value("cmd", "")
                      : (*answer)["error"].value("code", "?");
         return out + (a.closed_within(2s) ? ", closed" : ", open");
       },
       {{cred::expired, "ADMIN_UNAUTHORIZED, closed"},
        {cred::tampered, "ADMIN_UNAUTHORIZED, closed"},
        {cred::other, "ADMIN_UNAUTHORIZED, closed"},
        {cred::non_member, "ADMIN_UNAUTHORIZED, closed"},
        {cred::logged_out, "ADMIN_UNAUTHORIZED, closed"}},
       "no token: loopback needs none (docs/admin.md)"},
    };
  }
};

TEST_F(authz_live, every_action_refuses_every_credential_it_must) {
  int tried = 0;
  for (auto& row : table()) {
    for (auto& [k, expected] : row.expect) {
      ++tried;
      std::string got;
      try {
        got = row.attempt(k);
      } catch (const std::exception& e) {
        got = std::string{"threw: "} + e.what();
      }
      EXPECT_EQ(got, expected) << row.action << " with " << name_of(k);
      std::cout << row.action << " | " << name_of(k) << " | " << got << "\n";
    }
  }
  EXPECT_EQ(tried, 22) << "the table lost cells";
  // The kicks behind the refused auths did not run: alice's connection is
  // open, and it got nothing of the refused frames.
  expect_nothing_stored_or_delivered();
}

// The non-member column for a member who was one a moment ago: removed by
// the owner while connected on every protocol, dave is told on each
// (CHAT_002, docs/protocol.md) and from then on is a non-member everywhere;
// nothing the room says afterwards reaches him.
TEST_F(authz_live, a_member_removed_while_connected_is_a_non_member_at_once) {
  auto& x = w();
  static int run = 0;
  auto dave = sign_up_unverified(x.port(), "dave" + std::to_string(++run));
  auto& a = x.alice.access_token;
  auto created = rest(x.port(), "POST", "/chat/room",
                      json{{"name", "dave's"}, {"private", true}}, a);
  ASSERT_EQ(created.status, 201) << created.raw;
  std::string room = created.body["roomId"];
  ASSERT_EQ(rest(x.port(), "POST", "/chat/room/" + room + "/members",
                 json{{"member_id", dave.id}}, a)
              .status,
            201);
  std::map<std::string, std::string> bearer{
    {"Authorization", "Bearer " + dave.access_token}};
  sse_client stream{x.port(), "/chat/room/" + room + "/events", bearer};
  ASSERT_EQ(stream.status(), 200) << stream.head();
  ws_client raw{x.port(), with_query_token(dave.access_token)};
  ASSERT_TRUE(raw.send_json(enter_frame(room, dave.nickname)));
  ASSERT_TRUE(raw.recv_where([&](const json& j) {
    return j.value("type", "") == "ENTER"
           && j.value("sender", "") == dave.nickname;
  }));
  stomp_client stomp{x.port()};
  stomp.connect(dave.access_token);
  stomp.subscribe("s1", room, "r1");
  until_receipt(stomp, "r1");

  ASSERT_EQ(rest(x.port(), "DELETE",
                 "/chat/room/" + room + "/members/" + std::to_string(dave.id),
                 std::nullopt, a)
              .status,
            204);
  // Told on every protocol.
  auto told = next_error(raw);
  ASSERT_TRUE(told) << "raw: no ERROR";
  EXPECT_EQ((*told)["code"], "CHAT_002");
  std::string stomp_code = "no ERROR";
  for (int i = 0; i < 16; ++i) {
    auto f = stomp.next();
    if (!f || f->command == "ERROR") {
      stomp_code = f ? header(*f, "code") : stomp_code;
      break;
    }
  }
  EXPECT_EQ(stomp_code, "CHAT_002");
  EXPECT_EQ(stomp.ws.wait_closed(), std::optional<std::uint16_t>{1008});
  std::optional<sse_event> ended;
  for (int i = 0; i < 16 && !(ended && ended->event == "error"); ++i)
    ended = stream.next_event();
  ASSERT_TRUE(ended) << "sse: no error event";
  EXPECT_EQ(json::parse(ended->data).value("code", ""), "CHAT_002");
  EXPECT_TRUE(stream.closed_within(2s));
  // A non-member from now on, on every door.
  EXPECT_FALSE(raw.wait_closed(300ms)) << "the raw connection stays";
  ASSERT_TRUE(raw.send_json(message_frame(
    room, dave.nickname, std::string{marker} + " after removal")));
  auto not_in = next_error(raw);
  ASSERT_TRUE(not_in);
  EXPECT_EQ((*not_in)["code"], "CHAT_003");
  ASSERT_TRUE(raw.send_json(enter_frame(room, dave.nickname, 0)));
  auto again = next_error(raw);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)["code"], "CHAT_002");
  for (auto target : {"/chat/room/" + room, "/messages/room/" + room}) {
    auto r = rest(x.port(), "GET", target, std::nullopt, dave.access_token);
    EXPECT_EQ(http_outcome(r.status, r.raw), "403 CHAT_002") << target;
  }
  auto sent
    = rest(x.port(), "POST", "/chat/room/" + room + "/message",
           json{{"message", std::string{marker} + " http"}}, dave.access_token);
  EXPECT_EQ(http_outcome(sent.status, sent.raw), "403 CHAT_002");
  // What the room says now does not reach him.
  ASSERT_EQ(rest(x.port(), "POST", "/chat/room/" + room + "/message",
                 json{{"message", "after dave left"}}, a)
              .status,
            201);
  while (auto late = raw.recv(300ms))
    EXPECT_EQ(late->find("after dave left"), std::string::npos) << *late;
  auto history = rest(x.port(), "GET", "/messages/room/" + room + "?size=100",
                      std::nullopt, a);
  ASSERT_EQ(history.status, 200) << history.raw;
  for (auto& m : history.body)
    EXPECT_EQ(m.value("message", "").find(marker), std::string::npos)
      << m.dump();
}

} // namespace h2h::test::authz
