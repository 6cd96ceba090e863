// The admin actor acting on one node: kick, close, broadcast.
#define CAF_SUITE admin_steer
#include "admin/admin_fixture.hpp"

using namespace h2h;
using namespace h2h::test;

CAF_TEST_FIXTURE_SCOPE(admin_steer_tests, admin_fixture)

CAF_TEST(kick ends every session of the member) {
  auto a1 = connect(member_on(1, "alice", "raw"));
  auto a2 = connect(member_on(1, "alice", "stomp"));
  auto b = connect(member_on(2, "bob", "raw"));
  frame(a1, cmd_enter("r1", ""));
  frame(a2, cmd_enter("r2", ""));
  frame(b, cmd_enter("r1", ""));
  auto req = cmd("kick");
  req.member = 1;
  auto r = ask(req);
  CAF_CHECK_EQUAL(r.error, "");
  CAF_CHECK_EQUAL(r.count, 2u);
  for (auto* l : {a1.link.get(), a2.link.get()})
    CAF_CHECK_EQUAL(l->ends, (std::vector<end_reason>{end_reason::kicked}));
  CAF_CHECK(b.link->ends.empty());
  CAF_CHECK_EQUAL(texts(*b.link, event_kind::exit),
                  (std::vector<std::string>{"alice left."}));
  CAF_CHECK_EQUAL(ask(cmd("sessions")).sessions.size(), 1u);
  auto again = ask(req);
  CAF_CHECK_EQUAL(again.count, 0u);
}

CAF_TEST(blocks tell every session of the member and call the node hook) {
  std::vector<std::int64_t> hooked;
  auto s = settings_for("solo", dir, env->metrics);
  s.blocks_changed = [&hooked](std::int64_t m) { hooked.push_back(m); };
  auto hooked_admin = sys.spawn(node_admin, s);
  consume_messages();
  senv.admin = hooked_admin;
  auto a1 = connect(member_on(1, "alice", "raw"));
  auto a2 = connect(member_on(1, "alice", "stomp"));
  auto b = connect(member_on(2, "bob", "raw"));
  frame(a1, cmd_enter("r1", ""));
  frame(b, cmd_enter("r1", ""));
  auto r = ask(hooked_admin, admin::blocks_request(1, {2, 7}));
  CAF_CHECK_EQUAL(r.error, "");
  CAF_CHECK_EQUAL(r.count, 2u);
  CAF_CHECK_EQUAL(hooked, (std::vector<std::int64_t>{1}));
  say(b, "r1", "", "hidden");
  CAF_CHECK(texts(*a1.link).empty());
  frame(a2, cmd_enter("r1", "")); // entered after the change
  say(b, "r1", "", "hidden too");
  CAF_CHECK(texts(*a1.link).empty());
  CAF_CHECK(texts(*a2.link).empty());
  // Bob's sessions were not told anything: he sees alice.
  say(a1, "r1", "", "from alice");
  CAF_CHECK_EQUAL(texts(*b.link), (std::vector<std::string>{
                                    "hidden", "hidden too", "from alice"}));
  // A member id is required.
  CAF_CHECK_EQUAL(ask(hooked_admin, admin::blocks_request(0, {})).error,
                  admin::bad_request);
  caf::anon_send_exit(hooked_admin, caf::exit_reason::user_shutdown);
  consume_messages();
}

CAF_TEST(the ids of a blocks request round trip) {
  auto req = admin::blocks_request(5, {9, 3});
  CAF_CHECK_EQUAL(req.command, "blocks");
  CAF_CHECK_EQUAL(req.member, 5);
  CAF_CHECK_EQUAL(admin::block_ids(req.text),
                  (std::vector<std::int64_t>{3, 9}));
  CAF_CHECK(admin::block_ids("").empty());
  CAF_CHECK_EQUAL(admin::block_ids("4,x,-1,,4,2"),
                  (std::vector<std::int64_t>{2, 4}));
}

CAF_TEST(kick with a room drops the member from that room only) {
  auto a = connect(member_on(1, "alice", "raw"));
  auto b = connect(member_on(2, "bob", "raw"));
  frame(a, cmd_enter("r1", ""));
  frame(a, cmd_enter("r2", ""));
  frame(b, cmd_enter("r1", ""));
  auto req = cmd("kick");
  req.member = 1;
  req.room = "r1";
  auto r = ask(req);
  CAF_CHECK_EQUAL(r.error, "");
  CAF_CHECK_EQUAL(r.count, 1u);
  CAF_CHECK(a.link->ends.empty());
  CAF_CHECK_EQUAL(codes(*a.link), (std::vector<errc>{errc::not_member}));
  CAF_CHECK_EQUAL(a.link->errors.back().message,
                  "removed from room r1 by an operator");
  auto mine = cmd("member");
  mine.member = 1;
  auto s = ask(mine);
  CAF_REQUIRE_EQUAL(s.sessions.size(), 1u);
  CAF_CHECK_EQUAL(s.sessions[0].rooms, (std::vector<std::string>{"r2"}));
  // The member may enter again.
  frame(a, cmd_enter("r1", ""));
  // Each answer in a local: CAF_CHECK_EQUAL keeps a reference to its
  // arguments past the full expression (ASan: use after free).
  auto again = ask(mine);
  CAF_REQUIRE_EQUAL(again.sessions.size(), 1u);
  CAF_CHECK_EQUAL(again.sessions[0].rooms,
                  (std::vector<std::string>{"r1", "r2"}));
  req.room = "nope";
  CAF_CHECK_EQUAL(ask(req).error, admin::not_found);
}

