// A small pool of threads that run blocking store jobs (account and room
// operations of the REST API, password hashing) on connections of
// their own: one shared queue, bounded, so a slow job never holds up
// another while a worker is free.
#include "actors/store/store_pool.hpp"

#include <pthread.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

namespace h2h {

struct store_pool::impl {
  store_factory open;
  std::size_t workers = 1;
  std::size_t max_waiting = 0;
  std::string name;
  mutable std::mutex mtx;
  std::condition_variable wake;
  std::deque<std::unique_ptr<store_job>> queue;
  std::size_t running = 0;
  bool stopping = false;
  std::vector<std::thread> threads;

  void work();
  static void run_one(store_job& job, std::unique_ptr<store>& db,
                      const store_factory& open);
};

void store_pool::impl::run_one(store_job& job, std::unique_ptr<store>& db,
                               const store_factory& open) {
  if (!db) {
    auto fault = attempt_void([&] { db = open(); });
    if (fault) {
      spdlog::warn("store pool: {}", fault->detail);
      job.fail(std::move(*fault));
      return;
    }
  }
  auto fault = run_job_on(job, *db);
  // A connection that broke is reopened for the next job.
  if (fault && fault->kind == store_failure::unavailable)
    db.reset();
}

void store_pool::impl::work() {
  std::unique_ptr<store> db;
  for (;;) {
    std::unique_ptr<store_job> job;
    {
      std::unique_lock<std::mutex> lock{mtx};
      wake.wait(lock, [this] { return stopping || !queue.empty(); });
      if (queue.empty())
        return; // stopping
      job = std::move(queue.front());
      queue.pop_front();
      ++running;
    }
    run_one(*job, db, open);
    job.reset(); // what the job holds dies before it counts as done
    std::lock_guard<std::mutex> guard{mtx};
    --running;
  }
}

store_pool::store_pool(store_factory open, std::size_t workers,
                       std::size_t max_waiting, std::string name)
  : impl_(std::make_unique<impl>()) {
  impl_->open = std::move(open);
  impl_->workers = std::max<std::size_t>(workers, 1);
  impl_->max_waiting = max_waiting;
  impl_->name = std::move(name);
  for (std::size_t i = 0; i < impl_->workers; ++i) {
    impl_->threads.emplace_back([this] { impl_->work(); });
    // Linux shows at most 15 characters.
    auto shown = impl_->name.substr(0, 15);
    pthread_setname_np(impl_->threads.back().native_handle(), shown.c_str());
  }
}

store_pool::~store_pool() {
  stop();
}

bool store_pool::enqueue(std::unique_ptr<store_job>& job) {
  {
    std::lock_guard<std::mutex> guard{impl_->mtx};
    if (!impl_->stopping) {
      // Running plus waiting, so that idle workers not yet awake do not
      // make the bound smaller.
      if (impl_->max_waiting != 0
          && impl_->queue.size() + impl_->running
               >= impl_->workers + impl_->max_waiting)
        return false;
      impl_->queue.push_back(std::move(job));
      impl_->wake.notify_one();
      return true;
    }
  }
  auto mine = std::move(job);
  mine->fail(make_fault(store_failure::unavailable, "shutting down"));
  return true;
}

std::size_t store_pool::in_flight() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->queue.size() + impl_->running;
}

void store_pool::stop() {
  std::deque<std::unique_ptr<store_job>> dropped;
  {
    std::lock_guard<std::mutex> guard{impl_->mtx};
    if (impl_->stopping)
      return;
    impl_->stopping = true;
    dropped.swap(impl_->queue);
  }
  impl_->wake.notify_all();
  for (auto& job : dropped)
    job->fail(make_fault(store_failure::unavailable, "shutting down"));
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
}

} // namespace h2h
