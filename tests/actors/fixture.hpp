// Shared test fixture for actor suites: the deterministic coordinator, a
// recording client link standing in for a connection, and shared helpers.
#pragma once

#define FAIL(msg) CAF_FAIL(msg)

#include <caf/test/dsl.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "actors/chat/client_link.hpp"
#include "actors/vocabulary/type_ids.hpp"
#include "actors/store/persistence_actor.hpp"
#include "persistence/sql/sql.hpp"
#include "persistence/sql/sql_store.hpp"
#include "forwarding_store.hpp"
#include "actors/chat/room_actor.hpp"
#include "actors/chat/room_directory.hpp"
#include "actors/chat/session_actor.hpp"
#include "actors/vocabulary/types.hpp"

namespace h2h::test {

/// Records what a session actor asks its connection to do, as a raw-JSON
/// client would see it: ACKs only for messages with a clientMsgId, refusals
/// and notices as errors, the end of the session as its close code.
struct recording_link : client_link {
  struct ack {
    std::string room_id;
    std::string client_msg_id;
    std::uint64_t seq;
    /// How many events had arrived before this ACK.
    std::size_t events_before = 0;
  };
  struct refusal {
    errc code;
    std::string message;
    std::string client_msg_id;
  };

  std::vector<room_event> events;
  /// The shared events as delivered (same objects as the room's).
  std::vector<event_ptr> shared;
  std::vector<ack> acks;
  std::vector<refusal> errors;
  std::vector<std::uint16_t> closes;
  /// Why the session ended it, each time.
  std::vector<end_reason> ends;
  /// Commands completed (acknowledged or refused).
  int done = 0;
  /// Bytes "queued"; past `capacity` the link closes with 4008 like a real
  /// connection does for a slow consumer.
  std::size_t queued = 0;
  std::size_t capacity = SIZE_MAX;

  void deliver(const event_batch& batch) override {
    for (auto& ev : batch.events) {
      if (!closes.empty())
        return;
      queued += ev->data().text.size() + 64;
      if (queued > capacity) {
        end(end_reason::slow_consumer);
        return;
      }
      events.push_back(ev->data());
      shared.push_back(ev);
    }
  }
  /// Events that came through deliver_presence() (they may wait).
  std::size_t lazy_events = 0;
  void deliver_presence(const event_batch& batch) override {
    lazy_events += batch.events.size();
    deliver(batch);
  }
  void acknowledge(const reply_to& to, std::uint64_t seq) override {
    ++done;
    if (to.kind == command_kind::message && !to.client_msg_id.empty())
      acks.push_back({to.room_id, to.client_msg_id, seq, events.size()});
  }
  void refuse(const reply_to& to, errc code, std::string_view text) override {
    ++done;
    errors.push_back(
      {code, std::string{text},
       to.kind == command_kind::enter ? std::string{} : to.client_msg_id});
  }
  void notify(errc code, std::string_view text) override {
    errors.push_back({code, std::string{text}, {}});
  }
  void end(end_reason why) override {
    ends.push_back(why);
    closes.push_back(why == end_reason::slow_consumer
                       ? close_code::slow_consumer
                       : close_code::internal_error);
  }