CAF_TEST(close stops the room and its members hear why) {
  auto a = connect(member_on(1, "alice", "raw"));
  auto b = connect(member_on(2, "bob", "raw"));
  frame(a, cmd_enter("r1", ""));
  frame(b, cmd_enter("r1", ""));
  frame(b, cmd_enter("r2", ""));
  say(a, "r1", "", "hello");
  auto req = cmd("close");
  req.room = "r1";
  auto r = ask(req);
  CAF_CHECK_EQUAL(r.error, "");
  CAF_CHECK_EQUAL(r.count, 1u);
  for (auto* l : {a.link.get(), b.link.get()}) {
    CAF_CHECK_EQUAL(codes(*l), (std::vector<errc>{errc::unavailable}));
    CAF_CHECK_EQUAL(l->errors.back().message,
                    "room r1 was closed by an operator");
  }
  CAF_CHECK_EQUAL(room_ids(), (std::vector<std::string>{"r2"}));
  CAF_CHECK_EQUAL(ask(req).error, admin::not_found);
  // Entered again later, it goes on from its history.
  frame(a, cmd_enter("r1", "", 0));
  CAF_CHECK_EQUAL(texts(*a.link), (std::vector<std::string>{"hello", "hello"}));
  auto q = cmd("room");
  q.room = "r1";
  // Its members' EXIT notices were stored as they were dropped (4, 5).
  CAF_CHECK_EQUAL(a.link->of_kind(event_kind::exit).size(), 2u);
  auto after = ask(q);
  CAF_REQUIRE_EQUAL(after.rooms.size(), 1u);
  CAF_CHECK_EQUAL(after.rooms.front().seq, 6u);
}

CAF_TEST(broadcast is stored and delivered with its seq) {
  auto a = connect(member_on(1, "alice", "raw"));
  auto b = connect(member_on(2, "bob", "stomp"));
  frame(a, cmd_enter("r1", ""));
  frame(b, cmd_enter("r1", ""));
  auto req = cmd("broadcast");
  req.room = "r1";
  req.text = "maintenance at 5";
  auto r = ask(req);
  CAF_CHECK_EQUAL(r.error, "");
  CAF_CHECK_EQUAL(r.count, 3u);
  for (auto* l : {a.link.get(), b.link.get()}) {
    auto msgs = l->of_kind(event_kind::message);
    CAF_REQUIRE_EQUAL(msgs.size(), 1u);
    CAF_CHECK_EQUAL(msgs[0].text, "maintenance at 5");
    CAF_CHECK_EQUAL(msgs[0].sender, "system");
    CAF_CHECK_EQUAL(msgs[0].sender_id, 0);
    CAF_CHECK_EQUAL(msgs[0].seq, 3u);
  }
  // In history: a newcomer's replay has it.
  auto c = connect(member_on(3, "carol", "raw"));
  frame(c, cmd_enter("r1", "", 0));
  CAF_CHECK_EQUAL(texts(*c.link),
                  (std::vector<std::string>{"maintenance at 5"}));
  // A room that is not running is started for it (it exists in the store).
  for (auto* x : {&a, &b, &c})
    disconnect(*x);
  advance_time(std::chrono::seconds{2});
  consume_messages();
  CAF_CHECK(room_ids().empty());
  req.text = "again";
  CAF_CHECK_EQUAL(ask(req).count, 8u); // 3 ENTERs, 3 EXITs before it
}

CAF_TEST(broadcast refuses unknown rooms and long texts) {
  auto req = cmd("broadcast");
  req.room = "nope";
  req.text = "hi";
  CAF_CHECK_EQUAL(ask(req).error, admin::not_found);
  advance_time(std::chrono::seconds{2});
  consume_messages();
  CAF_CHECK(room_ids().empty());
  // Not created: an ENTER-less broadcast later is refused again.
  CAF_CHECK_EQUAL(ask(req).error, admin::not_found);
  auto a = connect(member_on(1, "alice", "raw"));
  frame(a, cmd_enter("r1", ""));
  req.room = "r1";
  req.text = std::string(21, 'x');
  CAF_CHECK_EQUAL(ask(req).error, admin::bad_request);
  req.text = std::string(20, 'x');
  CAF_CHECK_EQUAL(ask(req).error, "");
}

CAF_TEST(stats loglevel and drain) {
  auto a = connect(member_on(1, "alice", "raw"));
  frame(a, cmd_enter("r1", ""));
  auto s = ask(cmd("stats"));
  bool found = false;
  for (auto& [k, v] : s.counters)
    if (k == "rooms_active") {
      found = true;
      CAF_CHECK_EQUAL(v, 1);
    }
  CAF_CHECK(found);
  auto lvl = cmd("loglevel");
  lvl.text = "debug";
  CAF_CHECK_EQUAL(ask(lvl).error, admin::unavailable); // nothing injected
  CAF_CHECK_EQUAL(ask(cmd("drain")).error, admin::unavailable);
  lvl.text = "loud";
  CAF_CHECK_EQUAL(ask(lvl).error, admin::bad_request);
  CAF_CHECK_EQUAL(ask(cmd("frobnicate")).error, admin::bad_request);
}

CAF_TEST_FIXTURE_SCOPE_END()
