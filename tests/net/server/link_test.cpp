// The link over a fake transport with real session, room and persistence
// actors: every command path completes exactly once (one window release
// each), the bytes are raw JSON's, and a sender's own event precedes its ACK.
#define CAF_SUITE link
#include "fixture.hpp"

#include "net/protocol/raw_json/raw_json_protocol.hpp"
#include "net/server/link.hpp"

using namespace h2h;
using namespace h2h::test;
using namespace h2h::net;

namespace {

/// A transport double: records what it is asked to queue, how many commands
/// were released and how the session ended.
struct fake_transport : transport {
  std::vector<std::string> sent;
  int released = 0;
  std::vector<end_reason> ends;
  std::vector<std::string> details;
  int batches = 0;
  bool aborted = false;
  std::string name = "fake";

  void send(const wire_message* msgs, std::size_t n) override {
    ++batches;
    for (std::size_t i = 0; i < n; ++i)
      sent.push_back(msgs[i].joined());
  }
  void release() override {
    ++released;
  }
  void end(end_reason why, std::string_view detail) override {
    ends.push_back(why);
    details.emplace_back(detail);
  }
  void abort_now() override {
    aborted = true;
  }
  const std::string& peer() const override {
    return name;
  }

  /// Sent frames of one type (by their "type" field).
  std::vector<std::string> of_type(const std::string& type) const {
    std::vector<std::string> out;
    auto tag = "{\"type\":\"" + type + "\"";
    for (auto& s : sent)
      if (s.compare(0, tag.size(), tag) == 0)
        out.push_back(s);
    return out;
  }
};

struct link_fixture : node_fixture {
  codec_limits limits;
  registry reg;

  struct conn {
    std::shared_ptr<fake_transport> wire;
    std::shared_ptr<link> lnk;
    session_actor actor;
    int handed = 0;
  };

  conn open(session_identity id = {}, directory_actor d = {}) {
    conn c;
    c.wire = std::make_shared<fake_transport>();
    c.lnk = std::make_shared<link>(
      c.wire, std::make_unique<raw_json_protocol>(limits), reg);
    auto target = d ? d : dir;
    c.lnk->start(
      [&](client_link_ptr l, session_identity who) {
        auto s = sys.spawn(session, std::move(l), target, std::move(who),
                           std::make_shared<const session_env>(senv));
        sessions.push_back(s);
        c.actor = s;
        return s;
      },
      std::move(id), [](std::shared_ptr<transport_user>) {});
    return c;
  }

  /// The client sends a text frame; the system settles (no timers).
  bool text(conn& c, std::string frame) {
    bool handed = c.lnk->on_text(frame);
    if (handed)
      ++c.handed;
    consume_messages();
    return handed;
  }
};

const std::string enter_r1 = R"({"type":"ENTER","roomId":"r1","sender":"a"})";

std::string message(const std::string& text, const std::string& cmid = "") {
  return R"({"type":"MESSAGE","roomId":"r1","sender":"a","message":")" + text
         + "\"" + (cmid.empty() ? "" : R"(,"clientMsgId":")" + cmid + "\"")
         + "}";
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(link_tests, link_fixture)

CAF_TEST(an enter that succeeds completes once and sends only its notice) {
  auto c = open();
  CAF_CHECK(text(c, enter_r1));
  CAF_CHECK_EQUAL(c.wire->released, 1);
  CAF_REQUIRE_EQUAL(c.wire->sent.size(), 1u);
  CAF_CHECK_EQUAL(c.wire->of_type("ENTER").size(), 1u);
}

CAF_TEST(a refused enter completes once with an error naming no message) {
  auto c = open(member(7, "alice"));
  CAF_CHECK(text(c, R"({"type":"ENTER","roomId":"r1","sender":"bob",)"
                    R"("clientMsgId":"c-1"})"));
  CAF_CHECK_EQUAL(c.wire->released, 1);
  CAF_REQUIRE_EQUAL(c.wire->sent.size(), 1u);
  CAF_CHECK_EQUAL(c.wire->sent[0],
                  R"({"type":"ERROR","code":"GLOBAL_105","message":"sender )"
                  R"(does not match the authenticated member"})");
}

