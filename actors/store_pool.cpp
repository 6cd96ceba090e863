// A small pool of detached store workers that run blocking jobs (account
// and room operations of the REST API) on their own connections.
#include "actors/store_pool.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/messages.hpp"

namespace h2h {

struct store_pool::impl {
  std::vector<caf::actor> workers;
  std::atomic<std::size_t> next{0};
};

namespace {

struct pool_worker_state {
  store_factory open;
  std::unique_ptr<store> db;
  static inline const char* name = "h2h.store_pool_worker";
};

caf::behavior pool_worker(caf::stateful_actor<pool_worker_state>* self,
                          store_factory open) {
  self->state.open = std::move(open);
  return {
    [self](const job_ptr& job) {
      auto& st = self->state;
      try {
        if (!st.db)
          st.db = st.open();
      } catch (const store_error& e) {
        spdlog::warn("store pool: {}", e.what());
        job->failed(e);
        return;
      }
      try {
        job->run(*st.db);
      } catch (const store_error& e) {
        // The job reports store errors itself; a connection that broke is
        // reopened for the next job.
        if (e.kind() == store_failure::unavailable)
          st.db.reset();
        job->failed(e);
      } catch (const std::exception& e) {
        spdlog::error("store pool job failed: {}", e.what());
        job->failed(store_error(store_failure::fatal, e.what()));
      }
    },
  };
}

} // namespace

store_pool::store_pool(caf::actor_system& sys, store_factory open,
                       std::size_t workers)
  : impl_(std::make_unique<impl>()) {
  for (std::size_t i = 0; i < std::max<std::size_t>(workers, 1); ++i)
    impl_->workers.push_back(sys.spawn<caf::detached>(pool_worker, open));
}

store_pool::~store_pool() {
  stop();
}

void store_pool::submit(store_job job, store_job_failed failed) {
  if (impl_->workers.empty()) {
    failed(store_error(store_failure::unavailable, "shutting down"));
    return;
  }
  auto i = impl_->next.fetch_add(1) % impl_->workers.size();
  caf::anon_send(impl_->workers[i], std::make_shared<job_msg>(job_msg{
                                      std::move(job), std::move(failed)}));
}

void store_pool::stop() {
  for (auto& w : impl_->workers)
    caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
  impl_->workers.clear();
}

} // namespace h2h
