// A store worker: the only place a blocking database call happens. Runs as
// a detached actor (its own thread) in production.
#pragma once

#include <memory>

#include "actors/store/store_errors.hpp"
#include "actors/vocabulary/type_ids.hpp"
#include "persistence/store.hpp"

namespace h2h {

struct store_worker_state {
  store_factory open;
  std::unique_ptr<store> db;

  static inline const char* name = "h2h.store_worker";
};

using store_worker_pointer
  = store_worker_actor::stateful_pointer<store_worker_state>;

/// Spawnable behaviour; opens its connection lazily and again after a
/// failure.
store_worker_actor::behavior_type store_worker(store_worker_pointer self,
                                               store_factory open);

} // namespace h2h