CAF_TEST(an enter not answered in time completes once with CHAT_006) {
  senv.request_timeout = std::chrono::milliseconds{1000};
  auto silent
    = caf::actor_cast<directory_actor>(sys.spawn(silent_directory, 0));
  auto c = open({}, silent);
  CAF_CHECK(text(c, enter_r1));
  CAF_CHECK(text(c, message("behind", "c-1")));
  CAF_CHECK_EQUAL(c.wire->released, 0);
  advance_time(std::chrono::milliseconds{1000});
  consume_messages();
  CAF_CHECK_EQUAL(c.wire->released, 2);
  CAF_REQUIRE_EQUAL(c.wire->sent.size(), 2u);
  CAF_CHECK_EQUAL(c.wire->sent[0], R"({"type":"ERROR","code":"CHAT_006",)"
                                   R"("message":"room unavailable, retry"})");
  CAF_CHECK_EQUAL(c.wire->sent[1], R"({"type":"ERROR","code":"CHAT_003",)"
                                   R"("message":"not in room r1",)"
                                   R"("clientMsgId":"c-1"})");
  caf::anon_send_exit(silent, caf::exit_reason::user_shutdown);
}

CAF_TEST(an acknowledged message comes after its own event) {
  auto c = open();
  text(c, enter_r1);
  CAF_CHECK(text(c, message("hi", "c-1")));
  CAF_CHECK_EQUAL(c.wire->released, 2);
  CAF_REQUIRE_EQUAL(c.wire->sent.size(), 3u);
  CAF_CHECK_EQUAL(c.wire->of_type("MESSAGE").size(), 1u);
  CAF_CHECK(c.wire->sent[1].find("\"message\":\"hi\"") != std::string::npos);
  CAF_CHECK_EQUAL(c.wire->sent[2], R"({"type":"ACK","roomId":"r1",)"
                                   R"("clientMsgId":"c-1","seq":2})");
  // Without a clientMsgId: completed, no ACK.
  CAF_CHECK(text(c, message("no id")));
  CAF_CHECK_EQUAL(c.wire->released, 3);
  CAF_CHECK_EQUAL(c.wire->of_type("ACK").size(), 1u);
  CAF_CHECK_EQUAL(c.wire->of_type("MESSAGE").size(), 2u);
}

CAF_TEST(a refused message completes once and echoes its id) {
  auto c = open();
  CAF_CHECK(text(c, message("nowhere", "c-9")));
  CAF_CHECK_EQUAL(c.wire->released, 1);
  CAF_REQUIRE_EQUAL(c.wire->sent.size(), 1u);
  CAF_CHECK_EQUAL(c.wire->sent[0], R"({"type":"ERROR","code":"CHAT_003",)"
                                   R"("message":"not in room r1",)"
                                   R"("clientMsgId":"c-9"})");
}

CAF_TEST(a duplicate message is acknowledged again and broadcast once) {
  auto c = open();
  text(c, enter_r1);
  text(c, message("once", "c-1"));
  text(c, message("once", "c-1"));
  CAF_CHECK_EQUAL(c.wire->released, 3);
  CAF_CHECK_EQUAL(c.wire->of_type("MESSAGE").size(), 1u);
  auto acks = c.wire->of_type("ACK");
  CAF_REQUIRE_EQUAL(acks.size(), 2u);
  CAF_CHECK_EQUAL(acks[0], acks[1]);
}

CAF_TEST(an exit completes once and sends no answer of its own) {
  auto c = open();
  auto other = open();
  text(c, enter_r1);
  text(other, R"({"type":"ENTER","roomId":"r1","sender":"b"})");
  auto before = c.wire->sent.size();
  CAF_CHECK(text(c, R"({"type":"EXIT","roomId":"r1","clientMsgId":"c-2"})"));
  CAF_CHECK_EQUAL(c.wire->released, 2);
  CAF_CHECK_EQUAL(c.wire->sent.size(), before); // no ACK for an EXIT
  CAF_CHECK_EQUAL(other.wire->of_type("EXIT").size(), 1u);
  // Not in the room any more: refused, with the frame's id.
  CAF_CHECK(text(c, R"({"type":"EXIT","roomId":"r1","clientMsgId":"c-3"})"));
  CAF_CHECK_EQUAL(c.wire->released, 3);
  CAF_CHECK_EQUAL(c.wire->sent.back(), R"({"type":"ERROR","code":"CHAT_003",)"
                                       R"("message":"not in room r1",)"
                                       R"("clientMsgId":"c-3"})");
}

