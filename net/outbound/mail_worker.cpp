// Threads of their own for outgoing mail, with a small bounded queue.
#include "net/outbound/mail_worker.hpp"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

namespace h2h::net {

mail_ticket::mail_ticket(std::function<void(mail_job)> hand_over,
                         std::function<void()> give_back)
  : hand_over_(std::move(hand_over))
  , give_back_(std::move(give_back)) {
}

mail_ticket::mail_ticket(mail_ticket&& other) noexcept
  : hand_over_(std::move(other.hand_over_))
  , give_back_(std::move(other.give_back_)) {
  other.hand_over_ = nullptr;
  other.give_back_ = nullptr;
}

mail_ticket& mail_ticket::operator=(mail_ticket&& other) noexcept {
  if (this != &other) {
    release();
    hand_over_ = std::move(other.hand_over_);
    give_back_ = std::move(other.give_back_);
    other.hand_over_ = nullptr;
    other.give_back_ = nullptr;
  }
  return *this;
}

mail_ticket::~mail_ticket() {
  release();
}

void mail_ticket::release() {
  if (give_back_)
    give_back_();
  hand_over_ = nullptr;
  give_back_ = nullptr;
}

void mail_ticket::submit(mail_job job) {
  if (!hand_over_) {
    if (job.dropped)
      job.dropped();
    return;
  }
  auto hand_over = std::move(hand_over_);
  hand_over_ = nullptr;
  give_back_ = nullptr; // the place now belongs to the queued mail
  hand_over(std::move(job));
}

struct mail_worker::state {
  std::size_t workers = 1;
  std::size_t max_waiting = 0;
  mutable std::mutex mtx;
  std::condition_variable wake;
  std::deque<mail_job> queue;
  std::size_t reserved = 0;
  std::size_t running = 0;
  bool stopping = false;
  std::vector<std::thread> threads;

  void work();
  /// Queues a mail whose place was reserved: after stop it is dropped.
  void hand_over(mail_job job);
};

void mail_worker::state::work() {
  for (;;) {
    mail_job job;
    {
      std::unique_lock<std::mutex> lock{mtx};
      wake.wait(lock, [this] { return stopping || !queue.empty(); });
      if (queue.empty())
        return; // stopping
      job = std::move(queue.front());
      queue.pop_front();
      ++running;
    }
    try {
      job.send();
    } catch (const std::exception& e) {
      // A mail job reports its own failures; this one forgot to.
      spdlog::error("mail job failed: {}", e.what());
    }
    job = {}; // what the job holds dies before it counts as done
    std::lock_guard<std::mutex> guard{mtx};
    --running;
  }
}

void mail_worker::state::hand_over(mail_job job) {
  {
    std::lock_guard<std::mutex> guard{mtx};
    --reserved;
    if (!stopping) {
      queue.push_back(std::move(job));
      wake.notify_one();
      return;
    }
  }
  if (job.dropped)
    job.dropped();
}

mail_worker::mail_worker(std::size_t workers, std::size_t max_waiting,
                         std::string name)
  : state_(std::make_shared<state>()) {
  state_->workers = std::max<std::size_t>(workers, 1);
  state_->max_waiting = max_waiting;
  auto shown = name.substr(0, 15); // Linux shows at most 15 characters
  for (std::size_t i = 0; i < state_->workers; ++i) {
    state_->threads.emplace_back([s = state_.get()] { s->work(); });
    pthread_setname_np(state_->threads.back().native_handle(), shown.c_str());
  }
}

mail_worker::~mail_worker() {
  stop();
}

mail_ticket mail_worker::reserve() {
  {
    std::lock_guard<std::mutex> guard{state_->mtx};
    auto& s = *state_;
    if (s.stopping) // a ticket whose mail is dropped at once
      return mail_ticket{[](mail_job job) {
                           if (job.dropped)
                             job.dropped();
                         },
                         [] {}};
    if (s.max_waiting != 0
        && s.queue.size() + s.running + s.reserved >= s.workers + s.max_waiting)
      return {};
    ++s.reserved;
  }
  // Tickets may outlive the worker: they hold its state.
  return mail_ticket{
    [s = state_](mail_job job) { s->hand_over(std::move(job)); },
    [s = state_] {
      std::lock_guard<std::mutex> guard{s->mtx};
      --s->reserved;
    }};
}

bool mail_worker::try_submit(mail_job job) {
  auto ticket = reserve();
  if (!ticket)
    return false;
  ticket.submit(std::move(job));
  return true;
}

std::size_t mail_worker::in_flight() const {
  std::lock_guard<std::mutex> guard{state_->mtx};
  return state_->queue.size() + state_->running + state_->reserved;
}

void mail_worker::stop() {
  std::deque<mail_job> dropped;
  {
    std::lock_guard<std::mutex> guard{state_->mtx};
    if (state_->stopping)
      return;
    state_->stopping = true;
    dropped.swap(state_->queue);
  }
  state_->wake.notify_all();
  for (auto& job : dropped)
    if (job.dropped)
      job.dropped();
  for (auto& t : state_->threads)
    t.join();
  state_->threads.clear();
}

} // namespace h2h::net