  /// Seqs of the events of one room, in the order they arrived.
  std::vector<std::uint64_t> seqs(const std::string& room) const {
    std::vector<std::uint64_t> out;
    for (auto& ev : events)
      if (ev.room_id == room)
        out.push_back(ev.seq);
    return out;
  }
  /// The events of one room of a given kind.
  std::vector<room_event> of_kind(event_kind k) const {
    std::vector<room_event> out;
    for (auto& ev : events)
      if (ev.kind == k)
        out.push_back(ev);
    return out;
  }
};

/// The message texts (or those of another kind) a link received, in order.
inline std::vector<std::string> texts(const recording_link& link,
                                      event_kind k = event_kind::message) {
  std::vector<std::string> out;
  for (auto& ev : link.of_kind(k))
    out.push_back(ev.text);
  return out;
}

/// The codes of the errors a link received, in order.
inline std::vector<errc> codes(const recording_link& link) {
  std::vector<errc> out;
  for (auto& e : link.errors)
    out.push_back(e.code);
  return out;
}

using seq_list = std::vector<std::uint64_t>;

/// The seqs first..last.
inline seq_list range(std::uint64_t first, std::uint64_t last) {
  seq_list out;
  for (auto s = first; s <= last; ++s)
    out.push_back(s);
  return out;
}

/// The identity of an authenticated connection of member `id`.
inline session_identity member(std::int64_t id, std::string name) {
  session_identity who;
  who.authenticated = true;
  who.member_id = id;
  who.name = std::move(name);
  return who;
}

inline client_command cmd_enter(std::string room, std::string sender,
                                std::int64_t last_seq = -1) {
  client_command c;
  c.kind = command_kind::enter;
  c.room_id = std::move(room);
  c.sender = std::move(sender);
  c.last_seq = last_seq;
  return c;
}

inline client_command cmd_message(std::string room, std::string sender,
                                  std::string text, std::string cmid = {}) {
  client_command c;
  c.kind = command_kind::message;
  c.room_id = std::move(room);
  c.sender = std::move(sender);
  c.text = std::move(text);
  c.client_msg_id = std::move(cmid);
  return c;
}

inline client_command cmd_exit(std::string room, std::string sender) {
  client_command c;
  c.kind = command_kind::exit;
  c.room_id = std::move(room);
  c.sender = std::move(sender);
  return c;
}

/// A real SQLite store in a temporary file, with switches to make commits
/// and history reads (replays) fail.
struct test_store : forwarding_store {
  std::shared_ptr<std::atomic<int>> failing_commits;
  std::shared_ptr<std::atomic<int>> failing_reads;
  /// The size of every add_room_members call (one transaction each).
  std::shared_ptr<std::vector<std::size_t>> member_batches;

  std::size_t
  add_room_members(const std::vector<std::string>& rooms,
                   const std::vector<std::int64_t>& members) override {
    member_batches->push_back(rooms.size());
    return inner->add_room_members(rooms, members);
  }

  std::vector<room_event> after(const std::string& room_id, std::uint64_t seq,
                                std::size_t limit) override {
    if (failing_reads->load() > 0) {
      --*failing_reads;
      throw store_error(store_failure::unavailable, "test: store down");
    }
    return inner->after(room_id, seq, limit);
  }