CAF_TEST(a frame the protocol refuses reaches no session and takes no window) {
  auto c = open();
  CAF_CHECK(!text(c, "{not json"));
  CAF_CHECK(!text(c, R"({"type":"MESSAGE","roomId":"r1","clientMsgId":"x"})"));
  CAF_CHECK_EQUAL(c.wire->released, 0);
  CAF_REQUIRE_EQUAL(c.wire->sent.size(), 2u);
  CAF_CHECK_EQUAL(c.wire->sent[0], R"({"type":"ERROR","code":"GLOBAL_004",)"
                                   R"("message":"frame is not valid JSON"})");
  CAF_CHECK_EQUAL(c.wire->sent[1], R"({"type":"ERROR","code":"CHAT_004",)"
                                   R"("message":"message is required",)"
                                   R"("clientMsgId":"x"})");
  CAF_CHECK(c.wire->ends.empty());
}

CAF_TEST(every handed command is released exactly once) {
  senv.message_rate = 1;
  senv.message_burst = 3;
  auto c = open();
  text(c, enter_r1);
  for (int i = 0; i < 6; ++i)
    text(c, message("m" + std::to_string(i), "c" + std::to_string(i)));
  text(c, R"({"type":"EXIT","roomId":"r1"})");
  text(c, R"({"type":"EXIT","roomId":"r1"})");
  CAF_CHECK_EQUAL(c.wire->released, c.handed);
  CAF_CHECK_EQUAL(c.handed, 9);
}

CAF_TEST(the transport going away ends the session and the registration) {
  auto c = open();
  text(c, enter_r1);
  CAF_CHECK_EQUAL(reg.size(), 1u);
  c.lnk->on_gone();
  consume_messages();
  CAF_CHECK_EQUAL(reg.size(), 0u);
  // The session is gone without closing anything itself.
  CAF_CHECK(c.wire->ends.empty());
  CAF_CHECK(!text(c, message("late", "c-1")));
}

CAF_TEST(the reasons of the server to end reach the client in its protocol) {
  auto c = open();
  c.lnk->expire();
  c.lnk->end_session();
  c.lnk->shutdown();
  CAF_REQUIRE_EQUAL(c.wire->ends.size(), 3u);
  CAF_CHECK(c.wire->ends[0] == end_reason::token_expired);
  CAF_CHECK(c.wire->ends[1] == end_reason::session_ended);
  CAF_CHECK(c.wire->ends[2] == end_reason::going_away);
  CAF_REQUIRE_EQUAL(c.wire->sent.size(), 2u);
  CAF_CHECK(c.wire->sent[0].find("GLOBAL_104") != std::string::npos);
  CAF_CHECK(c.wire->sent[1].find("GLOBAL_103") != std::string::npos);
  c.lnk->abort_now();
  CAF_CHECK(c.wire->aborted);
}

CAF_TEST(a session that dies ends its link with internal_error) {
  auto c = open();
  caf::anon_send_exit(c.actor, caf::exit_reason::kill);
  consume_messages();
  CAF_REQUIRE_EQUAL(c.wire->ends.size(), 1u);
  CAF_CHECK(c.wire->ends[0] == end_reason::internal_error);
}

CAF_TEST(a room dropping the member is a notice that completes nothing) {
  auto c = open();
  text(c, enter_r1);
  caf::anon_send(c.actor, removed_atom_v, std::string{"r1"},
                 caf::make_error(errc::no_such_room));
  consume_messages();
  CAF_CHECK_EQUAL(c.wire->released, 1);
  CAF_CHECK_EQUAL(c.wire->sent.back(), R"({"type":"ERROR","code":"CHAT_001",)"
                                       R"("message":"room r1 was deleted"})");
}

CAF_TEST(a replay is one batch on the transport) {
  auto c = open();
  text(c, enter_r1);
  for (int i = 0; i < 3; ++i)
    text(c, message("m" + std::to_string(i)));
  auto late = open();
  auto batches = late.wire->batches;
  text(late, R"({"type":"ENTER","roomId":"r1","sender":"b","lastSeq":0})");
  // Replayed events (seqs 1-4) as one batch, then b's own ENTER notice.
  CAF_CHECK_EQUAL(late.wire->batches - batches, 2);
  CAF_CHECK_EQUAL(late.wire->sent.size(), 5u);
}

CAF_TEST_FIXTURE_SCOPE_END()
