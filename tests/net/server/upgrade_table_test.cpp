// The upgrade table as a pure object: path lookup, Sec-WebSocket-Protocol
// negotiation and the authenticator called once per upgrade.
#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/beast/http/field.hpp>

#include "net/server/upgrade_table.hpp"

using namespace h2h;
using namespace h2h::net;
namespace http = boost::beast::http;

namespace {

/// An authenticator that counts its calls and answers as told.
struct counting_auth {
  int calls = 0;
  ws_auth answer;

  ws_authenticator fn() {
    return [this](const http_request&, const request_meta&,
                  std::function<void(ws_auth)> done) {
      ++calls;
      done(answer);
    };
  }
};

upgrade_entry message_entry(ws_authenticator auth = {}) {
  upgrade_entry e;
  e.path = "/message";
  e.protocol.name = "raw-json";
  e.authenticate = std::move(auth);
  return e;
}

/// A STOMP-like entry: speaks three subprotocols, none required.
upgrade_entry stomp_entry(bool required) {
  upgrade_entry e;
  e.path = "/ws";
  e.protocol.name = "stomp";
  e.subprotocols = {"v10.stomp", "v11.stomp", "v12.stomp"};
  e.subprotocol_required = required;
  return e;
}

http_request upgrade_request(const std::string& target,
                             std::vector<std::string> protocol_lines = {}) {
  http_request req{http::verb::get, target, 11};
  req.set(http::field::upgrade, "websocket");
  for (auto& line : protocol_lines)
    req.insert(http::field::sec_websocket_protocol, line);
  return req;
}

} // namespace

TEST(upgrade_table, an_unknown_path_is_refused_with_unknown_path) {
  upgrade_table t;
  t.add(message_entry());
  auto m = t.negotiate("/nowhere", "");
  EXPECT_FALSE(m);
  EXPECT_EQ(m.code, errc::unknown_path);
  EXPECT_EQ(describe(m.code).http_status, 404);
  EXPECT_FALSE(t.negotiate("/message/", ""));
  EXPECT_FALSE(t.negotiate("/MESSAGE", "")) << "paths are case-sensitive";
}

TEST(upgrade_table, the_path_ignores_the_query_string) {
  upgrade_table t;
  t.add(message_entry());
  auto m = t.negotiate(upgrade_request("/message?access_token=abc"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m.entry->path, "/message");
}

TEST(upgrade_table, message_ignores_the_subprotocol_header_and_echoes_none) {
  upgrade_table t;
  t.add(message_entry());
  for (auto offered : {"", "chat", "v12.stomp, chat", " , "}) {
    auto m = t.negotiate("/message", offered);
    ASSERT_TRUE(m) << offered;
    EXPECT_EQ(m.entry->protocol.name, "raw-json");
    EXPECT_EQ(m.subprotocol, "") << offered;
  }
}

TEST(upgrade_table, the_first_token_of_the_client_the_entry_speaks_is_chosen) {
  upgrade_table t;
  t.add(stomp_entry(false));
  EXPECT_EQ(t.negotiate("/ws", "v12.stomp").subprotocol, "v12.stomp");
  // The client's order decides, not the entry's.
  EXPECT_EQ(t.negotiate("/ws", "v12.stomp, v10.stomp").subprotocol,
            "v12.stomp");
  EXPECT_EQ(t.negotiate("/ws", "mqtt,\t v11.stomp ,v12.stomp").subprotocol,
            "v11.stomp");
  // Several header lines form one list.
  EXPECT_EQ(t.negotiate(upgrade_request("/ws", {"mqtt", "v10.stomp"}))
              .subprotocol,
            "v10.stomp");
}

TEST(upgrade_table, tokens_are_case_sensitive) {
  upgrade_table t;
  t.add(stomp_entry(true));
  auto m = t.negotiate("/ws", "V12.STOMP");
  EXPECT_FALSE(m);
  EXPECT_EQ(m.code, errc::invalid_field);
}

TEST(upgrade_table, an_optional_subprotocol_may_be_missing_or_unknown) {
  upgrade_table t;
  t.add(stomp_entry(false));
  for (auto offered : {"", "mqtt"}) {
    auto m = t.negotiate("/ws", offered);
    ASSERT_TRUE(m) << offered;
    EXPECT_EQ(m.subprotocol, "");
  }
}

TEST(upgrade_table, a_required_subprotocol_missing_or_unknown_is_refused) {
  upgrade_table t;
  t.add(stomp_entry(true));
  for (auto offered : {"", "mqtt", "mqtt, chat", ","}) {
    auto m = t.negotiate("/ws", offered);
    EXPECT_FALSE(m) << offered;
    EXPECT_EQ(m.code, errc::invalid_field) << offered;
    EXPECT_EQ(describe(m.code).http_status, 400);
    EXPECT_NE(m.message.find("v12.stomp"), std::string::npos) << m.message;
  }
  EXPECT_TRUE(t.negotiate("/ws", "mqtt, v11.stomp"));
}

TEST(upgrade_table, split_subprotocols_tolerates_whitespace) {
  auto v = split_subprotocols(" a ,b\t,,  c  ");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], "a");
  EXPECT_EQ(v[1], "b");
  EXPECT_EQ(v[2], "c");
  EXPECT_TRUE(split_subprotocols("").empty());
  EXPECT_TRUE(split_subprotocols(" ,\t, ").empty());
}

