// The node's session ticker: one timer for the deadlines of every session,
// and deadlines that still fire on time through it.
#define CAF_SUITE session_ticker
#include "fixture.hpp"

using namespace h2h;
using namespace h2h::test;

namespace {

struct ticker_fixture : node_fixture {
  session_ticker_actor ticker;
  directory_actor silent;

  ticker_fixture() {
    senv.request_timeout = std::chrono::seconds{35};
    senv.deadline_tick = std::chrono::seconds{2};
    ticker = sys.spawn(session_ticker, senv.deadline_tick);
    senv.ticker = ticker;
    consume_messages();
  }

  ~ticker_fixture() override {
    if (silent)
      caf::anon_send_exit(silent, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(ticker, caf::exit_reason::user_shutdown);
    consume_messages();
  }

  /// A session whose directory never answers an ENTER.
  client connect_to_silent() {
    silent = caf::actor_cast<directory_actor>(sys.spawn(silent_directory, 0));
    auto link = std::make_shared<recording_link>();
    auto s = sys.spawn(session, link, silent, session_identity{},
                       std::make_shared<const session_env>(senv));
    sessions.push_back(s);
    return {link, s};
  }

  std::uint64_t ticks_sent() {
    return deref<session_ticker_impl::stateful_base<session_ticker_state>>(
             ticker)
      .state.ticks_sent;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(session_ticker_tests, ticker_fixture)

CAF_TEST(the enters of many sessions arm one timer) {
  auto ticker_addr = caf::actor_cast<caf::actor_addr>(ticker);
  std::vector<client> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(connect());
    frame(clients.back(), cmd_enter("r1", "m" + std::to_string(i)));
    CAF_REQUIRE(clients.back().link->errors.empty());
  }
  // Each ENTER asked the ticker; no session armed a timer of its own.
  for (auto& c : clients)
    CAF_CHECK_EQUAL(
      delayed_to(sched.clock(), caf::actor_cast<caf::actor_addr>(c.actor)), 0u);
  CAF_CHECK_EQUAL(delayed_to(sched.clock(), ticker_addr), 1u);
  // One tick answers all 20; with nothing left waiting, no session asks
  // again and no timer is left (the room's idle check aside).
  advance_time(std::chrono::seconds{2});
  consume_messages();
  CAF_CHECK_EQUAL(ticks_sent(), 20u);
  CAF_CHECK_EQUAL(delayed_to(sched.clock(), ticker_addr), 0u);
  for (auto& c : clients)
    CAF_CHECK_EQUAL(
      delayed_to(sched.clock(), caf::actor_cast<caf::actor_addr>(c.actor)), 0u);
}

CAF_TEST(an enter not answered fails at its deadline through the ticker) {
  senv.request_timeout = std::chrono::milliseconds{10000};
  auto [link, s] = connect_to_silent();
  caf::anon_send(s, cmd_enter("r1", "alice"));
  caf::anon_send(s, cmd_message("r1", "alice", "behind", "c-1"));
  consume_messages();
  CAF_CHECK_EQUAL(sched.clock().schedule().size(), 1u); // the ticker's alone
  for (int i = 0; i < 4; ++i) {
    advance_time(std::chrono::seconds{2});
    consume_messages();
  }
  // 8 s: ticked four times, nothing given up yet.
  CAF_CHECK(link->errors.empty());
  CAF_CHECK_EQUAL(link->done, 0);
  CAF_CHECK_EQUAL(ticks_sent(), 4u);
  advance_time(std::chrono::seconds{2});
  consume_messages();
  CAF_REQUIRE_EQUAL(link->errors.size(), 2u);
  CAF_CHECK(link->errors[0].code == errc::unavailable);
  CAF_CHECK(link->errors[1].code == errc::not_in_room);
  CAF_CHECK_EQUAL(link->done, 2);
}

CAF_TEST(a deadline nearer than the tick still gets a timer of its own) {
  senv.request_timeout = std::chrono::milliseconds{500};
  auto [link, s] = connect_to_silent();
  caf::anon_send(s, cmd_enter("r1", "alice"));
  consume_messages();
  CAF_CHECK_EQUAL(
    delayed_to(sched.clock(), caf::actor_cast<caf::actor_addr>(s)), 1u);
  advance_time(std::chrono::milliseconds{500});
  consume_messages();
  CAF_REQUIRE_EQUAL(link->errors.size(), 1u);
  CAF_CHECK(link->errors[0].code == errc::unavailable);
  CAF_CHECK_EQUAL(ticks_sent(), 0u);
}

CAF_TEST(a session that ended before the tick is skipped) {
  auto a = connect();
  auto b = connect();
  frame(a, cmd_enter("r1", "alice"));
  frame(b, cmd_enter("r1", "bob"));
  // Both asked. The ticker holds no strong reference: the first session
  // ends now, and its room lets go of it too.
  disconnect(a);
  caf::anon_send_exit(a.actor, caf::exit_reason::user_shutdown);
  sessions.erase(sessions.begin());
  a.actor = nullptr;
  consume_messages();
  advance_time(std::chrono::seconds{2});
  consume_messages();
  CAF_CHECK_EQUAL(ticks_sent(), 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()
