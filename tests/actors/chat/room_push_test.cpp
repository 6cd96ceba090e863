// The room's side of push: after each committed MESSAGE the owner hands the
// push dispatcher the shared event and the members present; nothing else.
#define CAF_SUITE room_push
#include "fixture.hpp"

using namespace h2h;
using namespace h2h::test;

namespace {

struct seen {
  std::vector<push_commit> commits;
  std::vector<std::string> forgotten;
};

/// Stands in for the dispatcher and records what rooms hand it.
push_dispatcher_actor::behavior_type recorder(std::shared_ptr<seen> out) {
  return {
    [](push_atom, push_notice&) {},
    [out](push_atom, push_commit& c) { out->commits.push_back(c); },
    [out](pforget_atom, std::string& room) { out->forgotten.push_back(room); },
    [](proster_atom, std::string&, bool, std::string&,
       std::vector<std::int64_t>&) {},
    [](pflush_atom, std::int64_t, std::string&) {},
    [](pdevices_atom, std::uint64_t, std::vector<std::string>&) {},
    [](pdone_atom, std::uint64_t, push_outcome&) {},
    [](pretry_atom, std::uint64_t) {},
  };
}

struct push_fixture : node_fixture {
  std::shared_ptr<seen> rec = std::make_shared<seen>();
  push_fixture() {
    env->push = sys.spawn(recorder, rec);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(room_push_tests, push_fixture)

CAF_TEST(a committed message goes to push once with the members present) {
  auto a = connect(member(1, "alice"));
  auto b = connect(member(2, "bob"));
  auto c = connect(member(3, "carol"));
  frame(a, cmd_enter("r1", "alice"));
  frame(b, cmd_enter("r1", "bob"));
  frame(c, cmd_enter("r1", "carol"));
  frame(c, cmd_exit("r1", "carol"));
  // ENTER and EXIT notices are no messages: nothing for push.
  CAF_CHECK(rec->commits.empty());
  frame(a, cmd_message("r1", "alice", "hi"));
  CAF_REQUIRE_EQUAL(rec->commits.size(), 1u);
  auto& pc = rec->commits[0];
  CAF_REQUIRE(pc.event != nullptr);
  CAF_CHECK_EQUAL(pc.event->data().text, "hi");
  CAF_CHECK_EQUAL(pc.event->data().sender_id, 1);
  CAF_CHECK_EQUAL(pc.present, (std::vector<std::int64_t>{1, 2}));
  // The very event the members got, not a copy.
  CAF_CHECK(pc.event == b.link->shared.back());
  frame(b, cmd_message("r1", "bob", "again"));
  CAF_CHECK_EQUAL(rec->commits.size(), 2u);
}

CAF_TEST(a membership change tells push to read the roster again) {
  auto a = connect(member(1, "alice"));
  frame(a, cmd_enter("r1", "alice"));
  caf::anon_send(dir, change_atom_v,
                 room_change{"r1", room_change_kind::member_removed, 7});
  consume_messages();
  CAF_CHECK_EQUAL(rec->forgotten, (std::vector<std::string>{"r1"}));
}

CAF_TEST_FIXTURE_SCOPE_END()
