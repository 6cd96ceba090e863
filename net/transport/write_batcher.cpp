// Turns many queued sends into one wake-up of the I/O thread.
#include <boost/asio/post.hpp>

#include "net/transport/io_worker.hpp"

namespace h2h::net {

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
  for (auto& c : draining_)
    c->flush();
  draining_.clear();
  // A burst may have grown the vectors; idle servers give the memory back.
  if (draining_.capacity() > 4096)
    std::vector<std::shared_ptr<flushable>>{}.swap(draining_);
}

} // namespace h2h::net
