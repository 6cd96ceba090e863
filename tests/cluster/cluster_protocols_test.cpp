// Real multi-process cluster test (ctest label `cluster`): every protocol
// across nodes. Raw JSON on one node, STOMP on another, an SSE stream and
// an HTTP send on the third, all in one room (owned by one of them, relayed
// to the others): each receiver gets every message once, with one seq each.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "accounts.hpp"
#include "cluster_support.hpp"
#include "sse_client.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

/// A STOMP 1.2 frame as text (headers are plain: no escapes needed here).
std::string
stomp_frame(const std::string& command,
            const std::vector<std::pair<std::string, std::string>>& headers,
            const std::string& body = {}) {
  std::string out = command + "\n";
  for (auto& [k, v] : headers)
    out += k + ":" + v + "\n";
  out += "\n" + body;
  out.push_back('\0');
  return out;
}

/// The command and body of a STOMP frame from the server.
std::pair<std::string, std::string> stomp_parse(const std::string& text) {
  auto eol = text.find('\n');
  auto blank = text.find("\n\n");
  auto body
    = blank == std::string::npos ? std::string{} : text.substr(blank + 2);
  if (auto nul = body.find('\0'); nul != std::string::npos)
    body.resize(nul); // EOLs may follow the NUL

  return {text.substr(0, eol), body};
}

ws_options stomp_options() {
  ws_options o;
  o.target = "/ws";
  o.headers["Sec-WebSocket-Protocol"] = "v12.stomp";
  return o;
}

/// seq -> text of the MESSAGE events a receiver got; a repeat fails.
using seen_map = std::map<std::uint64_t, std::string>;

void note(seen_map& seen, const json& ev, const char* who) {
  // STOMP bodies call a message TALK, as the original app does.
  auto type = ev.value("type", "");
  if (type != "MESSAGE" && type != "TALK")
    return;
  auto seq = ev["seq"].get<std::uint64_t>();
  EXPECT_EQ(seen.count(seq), 0u) << who << " got seq " << seq << " twice";
  seen[seq] = ev.value("message", "");
}

using cluster_protocols = cluster_fixture;

TEST_F(cluster_protocols, raw_stomp_sse_and_http_send_meet_across_nodes) {
  auto p1 = cluster_->start("n1", true).port();
  auto p2 = cluster_->start("n2", true).port();
  auto p3 = cluster_->start("n3", true).port();
  ASSERT_TRUE(cluster_->wait_nodes(3));
  // Members sign up on different nodes: one database, one JWT key.
  auto alice = sign_up_unverified(p1, "alice");
  auto bob = sign_up_unverified(p2, "bob");
  auto carol = sign_up_unverified(p3, "carol");
  auto made = rest(p1, "POST", "/chat/room", json{{"name", "everywhere"}},
                   alice.access_token);
  ASSERT_EQ(made.status, 201) << made.raw;
  auto room = made.body.value("roomId", "");

  // STOMP on n2.
  ws_client stomp{p2, stomp_options()};
  ASSERT_TRUE(stomp.send(
    stomp_frame("CONNECT", {{"accept-version", "1.2"},
                            {"host", "localhost"},
                            {"Authorization", "Bearer " + bob.access_token},
                            {"heart-beat", "0,0"}})));
  auto connected = stomp.recv(5000ms);
  ASSERT_TRUE(connected);
  ASSERT_EQ(stomp_parse(*connected).first, "CONNECTED") << *connected;
  ASSERT_TRUE(stomp.send(
    stomp_frame("SUBSCRIBE", {{"id", "s1"},
                              {"destination", "/subscribe/room/" + room},
                              {"receipt", "sub-1"}})));
  // An SSE stream on n3: its own ENTER notice says it is in.
  sse_client stream{p3,
                    "/chat/room/" + room + "/events",
                    {{"Authorization", "Bearer " + carol.access_token}}};
  ASSERT_EQ(stream.status(), 200) << stream.head();
  // Raw JSON on n1.
  ws_client raw{p1, with_header_token(alice.access_token)};
  ASSERT_TRUE(raw.send_json(enter_frame(room, "alice")));
  ASSERT_TRUE(raw.recv_where(
    [](const json& j) {
      return j.value("type", "") == "ENTER" && j.value("sender", "") == "alice";
    },
    10000ms));
  // Wait until the STOMP subscription is through (RECEIPT).
  bool subscribed = false;
  for (int i = 0; i < 20 && !subscribed; ++i) {
    auto f = stomp.recv(500ms);
    subscribed = f && stomp_parse(*f).first == "RECEIPT";
  }
  ASSERT_TRUE(subscribed);

  // One message from each side: raw on n1, STOMP on n2, HTTP on n3.
  ASSERT_TRUE(raw.send_json(message_frame(room, "alice", "from raw", "r-1")));
  json talk{{"type", "TALK"},
            {"roomId", room},
            {"senderId", bob.id},
            {"message", "from stomp"}};
  ASSERT_TRUE(stomp.send(stomp_frame(
    "SEND",
    {{"destination", "/publish/message"}, {"content-type", "application/json"}},
    talk.dump())));
  auto http = rest(p3, "POST", "/chat/room/" + room + "/message",
                   json{{"message", "from http"}}, carol.access_token);
  ASSERT_EQ(http.status, 201) << http.raw;

  seen_map at_raw, at_stomp, at_sse;
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while ((at_raw.size() < 3 || at_stomp.size() < 3 || at_sse.size() < 3)
         && std::chrono::steady_clock::now() < deadline) {
    if (auto t = raw.recv(50ms))
      note(at_raw, json::parse(*t, nullptr, false), "raw");
    if (auto t = stomp.recv(50ms)) {
      auto [cmd, body] = stomp_parse(*t);
      if (cmd == "MESSAGE")
        note(at_stomp, json::parse(body, nullptr, false), "stomp");
    }
    if (auto ev = stream.next_event(50ms))
      if (ev->event == "MESSAGE")
        note(at_sse, json::parse(ev->data, nullptr, false), "sse");
  }
  std::set<std::string> texts;
  for (auto& [seq, text] : at_raw)
    texts.insert(text);
  EXPECT_EQ(texts,
            (std::set<std::string>{"from raw", "from stomp", "from http"}));
  EXPECT_EQ(at_raw, at_stomp) << "n1 (raw) and n2 (STOMP) disagree";
  EXPECT_EQ(at_raw, at_sse) << "n1 (raw) and n3 (SSE) disagree";
}

} // namespace
