// The persistence actor: batches appends (up to N messages or T ms) into one
// transaction each, answers each append with its own outcome, retries with
// back-off while the store is down, never drops what it accepted, refuses
// appends (CHAT_006) while `queue_max` wait, and spreads reads over a few
// reader workers. When to commit what is commit_schedule's decision.
#include "actors/store/persistence_actor.hpp"

#include <algorithm>
#include <iterator>

#include <spdlog/spdlog.h>

#include "actors/store/store_worker.hpp"

namespace h2h {

namespace {

void flush(persistence_pointer self);
void arm_watchdog(persistence_pointer self);

/// Nothing waits to be committed or recorded.
bool all_written(const persistence_state& st) {
  return st.schedule.idle() && st.join_rooms.empty() && !st.joins_in_flight;
}

void notify_flushed(persistence_pointer self) {
  auto& st = self->state;
  if (all_written(st)) {
    for (auto& p : st.flush_waiters)
      p.deliver(true);
    st.flush_waiters.clear();
  }
}

/// Records the waiting first entries, up to join_batch_max in one store
/// transaction, unless a batch is on its way (the next follows its answer).
void send_joins(persistence_pointer self) {
  auto& st = self->state;
  if (st.joins_in_flight || st.join_rooms.empty())
    return;
  auto n = std::min(st.join_rooms.size(), persistence_state::join_batch_max);
  std::vector<std::string> rooms;
  std::vector<std::int64_t> members;
  if (n == st.join_rooms.size()) {
    rooms.swap(st.join_rooms); // the usual case: all of them
    members.swap(st.join_members);
  } else {
    auto end = static_cast<std::ptrdiff_t>(n);
    rooms.assign(std::make_move_iterator(st.join_rooms.begin()),
                 std::make_move_iterator(st.join_rooms.begin() + end));
    members.assign(st.join_members.begin(), st.join_members.begin() + end);
    st.join_rooms.erase(st.join_rooms.begin(), st.join_rooms.begin() + end);
    st.join_members.erase(st.join_members.begin(),
                          st.join_members.begin() + end);
  }
  st.joins_in_flight = true;
  auto done = [self] {
    self->state.joins_in_flight = false;
    send_joins(self);
    notify_flushed(self);
  };
  // No timeout: CAF 0.17 would keep it (and ~150 bytes) in the clock for
  // its whole span even after the answer; a hung store shows in the
  // commits' own timeout.
  self
    ->request(st.writer, caf::infinite, caf::join_atom_v, std::move(rooms),
              std::move(members))
    .then([done](std::uint64_t) { done(); },
          [done, n](caf::error& err) {
            spdlog::warn("{} membership(s) not recorded: {}", n,
                         caf::to_string(err));
            done();
          });
}

/// Starts a commit when one is due: the batch is full, the window is zero,
/// or the window closed (`force`); else makes sure the window closes.
void maybe_flush(persistence_pointer self, bool force) {
  auto& st = self->state;
  switch (st.schedule.next(force)) {
    case commit_schedule::step::commit:
      flush(self);
      break;
    case commit_schedule::step::arm_window:
      self->delayed_send(self, st.cfg.batch_window, window_atom_v,
                         st.schedule.window_gen());
      break;
    case commit_schedule::step::wait:
      break;
  }
}

/// Why the store did not take an event, as the error its room (and the
/// client) gets. Each event has its own outcome: the others of the batch
/// are not affected.
caf::error refusal(const room_event& ev, const append_outcome& outcome) {
  switch (outcome.status) {
    case append_status::conflict:
      return caf::make_error(errc::seq_conflict,
                             "seq " + std::to_string(ev.seq) + " of room "
                               + ev.room_id + " is taken by another message");
    case append_status::room_deleted:
      return caf::make_error(errc::no_such_room,
                             "room " + ev.room_id + " was deleted");
    case append_status::unstorable:
      return caf::make_error(errc::bad_frame,
                             "message cannot be stored (a value is longer "
                             "than the store allows); do not retry it");
    case append_status::committed:
    case append_status::duplicate:
      break;
  }
  return caf::make_error(errc::internal, "not a refusal");
}

void on_committed(persistence_pointer self, std::vector<publish_ack>& acks,
                  std::chrono::steady_clock::time_point started) {
  auto& st = self->state;
  auto& m = *st.cfg.metrics;
  auto& batch = st.schedule.batch();
  auto n = batch.size();
  if (acks.size() != n) {
    spdlog::error("store answered {} outcomes for {} messages", acks.size(), n);
    for (auto& p : batch)
      p.promise.deliver(
        caf::make_error(errc::internal, "store reply mismatch"));
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      auto& p = batch[i];
      if (acks[i].stored())
        p.promise.deliver(acks[i]);
      else
        p.promise.deliver(refusal(p.event, acks[i]));
    }
  }
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
              std::chrono::steady_clock::now() - started)
              .count();
  m.batches.fetch_add(1, std::memory_order_relaxed);
  m.batched_messages.fetch_add(n, std::memory_order_relaxed);
  m.commit_us_total.fetch_add(static_cast<std::uint64_t>(us),
                              std::memory_order_relaxed);
  m.persist_queue.fetch_sub(static_cast<std::int64_t>(n),
                            std::memory_order_relaxed);
  if (!m.store_ok.exchange(true))
    spdlog::info("store reachable again; {} message(s) waiting",
                 st.schedule.queued());
  st.schedule.committed();
  // Whatever queued up meanwhile has waited a whole commit: go at once.
  maybe_flush(self, true);
  notify_flushed(self);
}

