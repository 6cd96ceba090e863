// Reads have more than one worker: a long history read (a replay) does not
// hold up room loads or /readyz pings.
#define CAF_SUITE read_pool
#include "fixture.hpp"

using namespace h2h;
using namespace h2h::test;

namespace {

/// A node with the default three readers (node_fixture runs with one).
struct pool_fixture : node_fixture {
  pool_fixture() {
    stop_node();
    pcfg.read_workers = persistence_settings{}.read_workers;
    start_node();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(read_pool, pool_fixture)

CAF_TEST(a held history read does not hold up a room load or a ping) {
  history_query q{"r1", history_mode::after, 0, 50};
  self->send(persist, history_atom_v, q);
  expect((history_atom, history_query), from(self).to(persist));
  // The worker that got the history read hangs (a 30 s replay read).
  CAF_REQUIRE_EQUAL(sched.jobs.size(), 1u);
  auto* held = sched.jobs.front();
  auto run_others = [&] {
    sched.run_jobs_filtered([&](caf::resumable* r) { return r != held; });
  };
  self->send(persist, load_atom_v, std::string{"r2"}, std::uint64_t{10});
  self->send(persist, ping_atom_v);
  run_others();
  bool loaded = false;
  bool pinged = false;
  for (int i = 0; i < 2; ++i)
    self->receive([&](room_snapshot& snap) { loaded = snap.last_seq == 0; },
                  [&](bool ok) { pinged = ok; },
                  caf::after(std::chrono::seconds(0)) >>
                    [&] { CAF_FAIL("a read waits behind the held one"); });
  CAF_CHECK(loaded);
  CAF_CHECK(pinged);
  // The held read still gets its answer once its worker runs.
  consume_messages();
  bool paged = false;
  self->receive([&](history_page& page) { paged = !page.room_exists; },
                caf::after(std::chrono::seconds(0)) >>
                  [&] { CAF_FAIL("the held read was lost"); });
  CAF_CHECK(paged);
}

CAF_TEST(reads beyond read_queue_max are refused not queued) {
  stop_node();
  pcfg.read_queue_max = 1;
  start_node();
  self->send(persist, history_atom_v, history_query{"r1"});
  expect((history_atom, history_query), from(self).to(persist));
  CAF_REQUIRE_EQUAL(sched.jobs.size(), 1u);
  auto* held = sched.jobs.front();
  self->send(persist, ping_atom_v);
  sched.run_jobs_filtered([&](caf::resumable* r) { return r != held; });
  bool refused = false;
  self->receive(
    [&](bool) { CAF_FAIL("the ping was queued"); },
    [&](caf::error& err) { refused = to_errc(err) == errc::unavailable; },
    caf::after(std::chrono::seconds(0)) >> [&] { CAF_FAIL("no answer"); });
  CAF_CHECK(refused);
  consume_messages(); // the held read ends: reads are taken again
  self->receive([&](history_page&) {});
  self->send(persist, ping_atom_v);
  consume_messages();
  bool pinged = false;
  self->receive([&](bool ok) { pinged = ok; },
                caf::after(std::chrono::seconds(0)) >>
                  [&] { CAF_FAIL("no answer"); });
  CAF_CHECK(pinged);
}

CAF_TEST_FIXTURE_SCOPE_END()
