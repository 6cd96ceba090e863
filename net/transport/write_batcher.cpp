// Turns many queued sends into one wake-up of the I/O thread.
#include <atomic>

#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <spdlog/spdlog.h>

#include "net/transport/io_worker.hpp"

namespace h2h::net {

std::unique_ptr<send_batch> io_worker::make_batch(const io_settings& settings) {
  if (!settings.io_uring)
    return nullptr;
  std::string why;
  auto batch = make_uring_batch(why);
  static std::atomic<bool> told{false};
  if (!batch && !told.exchange(true))
    spdlog::warn("io_uring unavailable ({}): each connection writes with a "
                 "system call of its own (server.io_uring)",
                 why);
  return batch;
}

void write_batcher::flush_all(std::vector<std::shared_ptr<flushable>>& conns,
                              bool lazy) {
  if (!batch_) {
    for (auto& c : conns)
      lazy ? c->flush_lazy() : c->flush();
    return;
  }
  for (auto& c : conns)
    lazy ? c->flush_lazy_into(*batch_) : c->flush_into(*batch_);
  batch_->submit();
  if (batch_->broken()) {
    spdlog::warn("io_uring refused a submission: this I/O thread's "
                 "connections write with a system call each from now on");
    batch_.reset();
  }
}

void write_batcher::schedule(std::shared_ptr<flushable> c) {
  bool post = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    pending_.push_back(std::move(c));
    if (!posted_) {
      posted_ = true;
      post = true;
    }
  }
  if (post)
    boost::asio::post(io_, [this] { drain(); });
}

void write_batcher::drain() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    draining_.swap(pending_);
    posted_ = false;
  }
  flush_all(draining_, false);
  draining_.clear();
  // A burst may have grown the vectors; idle servers give the memory back.
  if (draining_.capacity() > 4096)
    std::vector<std::shared_ptr<flushable>>{}.swap(draining_);
}

void write_batcher::schedule_lazy(std::shared_ptr<flushable> c) {
  if (lazy_delay_.count() <= 0) {
    boost::asio::post(io_, [c = std::move(c)] { c->flush_lazy(); });
    return;
  }
  bool arm = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    lazy_pending_.push_back(std::move(c));
    if (!lazy_armed_) {
      lazy_armed_ = true;
      arm = true;
    }
  }
  // One timer per delay and thread, armed on its thread.
  if (arm)
    boost::asio::post(io_, [this] {
      lazy_timer_.expires_after(lazy_delay_);
      lazy_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec)
          drain_lazy();
      });
    });
}

void write_batcher::drain_lazy() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    lazy_draining_.swap(lazy_pending_);
    lazy_armed_ = false;
  }
  flush_all(lazy_draining_, true);
  lazy_draining_.clear();
  if (lazy_draining_.capacity() > 4096)
    std::vector<std::shared_ptr<flushable>>{}.swap(lazy_draining_);
}

} // namespace h2h::net
