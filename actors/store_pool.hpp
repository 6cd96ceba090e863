// A small pool of detached store workers that run blocking jobs (account
// and room operations of the REST API) on their own connections.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/type_id.hpp>

#include "actors/interfaces.hpp"

#include "persistence/store.hpp"

namespace h2h {

/// Work that needs the store; runs on a worker thread and reports its result
/// itself (e.g. by calling an HTTP responder).
using store_job = std::function<void(store&)>;

/// Called with a job when the store could not be opened for it.
using store_job_failed = std::function<void(const store_error&)>;

/// A job and what to do when the store cannot be opened for it. Travels
/// only between actors of this process (never serialized).
struct job_msg {
  store_job run;
  store_job_failed failed;
};

using job_ptr = std::shared_ptr<job_msg>;

class store_pool {
public:
  /// Spawns `workers` detached actors, each opening its own connection.
  store_pool(caf::actor_system& sys, store_factory open, std::size_t workers);
  ~store_pool();

  store_pool(const store_pool&) = delete;
  store_pool& operator=(const store_pool&) = delete;

  /// Queues a job on the next worker (round robin). Thread-safe.
  void submit(store_job job, store_job_failed failed);

  /// Stops the workers (their queued jobs still run first).
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace h2h

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(h2h::job_ptr)

CAF_BEGIN_TYPE_ID_BLOCK(h2h_local, caf::id_block::h2h_handles::end)
CAF_ADD_TYPE_ID(h2h_local, (h2h::job_ptr))
CAF_END_TYPE_ID_BLOCK(h2h_local)
