// A deferred link (STOMP at /ws) over a fake transport with real session,
// room and persistence actors: the session starts at an accepted CONNECT,
// frames behind CONNECT are counted and handed on, RECEIPT follows the
// sender's own MESSAGE, ERROR ends the session, and the sweep's ticks send
// and expect heart-beats.
#define CAF_SUITE stomp_link
#include "fixture.hpp"

#include "net/protocol/stomp/stomp_protocol.hpp"
#include "net/server/link.hpp"

using namespace h2h;
using namespace h2h::test;
using namespace h2h::net;
using namespace std::string_literals;

namespace {

using clock_type = std::chrono::steady_clock;

struct counting_transport : transport {
  std::vector<std::string> sent;
  int released = 0;
  int held = 0;
  std::vector<end_reason> ends;
  std::string name = "fake";

  void send(const wire_message* msgs, std::size_t n) override {
    for (std::size_t i = 0; i < n; ++i)
      sent.push_back(msgs[i].joined());
  }
  void release() override {
    ++released;
  }
  void hold() override {
    ++held;
  }
  void end(end_reason why, std::string_view) override {
    ends.push_back(why);
  }
  void abort_now() override {
  }
  const std::string& peer() const override {
    return name;
  }
  /// Frames sent whose command is `cmd`.
  std::size_t count(const std::string& cmd) const {
    std::size_t n = 0;
    for (auto& s : sent)
      n += s.rfind(cmd + "\n", 0) == 0 ? 1 : 0;
    return n;
  }
};

struct stomp_link_fixture : node_fixture {
  stomp_settings settings;
  registry reg;
  std::shared_ptr<counting_transport> wire
    = std::make_shared<counting_transport>();
  std::shared_ptr<link> lnk;
  int handed = 0;
  int spawned = 0;
  /// What the connect authenticator answers.
  bool accept = true;

  stomp_link_fixture() {
    settings.heartbeat = std::chrono::milliseconds{1000};
  }

  void open() {
    lnk = std::make_shared<link>(
      wire, std::make_unique<stomp_protocol>(settings), reg);
    lnk->start_deferred(
      [this](client_link_ptr l, session_identity who) {
        ++spawned;
        auto s = sys.spawn(session, std::move(l), dir, std::move(who),
                           std::make_shared<const session_env>(senv));
        sessions.push_back(s);
        return s;
      },
      [this](const std::string& token, std::function<void(ws_auth)> done) {
        if (!accept || token != "good") {
          done(ws_auth::refused(errc::invalid_token, "invalid token"));
          return;
        }
        ws_auth ok;
        ok.identity = member(7, "alice");
        done(ok);
      },
      std::chrono::milliseconds{500}, [](std::shared_ptr<transport_user>) {});
  }

  bool text(std::string t) {
    bool h = lnk->on_text(t);
    handed += h ? 1 : 0;
    consume_messages();
    return h;
  }
};

const std::string connect_frame
  = "CONNECT\naccept-version:1.2\nAuthorization:Bearer good\n"
    "heart-beat:2000,1000\n\n\0"s;
const std::string subscribe_r1
  = "SUBSCRIBE\nid:s1\ndestination:/subscribe/room/r1\nreceipt:sub\n\n\0"s;

} // namespace

CAF_TEST_FIXTURE_SCOPE(stomp_link_tests, stomp_link_fixture)

CAF_TEST(the session starts at an accepted CONNECT and held frames follow) {
  open();
  CAF_CHECK_EQUAL(reg.ticking(), 1u);
  CAF_CHECK(text(connect_frame + subscribe_r1));
  CAF_CHECK_EQUAL(spawned, 1);
  CAF_REQUIRE(!wire->sent.empty());
  CAF_CHECK(wire->sent[0].rfind("CONNECTED\nversion:1.2\n", 0) == 0);
  // The CONNECT took the text's count; the held SUBSCRIBE one of its own.
  CAF_CHECK_EQUAL(wire->held, 1);
  CAF_CHECK_EQUAL(wire->released, 2);
  CAF_CHECK_EQUAL(wire->count("RECEIPT"), 1u);
  CAF_CHECK_EQUAL(wire->count("MESSAGE"), 1u); // alice's ENTER notice
  CAF_CHECK(wire->ends.empty());
}

CAF_TEST(a refused CONNECT is an ERROR and a close without a session) {
  accept = false;
  open();
  text(connect_frame);
  CAF_CHECK_EQUAL(spawned, 0);
  CAF_REQUIRE_EQUAL(wire->sent.size(), 1u);
  CAF_CHECK(wire->sent[0].find("code:GLOBAL_103") != std::string::npos);
  CAF_REQUIRE_EQUAL(wire->ends.size(), 1u);
  CAF_CHECK(wire->ends[0] == end_reason::refused);
}

