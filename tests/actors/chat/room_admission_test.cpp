// Directory and room: what an ENTER costs (room creation switched off or
// limited per creator, owners of rooms created by ENTER, notices under a
// full persistence queue), and the creators' limiter table.
#define CAF_SUITE room_admission
#include "fixture.hpp"

using namespace h2h;
using namespace h2h::test;

namespace {

std::vector<event_kind> kinds(const std::vector<room_event>& evs) {
  std::vector<event_kind> out;
  for (auto& e : evs)
    out.push_back(e.kind);
  return out;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(room_admission_tests, node_fixture)

CAF_TEST(with create_on_enter off an unknown room answers CHAT_001) {
  env->create_on_enter = false;
  factory()()->create_room({"known", "known", 0, false, 1, {}});
  auto a = connect();
  auto b = connect();
  // Two ENTERs of the unknown room on their way at once: both are refused.
  caf::anon_send(a.actor, cmd_enter("nowhere", "alice"));
  caf::anon_send(b.actor, cmd_enter("nowhere", "bob"));
  consume_messages();
  CAF_CHECK(codes(*a.link) == std::vector<errc>{errc::no_such_room});
  CAF_CHECK(codes(*b.link) == std::vector<errc>{errc::no_such_room});
  CAF_CHECK_EQUAL(a.link->errors[0].message, "no such room nowhere");
  CAF_CHECK(a.link->events.empty());
  CAF_CHECK(!factory()()->room_exists("nowhere"));
  // The refused room stopped at once (no idle timeout): nothing is left.
  CAF_CHECK(room_ids().empty());
  frame(a, cmd_message("nowhere", "alice", "hi", "c-1"));
  CAF_CHECK(a.link->errors.back().code == errc::not_in_room);
  // A room that exists is entered as always.
  frame(a, cmd_enter("known", "alice"));
  CAF_CHECK_EQUAL(a.link->errors.size(), 2u);
  CAF_CHECK(a.link->seqs("known") == (std::vector<std::uint64_t>{1}));
}

CAF_TEST(a member creates at most rooms_created_per_hour rooms by enter) {
  env->rooms_created_per_hour = 2;
  stop_node(); // the directory reads its limits when it starts
  start_node();
  factory()()->create_room({"old", "old", 0, false, 1, {}});
  auto a = connect(member(7, "alice"));
  frame(a, cmd_enter("new1", ""));
  frame(a, cmd_enter("new2", ""));
  CAF_CHECK(a.link->errors.empty());
  frame(a, cmd_enter("new3", ""));
  CAF_CHECK(codes(*a.link) == std::vector<errc>{errc::rate_limited});
  CAF_CHECK(!factory()()->room_exists("new3"));
  CAF_CHECK_EQUAL(room_ids(), (std::vector<std::string>{"new1", "new2"}));
  // Entering rooms that exist is no creation: a running one, one only in
  // the store, and one created earlier whose actor stopped meanwhile.
  frame(a, cmd_exit("new1", ""));
  advance_time(std::chrono::seconds{1});
  consume_messages();
  CAF_CHECK_EQUAL(room_ids(), (std::vector<std::string>{"new2"}));
  auto b = connect(member(7, "alice"));
  for (auto id : {"new2", "old", "new1"})
    frame(b, cmd_enter(id, ""));
  CAF_CHECK(b.link->errors.empty());
  CAF_CHECK_EQUAL(room_ids(),
                  (std::vector<std::string>{"new1", "new2", "old"}));
  // The limit is the member's, not the connection's: another member may.
  auto c = connect(member(8, "carol"));
  frame(c, cmd_enter("new3", ""));
  CAF_CHECK(c.link->errors.empty());
  // Half an hour gives one creation back.
  advance_time(std::chrono::minutes{30});
  consume_messages();
  frame(b, cmd_enter("new4", ""));
  frame(b, cmd_enter("new5", ""));
  CAF_CHECK(codes(*b.link) == std::vector<errc>{errc::rate_limited});
  CAF_CHECK(factory()()->room_exists("new4"));
  CAF_CHECK(!factory()()->room_exists("new5"));
}

CAF_TEST(in trusted mode room creation is charged to the sender name) {
  env->rooms_created_per_hour = 1;
  stop_node();
  start_node();
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(b, cmd_enter("r2", "alice"));
  CAF_CHECK(a.link->errors.empty());
  CAF_CHECK(codes(*b.link) == std::vector<errc>{errc::rate_limited});
  frame(b, cmd_enter("r2", "bob"));
  CAF_CHECK_EQUAL(b.link->errors.size(), 1u);
  CAF_CHECK(b.link->seqs("r2") == (std::vector<std::uint64_t>{1}));
}

CAF_TEST(a room created by enter belongs to the member who entered) {
  auto a = connect(member(7, "alice"));
  frame(a, cmd_enter("mine", ""));
  auto anon = connect();
  frame(anon, cmd_enter("ours", "bob"));
  auto db = factory()();
  auto mine = db->room_by_id("mine", true);
  CAF_REQUIRE(mine.has_value());
  CAF_CHECK_EQUAL(mine->owner_id, 7);
  CAF_CHECK_EQUAL(mine->name, "mine");
  CAF_CHECK(!mine->is_private);
  CAF_CHECK(mine->members == std::vector<std::int64_t>{7});
  // Without a token nobody owns it (and only an operator can remove it).
  auto ours = db->room_by_id("ours", true);
  CAF_REQUIRE(ours.has_value());
  CAF_CHECK_EQUAL(ours->owner_id, 0);
  CAF_CHECK(ours->members.empty());
}

CAF_TEST(notices obey the persistence queue bound) {
  pcfg.queue_max = 2;
  stop_node();
  start_node();
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice")); // seq 1, committed
  *failing_commits = 1000;
  frame(a, cmd_message("r1", "alice", "one", "c-1")); // seq 2, waits
  frame(a, cmd_message("r1", "alice", "two", "c-2")); // seq 3, waits
  // The queue is full: the persistence actor refuses the next append (its
  // seq is handed out again), and the room learns so from that refusal.
  frame(a, cmd_message("r1", "alice", "three", "c-3"));
  CAF_CHECK(codes(*a.link) == std::vector<errc>{errc::unavailable});
  // A new member (and its notice) is refused, retry.
  frame(b, cmd_enter("r1", "bob"));
  CAF_CHECK(codes(*b.link) == std::vector<errc>{errc::unavailable});
  CAF_CHECK(b.link->events.empty());
  // A member entering again adds no notice and is let in.
  frame(a, cmd_enter("r1", "alice"));
  CAF_CHECK_EQUAL(a.link->errors.size(), 1u); // c-3's, nothing new
  // An EXIT leaves anyway; its notice is skipped and uses no seq.
  frame(a, cmd_exit("r1", "alice"));
  CAF_CHECK_EQUAL(a.link->errors.size(), 1u);
  CAF_CHECK_EQUAL(env->metrics->persist_queue.load(), 2);
  *failing_commits = 0;
  advance_time(pcfg.retry_max);
  consume_messages();
  CAF_CHECK_EQUAL(a.link->acks.size(), 2u);
  frame(b, cmd_enter("r1", "bob"));
  CAF_CHECK_EQUAL(b.link->errors.size(), 1u);
  CAF_CHECK(b.link->seqs("r1") == (std::vector<std::uint64_t>{4}));
  auto stored = factory()()->after("r1", 0, 100);
  CAF_CHECK(
    kinds(stored)
    == (std::vector<event_kind>{event_kind::enter, event_kind::message,
                                event_kind::message, event_kind::enter}));
  // And alice's connection no longer receives the room.
  CAF_CHECK(a.link->of_kind(event_kind::enter).size() == 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST(the creators table stays bounded and forgets the least recent) {
  using namespace std::chrono;
  creation_limiter lim{2, 3};
  steady_clock::time_point t0{hours{1}};
  for (auto k : {"a", "b", "c"}) {
    CAF_CHECK(lim.take(k, t0));
    CAF_CHECK(lim.take(k, t0));
    CAF_CHECK(!lim.take(k, t0));
  }
  CAF_CHECK_EQUAL(lim.size(), 3u);
  // "a" is seen again, so "b" is now the least recent and goes first.
  CAF_CHECK(!lim.take("a", t0));
  CAF_CHECK(lim.take("d", t0));
  CAF_CHECK_EQUAL(lim.size(), 3u);
  CAF_CHECK(lim.take("b", t0)); // forgotten: a full bucket again
  // 2 per hour: one comes back every 30 minutes.
  CAF_CHECK(!lim.take("a", t0 + minutes{29}));
  CAF_CHECK(lim.take("a", t0 + minutes{31}));
  CAF_CHECK_EQUAL(lim.size(), 3u);
}

CAF_TEST(creators are members when authenticated and names otherwise) {
  CAF_CHECK_EQUAL((room_creator{7, "alice"}.key()), "m:7");
  CAF_CHECK_EQUAL((room_creator{0, "7"}.key()), "n:7");
  CAF_CHECK(room_creator{7, "x"}.key() != room_creator{0, "7"}.key());
}