  std::vector<append_outcome>
  append(const std::vector<room_event>& batch) override {
    if (failing_commits->load() > 0) {
      --*failing_commits;
      throw store_error(store_failure::unavailable, "test: store down");
    }
    return inner->append(batch);
  }
};

/// A temporary directory for the fixture's database file.
struct scratch_dir {
  std::string path;
  scratch_dir() {
    char tmpl[] = "/tmp/h2h-actor-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

/// A directory that takes ENTERs and never answers them (a hung node).
/// (A spawn argument: CAF 0.17.6 dereferences a null tuple without one.)
inline caf::behavior silent_directory(caf::event_based_actor* self, int) {
  auto kept = std::make_shared<std::vector<caf::response_promise>>();
  return {
    [self, kept](enter_atom, const std::string&, const enter_request&) {
      kept->push_back(self->make_response_promise());
      return kept->back();
    },
  };
}

/// Delayed messages to `who` waiting in the test clock.
inline std::size_t delayed_to(const caf::detail::test_actor_clock& clock,
                              const caf::actor_addr& who) {
  using clk = caf::detail::simple_actor_clock;
  std::size_t n = 0;
  for (auto& entry : clock.schedule())
    if (entry.second->subtype == clk::actor_msg_type
        && caf::actor_cast<caf::actor_addr>(
             static_cast<const clk::actor_msg&>(*entry.second).receiver)
             == who)
      ++n;
  return n;
}

/// A node's actors under the deterministic coordinator, with a persistence
/// actor on a real SQLite file (workers scheduled, not detached, so that
/// every step is deterministic).
struct node_fixture : test_coordinator_fixture<h2h::actor_config> {
  std::int64_t fake_now = 1'700'000'000'000;
  scratch_dir scratch;
  std::shared_ptr<std::atomic<int>> failing_commits
    = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> failing_reads
    = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::vector<std::size_t>> member_batches
    = std::make_shared<std::vector<std::size_t>>();
  std::shared_ptr<room_env> env = std::make_shared<room_env>();
  persistence_settings pcfg;
  persistence_actor persist;
  directory_actor dir;
  std::vector<session_actor> sessions;

  explicit node_fixture(std::size_t batch_max = 64,
                        std::chrono::milliseconds window
                        = std::chrono::milliseconds{0}) {
    env->idle_timeout = std::chrono::milliseconds{1000};
    env->now_ms = [this] { return ++fake_now; };
    pcfg.batch_max = batch_max;
    pcfg.batch_window = window;
    pcfg.detached_workers = false;
    pcfg.read_workers = 1;
    pcfg.metrics = env->metrics;
    start_node();
  }

  ~node_fixture() override {
    // Rooms and sessions hold each other; end them as a shutdown does.
    stop_node();
  }

  store_factory factory() {
    auto db = scratch.path + "/h2h.db";
    auto failing = failing_commits;
    auto failing_reads_ = failing_reads;
    auto batches = member_batches;
    return [db, failing, failing_reads_, batches]() -> std::unique_ptr<store> {
      auto s = std::make_unique<test_store>();
      s->inner = make_sql_store(sql::open_sqlite(db));
      s->inner->migrate();
      s->failing_commits = failing;
      s->failing_reads = failing_reads_;
      s->member_batches = batches;
      return s;
    };
  }

  /// Starts persistence and directory (again, after stop_node()).
  void start_node() {
    persist = sys.spawn(persistence, factory(), pcfg);
    env->persistence = persist;
    dir = sys.spawn(room_directory, env);
    consume_messages();
  }

  /// Ends every actor of the node, as a restart does (the file stays).
  void stop_node() {
    for (auto& s : sessions)
      caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
    sessions.clear();
    if (dir)
      caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
    if (persist)
      caf::anon_send_exit(persist, caf::exit_reason::user_shutdown);
    dir = nullptr;
    persist = nullptr;
    env->persistence = nullptr;
    consume_messages();
  }

  /// The persistence actor's writer worker.
  store_worker_actor writer() {
    return deref<persistence_impl::stateful_base<persistence_state>>(persist)
      .state.writer;
  }

  /// The persistence actor's reader. Tests run with one reader (room
  /// loads, replays and pings share it) unless they set
  /// `pcfg.read_workers`; read_pool_test covers several.
  store_worker_actor reader() {
    auto& all
      = deref<persistence_impl::stateful_base<persistence_state>>(persist)
          .state.readers;
    CAF_REQUIRE_EQUAL(all.size(), 1u);
    return all.front();
  }

  /// Runs every pending job except those of the `hung` actors (workers
  /// that hang: their mailboxes fill while everything else goes on).
  template <class... Handles>
  void run_except(const Handles&... hung) {
    std::vector<caf::resumable*> skip{dynamic_cast<caf::resumable*>(
      caf::actor_cast<caf::abstract_actor*>(hung))...};
    for (auto* r : skip)
      CAF_REQUIRE(r != nullptr);
    sched.run_jobs_filtered([&skip](caf::resumable* x) {
      return std::find(skip.begin(), skip.end(), x) == skip.end();
    });
  }

  struct client {
    std::shared_ptr<recording_link> link;
    session_actor actor;
  };

  /// Sessions' settings; no send limit unless a test sets one.
  session_env senv = [] {
    session_env e;
    e.message_rate = 1e9;
    e.message_burst = 1e9;
    return e;
  }();

  client connect(session_identity id = {}) {
    auto link = std::make_shared<recording_link>();
    auto s = sys.spawn(session, link, dir, std::move(id),
                       std::make_shared<const session_env>(senv));
    sessions.push_back(s);
    return {link, s};
  }

  /// Sends a frame to a session as the connection would, then lets the
  /// system settle (no timers fire).
  void frame(const client& c, client_command cmd) {
    caf::anon_send(c.actor, std::move(cmd));
    consume_messages();
  }

  void disconnect(const client& c) {
    caf::anon_send(c.actor, disconn_atom_v);
    consume_messages();
  }

  /// The live room actor of `id` (the test fails if there is none).
  room_actor room_of(const std::string& id) {
    auto& st
      = deref<directory_actor::stateful_base<directory_state>>(dir).state;
    auto i = st.rooms.find(id);
    CAF_REQUIRE(i != st.rooms.end());
    return i->second.room;
  }

  /// The rooms the directory knows, without firing any timer.
  std::vector<std::string> room_ids() {
    std::vector<std::string> out;
    auto h = self->request(dir, caf::infinite, info_atom_v);
    consume_messages();
    h.receive([&](std::vector<std::string>& ids) { out = std::move(ids); },
              [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
    std::sort(out.begin(), out.end());
    return out;
  }
};

} // namespace h2h::test