CAF_TEST(a SEND is receipted after the sender sees its own MESSAGE) {
  open();
  text(connect_frame + subscribe_r1);
  wire->sent.clear();
  text("SEND\ndestination:/publish/message\nreceipt:m1\n\n"
       R"({"type":"TALK","roomId":"r1","senderId":7,"message":"hi"})"
       "\0"s);
  CAF_REQUIRE_EQUAL(wire->sent.size(), 2u);
  CAF_CHECK(wire->sent[0].rfind("MESSAGE\nsubscription:s1\n", 0) == 0);
  CAF_CHECK(wire->sent[0].find("\"message\":\"hi\"") != std::string::npos);
  CAF_CHECK_EQUAL(wire->sent[1], "RECEIPT\nreceipt-id:m1\n\n\0"s);
  CAF_CHECK_EQUAL(wire->released, handed + wire->held);
}

CAF_TEST(a room subscribed again delivers under the new subscription only) {
  open();
  text(connect_frame + subscribe_r1);
  text("UNSUBSCRIBE\nid:s1\n\n\0"s);
  text("SUBSCRIBE\nid:s2\ndestination:/subscribe/room/r1\n\n\0"s);
  wire->sent.clear();
  text("SEND\ndestination:/publish/message\nreceipt:m2\n\n"
       R"({"type":"TALK","roomId":"r1","senderId":7,"message":"again"})"
       "\0"s);
  CAF_REQUIRE_EQUAL(wire->sent.size(), 2u);
  CAF_CHECK(wire->sent[0].rfind("MESSAGE\nsubscription:s2\n", 0) == 0);
  CAF_CHECK(wire->sent[0].find("\"message\":\"again\"") != std::string::npos);
  CAF_CHECK_EQUAL(wire->sent[1], "RECEIPT\nreceipt-id:m2\n\n\0"s);
}

CAF_TEST(a refused command is an ERROR that ends the session) {
  open();
  text(connect_frame + subscribe_r1);
  text("SEND\ndestination:/publish/message\nreceipt:x\n\n"
       R"({"type":"TALK","roomId":"nowhere","message":"hi"})"
       "\0"s);
  CAF_CHECK(wire->sent.back().rfind("ERROR\n", 0) == 0);
  CAF_CHECK(wire->sent.back().find("receipt-id:x") != std::string::npos);
  CAF_CHECK(wire->sent.back().find("CHAT_003") != std::string::npos);
  CAF_REQUIRE_EQUAL(wire->ends.size(), 1u);
  CAF_CHECK(wire->ends[0] == end_reason::refused);
}

CAF_TEST(DISCONNECT is receipted then ends normally) {
  open();
  text(connect_frame + subscribe_r1);
  text("DISCONNECT\nreceipt:bye\n\n\0"s);
  CAF_CHECK_EQUAL(wire->sent.back(), "RECEIPT\nreceipt-id:bye\n\n\0"s);
  CAF_REQUIRE(!wire->ends.empty());
  CAF_CHECK(wire->ends.back() == end_reason::normal);
}

CAF_TEST(no CONNECT in time is an ERROR and a close) {
  open();
  auto t0 = clock_type::now();
  lnk->tick(t0);
  CAF_CHECK(wire->sent.empty());
  lnk->tick(t0 + std::chrono::milliseconds{600});
  CAF_REQUIRE_EQUAL(wire->sent.size(), 1u);
  CAF_CHECK(wire->sent[0].find("no CONNECT frame in time")
            != std::string::npos);
  CAF_CHECK_EQUAL(reg.ticking(), 0u);
  CAF_REQUIRE_EQUAL(wire->ends.size(), 1u);
}

CAF_TEST(ticks send heart - beats and drop a silent client) {
  open();
  text(connect_frame); // the client beats every 2 s, wants ours every 1 s
  auto t0 = clock_type::now();
  wire->sent.clear();
  lnk->tick(t0); // sent CONNECTED and received CONNECT since the last tick
  lnk->tick(t0 + std::chrono::milliseconds{900});
  CAF_CHECK(wire->sent.empty());
  lnk->tick(t0 + std::chrono::milliseconds{1100});
  CAF_REQUIRE_EQUAL(wire->sent.size(), 1u);
  CAF_CHECK_EQUAL(wire->sent[0], "\n");
  // The client's beat arrives: it is not dropped at 1.5 x 2 s from t0.
  std::string beat = "\n";
  lnk->on_text(beat);
  lnk->tick(t0 + std::chrono::milliseconds{2000});
  lnk->tick(t0 + std::chrono::milliseconds{3100});
  CAF_CHECK(wire->ends.empty());
  // Silent since 2 s: dropped after 3 s more.
  lnk->tick(t0 + std::chrono::milliseconds{4900});
  CAF_CHECK(wire->ends.empty());
  lnk->tick(t0 + std::chrono::milliseconds{5100});
  CAF_REQUIRE_EQUAL(wire->ends.size(), 1u);
  CAF_CHECK(wire->sent.back().find("no heart-beat") != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()