TEST(upgrade_table, bad_entries_are_start_up_errors) {
  upgrade_table t;
  t.add(message_entry());
  EXPECT_THROW(t.add(message_entry()), std::invalid_argument);
  auto e = stomp_entry(true);
  e.subprotocols.clear();
  EXPECT_THROW(t.add(e), std::invalid_argument);
}

TEST(upgrade_table, the_authenticator_of_the_entry_is_called_once_per_upgrade) {
  counting_auth message_auth;
  counting_auth other_auth;
  message_auth.answer.identity.name = "alice";
  upgrade_table t;
  t.add(message_entry(message_auth.fn()));
  auto other = stomp_entry(false);
  other.authenticate = other_auth.fn();
  t.add(other);
  auto req = upgrade_request("/message");
  auto m = t.negotiate(req);
  ASSERT_TRUE(m);
  int answers = 0;
  std::optional<ws_auth> got;
  upgrade_table::authenticate(m, req, request_meta{}, [&](ws_auth a) {
    ++answers;
    got = std::move(a);
  });
  EXPECT_EQ(message_auth.calls, 1);
  EXPECT_EQ(other_auth.calls, 0) << "only the entry's own authenticator";
  EXPECT_EQ(answers, 1);
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->ok);
  EXPECT_EQ(got->identity.name, "alice");
  // A second upgrade: one more call, not two.
  upgrade_table::authenticate(m, req, request_meta{}, [&](ws_auth) {
    ++answers;
  });
  EXPECT_EQ(message_auth.calls, 2);
  EXPECT_EQ(answers, 2);
}

TEST(upgrade_table, a_refusal_of_the_authenticator_is_passed_on) {
  counting_auth auth;
  auth.answer = ws_auth::refused(errc::invalid_token, "bad token");
  upgrade_table t;
  t.add(message_entry(auth.fn()));
  auto req = upgrade_request("/message");
  std::optional<ws_auth> got;
  upgrade_table::authenticate(t.negotiate(req), req, request_meta{},
                              [&](ws_auth a) { got = std::move(a); });
  EXPECT_EQ(auth.calls, 1);
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->ok);
  EXPECT_EQ(got->code, errc::invalid_token);
}

TEST(upgrade_table, without_authenticator_an_upgrade_is_accepted_anonymously) {
  upgrade_table t;
  t.add(message_entry());
  auto req = upgrade_request("/message");
  int answers = 0;
  upgrade_table::authenticate(t.negotiate(req), req, request_meta{},
                              [&](ws_auth a) {
                                ++answers;
                                EXPECT_TRUE(a.ok);
                                EXPECT_FALSE(a.identity.authenticated);
                              });
  EXPECT_EQ(answers, 1);
}

TEST(upgrade_table, a_refused_match_never_reaches_the_authenticator) {
  counting_auth auth;
  upgrade_table t;
  auto e = stomp_entry(true);
  e.authenticate = auth.fn();
  t.add(e);
  auto req = upgrade_request("/ws", {"mqtt"});
  auto m = t.negotiate(req);
  ASSERT_FALSE(m);
  std::optional<ws_auth> got;
  upgrade_table::authenticate(m, req, request_meta{},
                              [&](ws_auth a) { got = std::move(a); });
  EXPECT_EQ(auth.calls, 0);
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->ok);
  EXPECT_EQ(got->code, errc::invalid_field);
}

TEST(upgrade_table, sessions_are_named_by_their_protocol_for_the_admin) {
  upgrade_entry raw;
  raw.protocol.name = "raw-json";
  EXPECT_STREQ(session_protocol_of(raw), "raw");
  upgrade_entry stomp;
  stomp.protocol.name = "stomp";
  EXPECT_STREQ(session_protocol_of(stomp), "stomp");
  upgrade_entry sse;
  sse.transport = transport_kind::sse;
  sse.protocol.name = "sse";
  EXPECT_STREQ(session_protocol_of(sse), "sse");
}
