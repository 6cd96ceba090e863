// Periodic job (the account purge's schedule): the first run after a delay,
// one run at a time, the next one interval after the last ended, sooner
// while work is left.
#define CAF_SUITE periodic_job
#include "fixture.hpp"

#include "actors/store/periodic_job.hpp"

using namespace h2h;
using namespace std::chrono_literals;

namespace {

struct recorder {
  int runs = 0;
  bool throw_next = false;
  std::function<void(bool)> done;
};

struct periodic_fixture : test_coordinator_fixture<h2h::actor_config> {
  std::shared_ptr<recorder> rec = std::make_shared<recorder>();
  caf::actor job;

  periodic_fixture() {
    periodic_settings cfg;
    cfg.interval = 1h;
    cfg.backlog_pause = 1s;
    cfg.first_delay = 10s;
    cfg.name = "test job";
    auto r = rec;
    job = sys.spawn(periodic_job, cfg,
                    periodic_task{[r](std::function<void(bool)> done) {
                      ++r->runs;
                      if (r->throw_next) {
                        r->throw_next = false;
                        throw std::runtime_error("test: run failed");
                      }
                      r->done = std::move(done);
                    }});
    consume_messages(); // runs the actor's start, which sets the first timer
  }

  ~periodic_fixture() override {
    rec->done = nullptr; // it holds the actor
    caf::anon_send_exit(job, caf::exit_reason::user_shutdown);
    consume_messages();
  }

  /// Moves the clock forward and handles whatever came due.
  void pass(caf::timespan d) {
    sched.advance_time(d);
    consume_messages();
  }

  /// Ends the run in progress, as the store job does from its thread.
  void finish(bool more) {
    CAF_REQUIRE(rec->done != nullptr);
    auto done = std::move(rec->done);
    rec->done = nullptr;
    done(more);
    expect((run_end_atom, bool), to(job).with(run_end_atom_v, more));
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(periodic_job_tests, periodic_fixture)

CAF_TEST(the first run starts after the first delay) {
  pass(9s);
  CAF_CHECK_EQUAL(rec->runs, 0);
  sched.advance_time(1s);
  expect((run_atom), to(job));
  CAF_CHECK_EQUAL(rec->runs, 1);
}

CAF_TEST(the next run starts one interval after the last one ended) {
  pass(10s);
  CAF_REQUIRE_EQUAL(rec->runs, 1);
  pass(3h);
  CAF_CHECK_EQUAL(rec->runs, 1); // never two runs at once
  finish(false);
  pass(59min);
  CAF_CHECK_EQUAL(rec->runs, 1);
  pass(1min);
  CAF_CHECK_EQUAL(rec->runs, 2);
}

CAF_TEST(a backlog is worked off a batch after a short pause) {
  pass(10s);
  finish(true);
  pass(1s);
  CAF_CHECK_EQUAL(rec->runs, 2);
  finish(true);
  pass(1s);
  CAF_CHECK_EQUAL(rec->runs, 3);
  finish(false);
  pass(1s);
  CAF_CHECK_EQUAL(rec->runs, 3);
  pass(1h);
  CAF_CHECK_EQUAL(rec->runs, 4);
}

CAF_TEST(a run that fails to start is tried again after the interval) {
  rec->throw_next = true;
  pass(10s);
  CAF_CHECK_EQUAL(rec->runs, 1);
  CAF_CHECK(rec->done == nullptr);
  pass(1h);
  CAF_CHECK_EQUAL(rec->runs, 2);
  CAF_CHECK(rec->done != nullptr);
}

CAF_TEST_FIXTURE_SCOPE_END()