void on_commit_failed(persistence_pointer self, const caf::error& err) {
  auto& st = self->state;
  auto& m = *st.cfg.metrics;
  if (to_errc(err) == errc::seq_conflict) {
    // Another writer owns these seqs: retrying cannot help.
    spdlog::error("commit refused: {}", self->system().render(err));
    auto& batch = st.schedule.batch();
    auto n = static_cast<std::int64_t>(batch.size());
    for (auto& p : batch)
      p.promise.deliver(err);
    st.schedule.refused();
    m.persist_queue.fetch_sub(n, std::memory_order_relaxed);
    maybe_flush(self, true);
    notify_flushed(self);
    return;
  }
  // Put the batch back in front and try again later, with back-off.
  auto backoff = st.schedule.requeue_failed();
  m.commit_retries.fetch_add(1, std::memory_order_relaxed);
  if (m.store_ok.exchange(false))
    spdlog::error("store unavailable ({}); {} message(s) wait, retrying",
                  self->system().render(err), st.schedule.queued());
  self->delayed_send(self, backoff, retry_atom_v);
}

void flush(persistence_pointer self) {
  auto& st = self->state;
  auto batch = st.schedule.start_commit();
  auto gen = st.schedule.commit_gen();
  st.commit_deadline = self->clock().now() + st.cfg.commit_timeout;
  arm_watchdog(self);
  auto started = std::chrono::steady_clock::now();
  self->request(st.writer, caf::infinite, commit_atom_v, std::move(batch))
    .then(
      [self, gen, started](std::vector<publish_ack>& acks) {
        if (self->state.schedule.is_current(gen))
          on_committed(self, acks, started);
      },
      [self, gen](caf::error& err) {
        if (self->state.schedule.is_current(gen))
          on_commit_failed(self, err);
      });
}

/// Makes sure a tick comes by the deadline of the commit in flight. Later
/// commits have later deadlines: the tick re-arms itself for them.
void arm_watchdog(persistence_pointer self) {
  auto& st = self->state;
  if (!st.schedule.committing()
      || (st.watchdog_armed && st.watchdog_due <= st.commit_deadline))
    return;
  st.watchdog_armed = true;
  st.watchdog_due = st.commit_deadline;
  auto wait = st.commit_deadline - self->clock().now();
  self->delayed_send(self, std::max(wait, decltype(wait){0}),
                     commit_due_atom_v);
}

void on_watchdog(persistence_pointer self) {
  auto& st = self->state;
  auto now = self->clock().now();
  if (now >= st.watchdog_due)
    st.watchdog_armed = false;
  if (st.schedule.committing() && st.commit_deadline <= now)
    on_commit_failed(self, caf::make_error(caf::sec::request_timeout));
  arm_watchdog(self);
}

/// The reader for a read: the least busy one. Long reads (history, replay
/// chunks) skip the first reader when there are others, so that short ones
/// (room loads, pings) never wait behind them there.
std::size_t pick_reader(const std::vector<std::size_t>& reads_out,
                        bool long_read) {
  std::size_t best = long_read && reads_out.size() > 1 ? 1 : 0;
  for (auto i = best + 1; i < reads_out.size(); ++i)
    if (reads_out[i] < reads_out[best])
      best = i;
  return best;
}

