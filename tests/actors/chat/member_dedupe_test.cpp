// Idempotency is keyed on the member id, never on a display name: two
// members with one name and one clientMsgId send two messages; a retry by
// the same member (whatever its name now) gets the original seq.
#define CAF_SUITE member_dedupe
#include "fixture.hpp"

using namespace h2h;
using namespace h2h::test;

namespace {

struct dedupe_fixture : node_fixture {
  /// The message texts the store holds for a room, in seq order.
  std::vector<std::string> stored(const std::string& room) {
    auto db = make_sql_store(sql::open_sqlite(scratch.path + "/h2h.db"));
    std::vector<std::string> out;
    for (auto& ev : db->after(room, 0, 1000))
      if (ev.kind == event_kind::message)
        out.push_back(ev.text);
    return out;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(member_dedupe, dedupe_fixture)

// The reproduction: B renamed itself to A's nickname.
CAF_TEST(two members with one name and one clientMsgId send two messages) {
  auto a = connect(member(1, "alice"));
  auto b = connect(member(2, "alice"));
  frame(a, cmd_enter("r1", "alice"));
  frame(b, cmd_enter("r1", "alice"));
  frame(b, cmd_message("r1", "alice", "from B", "c-17"));
  frame(a, cmd_message("r1", "alice", "from A", "c-17"));
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 1u);
  CAF_REQUIRE_EQUAL(b.link->acks.size(), 1u);
  CAF_CHECK_NOT_EQUAL(a.link->acks[0].seq, b.link->acks[0].seq);
  CAF_CHECK_EQUAL(texts(*a.link),
                  (std::vector<std::string>{"from B", "from A"}));
  CAF_CHECK_EQUAL(stored("r1"), (std::vector<std::string>{"from B", "from A"}));
  // A's retry is A's message again, answered with A's seq.
  frame(a, cmd_message("r1", "alice", "from A", "c-17"));
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 2u);
  CAF_CHECK_EQUAL(a.link->acks[1].seq, a.link->acks[0].seq);
  CAF_CHECK_EQUAL(texts(*b.link).size(), 2u);
}

CAF_TEST(a retry after a rename gets the original seq from the room) {
  auto a = connect(member(1, "alice"));
  frame(a, cmd_enter("r1", "alice"));
  frame(a, cmd_message("r1", "alice", "hello", "c-5"));
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 1u);
  // Alice renames herself and reconnects; her client retries.
  auto again = connect(member(1, "alicia"));
  frame(again, cmd_enter("r1", "alicia"));
  frame(again, cmd_message("r1", "alicia", "hello", "c-5"));
  CAF_REQUIRE_EQUAL(again.link->acks.size(), 1u);
  CAF_CHECK_EQUAL(again.link->acks[0].seq, a.link->acks[0].seq);
  CAF_CHECK(texts(*again.link).empty());
  CAF_CHECK_EQUAL(stored("r1"), (std::vector<std::string>{"hello"}));
}

CAF_TEST(a retry after a rename gets the original seq from the store) {
  env->dedupe_window = 0; // the room remembers nothing: the store decides
  auto a = connect(member(1, "alice"));
  frame(a, cmd_enter("r1", "alice"));
  frame(a, cmd_message("r1", "alice", "hello", "c-5"));
  auto b = connect(member(2, "alicia"));
  frame(b, cmd_enter("r1", "alicia"));
  frame(b, cmd_message("r1", "alicia", "not a retry", "c-5"));
  auto again = connect(member(1, "alicia"));
  frame(again, cmd_enter("r1", "alicia"));
  frame(again, cmd_message("r1", "alicia", "hello", "c-5"));
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 1u);
  CAF_REQUIRE_EQUAL(b.link->acks.size(), 1u);
  CAF_REQUIRE_EQUAL(again.link->acks.size(), 1u);
  CAF_CHECK_EQUAL(again.link->acks[0].seq, a.link->acks[0].seq);
  CAF_CHECK_NOT_EQUAL(b.link->acks[0].seq, a.link->acks[0].seq);
  CAF_CHECK_EQUAL(stored("r1"),
                  (std::vector<std::string>{"hello", "not a retry"}));
}

// While the store is down both sends wait; B's must not ride on A's.
CAF_TEST(a send in flight is not taken for a retry of another member) {
  auto a = connect(member(1, "alice"));
  auto b = connect(member(2, "alice"));
  frame(a, cmd_enter("r1", "alice"));
  frame(b, cmd_enter("r1", "alice"));
  *failing_commits = 1;
  frame(a, cmd_message("r1", "alice", "from A", "c-1"));
  frame(b, cmd_message("r1", "alice", "from B", "c-1"));
  advance_time(pcfg.retry_min);
  consume_messages();
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 1u);
  CAF_REQUIRE_EQUAL(b.link->acks.size(), 1u);
  CAF_CHECK_NOT_EQUAL(a.link->acks[0].seq, b.link->acks[0].seq);
  CAF_CHECK_EQUAL(stored("r1"), (std::vector<std::string>{"from A", "from B"}));
}

// Trusted mode (auth.required = false): there is no member id, the name
// the frame gives is the sender.
CAF_TEST(without authentication the sender name is the key) {
  auto a = connect();
  frame(a, cmd_enter("r1", "bob"));
  frame(a, cmd_message("r1", "bob", "b", "c-1"));
  frame(a, cmd_message("r1", "bob", "b", "c-1"));
  frame(a, cmd_message("r1", "carol", "c", "c-1"));
  CAF_REQUIRE_EQUAL(a.link->acks.size(), 3u);
  CAF_CHECK_EQUAL(a.link->acks[0].seq, a.link->acks[1].seq);
  CAF_CHECK_NOT_EQUAL(a.link->acks[2].seq, a.link->acks[0].seq);
  CAF_CHECK_EQUAL(stored("r1"), (std::vector<std::string>{"b", "c"}));
}

CAF_TEST_FIXTURE_SCOPE_END()
