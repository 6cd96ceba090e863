// A store worker: the only place a blocking database call happens. Runs as
// a detached actor (its own thread) in production.
#include "actors/store/store_worker.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

namespace h2h {

namespace {

/// Runs `f` on the worker's store, opening it first when needed.
template <class F>
auto with_store(store_worker_pointer self, F f)
  -> caf::result<decltype(f(std::declval<store&>()))> {
  auto& st = self->state;
  auto r = attempt([&] {
    if (!st.db)
      st.db = st.open();
    return f(*st.db);
  });
  if (r)
    return std::move(*r);
  const auto& fault = r.error();
  if (fault.kind != store_failure::conflict)
    spdlog::warn("store: {}", fault.detail);
  return to_error(fault);
}

/// A room created by ENTER: public, named after its id, owned by the
/// member who entered (who thus may delete it), or by nobody in trusted
/// mode. Someone may have created it meanwhile: then it stays theirs.
room_snapshot create_and_load(store& db, const std::string& room_id,
                              std::int64_t owner, std::size_t recent) {
  room_record r;
  r.id = room_id;
  r.name = room_id;
  r.owner_id = owner;
  r.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  db.create_room(r);
  if (auto snap = db.find_room(room_id, recent))
    return std::move(*snap);
  throw store_error(store_failure::unavailable,
                    "room " + room_id + " was deleted while it was created");
}

} // namespace

store_worker_actor::behavior_type store_worker(store_worker_pointer self,
                                               store_factory open) {
  self->state.open = std::move(open);
  return {
    [self](commit_atom, const stored_events& batch) {
      return with_store(self, [&](store& db) { return db.append(batch); });
    },
    [self](load_atom, const std::string& room_id, std::uint64_t recent) {
      return with_store(self, [&](store& db) {
        auto snap = db.find_room(room_id, static_cast<std::size_t>(recent));
        if (snap)
          return std::move(*snap);
        room_snapshot none;
        none.exists = false;
        return none;
      });
    },
    [self](create_atom, const std::string& room_id, std::int64_t owner,
           std::uint64_t recent) {
      return with_store(self, [&](store& db) {
        return create_and_load(db, room_id, owner,
                               static_cast<std::size_t>(recent));
      });
    },
    [self](history_atom, const history_query& q) {
      return with_store(self, [&](store& db) {
        history_page out;
        out.room_exists = db.room_exists(q.room_id);
        if (!out.room_exists)
          return out;
        auto limit = static_cast<std::size_t>(q.limit);
        switch (q.mode) {
          case history_mode::after:
            out.events = db.after(q.room_id, q.cursor, limit);
            break;
          case history_mode::before:
            out.events = db.before(q.room_id, q.cursor, limit);
            break;
          case history_mode::page:
            out.events
              = db.page(q.room_id, static_cast<std::size_t>(q.cursor), limit);
            break;
        }
        return out;
      });
    },
    [self](caf::join_atom, const std::vector<std::string>& rooms,
           const std::vector<std::int64_t>& members) {
      return with_store(self, [&](store& db) {
        return static_cast<std::uint64_t>(db.add_room_members(rooms, members));
      });
    },
    [self](ping_atom) {
      return with_store(self, [](store& db) {
        db.ping();
        return true;
      });
    },
  };
}

} // namespace h2h