/// Sends a read to a reader and answers the caller with its result; the
/// count of reads in flight per reader steers the next ones.
template <class Result, class... Ts>
caf::result<Result> read(persistence_pointer self, bool long_read, Ts&&... xs) {
  auto& st = self->state;
  if (st.reads_total >= st.cfg.read_queue_max)
    return caf::make_error(errc::unavailable, "store busy, retry later");
  auto i = pick_reader(st.reads_out, long_read);
  ++st.reads_out[i];
  ++st.reads_total;
  auto done = [self, i] {
    --self->state.reads_out[i];
    --self->state.reads_total;
  };
  auto promise = self->template make_response_promise<Result>();
  // No timeout: the callers have theirs (a CAF 0.17 timeout would stay in
  // the clock for its whole span, whatever the answer).
  self->request(st.readers[i], caf::infinite, std::forward<Ts>(xs)...)
    .then(
      [done, promise](Result& r) mutable {
        done();
        promise.deliver(std::move(r));
      },
      [done, promise](caf::error& err) mutable {
        done();
        promise.deliver(std::move(err));
      });
  return promise;
}

template <class Behavior>
store_worker_actor spawn_worker(persistence_pointer self, Behavior fn,
                                store_factory open, bool detached) {
  if (detached)
    return self->template spawn<caf::detached + caf::linked>(fn,
                                                             std::move(open));
  return self->template spawn<caf::linked>(fn, std::move(open));
}

} // namespace

persistence_impl::behavior_type persistence(persistence_pointer self,
                                            store_factory open,
                                            persistence_settings cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.schedule = commit_schedule{
    commit_limits{st.cfg.batch_max, st.cfg.batch_window, st.cfg.retry_min,
                  st.cfg.retry_max, st.cfg.queue_max}};
  st.writer = spawn_worker(self, store_worker, open, st.cfg.detached_workers);
  for (std::size_t i = 0; i < std::max<std::size_t>(st.cfg.read_workers, 1);
       ++i)
    st.readers.push_back(
      spawn_worker(self, store_worker, open, st.cfg.detached_workers));
  st.reads_out.assign(st.readers.size(), 0);
  self->set_error_handler([](caf::error& err) {
    spdlog::warn("persistence: {}", caf::to_string(err));
  });
  return {
    [self](append_atom, room_event& ev) -> caf::result<publish_ack> {
      auto& st = self->state;
      if (st.schedule.full()) {
        // Refused, not queued: the room hands the seq back, and the
        // publisher retries (the bound keeps an outage from eating memory).
        return caf::make_error(errc::unavailable,
                               "store unavailable, retry later");
      }
      auto promise = self->make_response_promise<publish_ack>();
      st.schedule.push({std::move(ev), promise});
      st.cfg.metrics->persist_queue.fetch_add(1, std::memory_order_relaxed);
      maybe_flush(self, false);
      return promise;
    },
    [self](load_atom, std::string& room_id,
           std::uint64_t recent) -> caf::result<room_snapshot> {
      return read<room_snapshot>(self, false, load_atom_v, std::move(room_id),
                                 recent);
    },
    [self](create_atom, std::string& room_id, std::int64_t owner,
           std::uint64_t recent) -> caf::delegated<room_snapshot> {
      // A write: the writer's connection, behind at most one commit.
      return self->delegate(self->state.writer, create_atom_v,
                            std::move(room_id), owner, recent);
    },
    [self](history_atom, history_query& q) -> caf::result<history_page> {
      return read<history_page>(self, true, history_atom_v, std::move(q));
    },
    [self](caf::join_atom, std::string& room_id, std::int64_t member) {
      auto& st = self->state;
      if (st.join_rooms.size() >= persistence_state::join_queue_max) {
        spdlog::warn("membership of {} in {} not recorded: {} wait already",
                     member, room_id, st.join_rooms.size());
        return;
      }
      st.join_rooms.push_back(std::move(room_id));
      st.join_members.push_back(member);
      send_joins(self);
    },
    [self](ping_atom) -> caf::result<bool> {
      return read<bool>(self, false, ping_atom_v);
    },
    [self](flush_atom) -> caf::result<bool> {
      auto& st = self->state;
      if (all_written(st))
        return true;
      auto promise = self->make_response_promise<bool>();
      st.flush_waiters.push_back(promise);
      maybe_flush(self, true);
      return promise;
    },
    [self](commit_due_atom) { on_watchdog(self); },
    [self](window_atom, std::uint64_t gen) {
      if (self->state.schedule.window_closed(gen))
        maybe_flush(self, true);
    },
    [self](retry_atom) {
      self->state.schedule.retry_due();
      maybe_flush(self, true);
    },
  };
}

} // namespace h2h
