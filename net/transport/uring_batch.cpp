// send_batch over io_uring: the only translation unit that sees liburing.
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <climits>

#include <cerrno>
#include <cstring>
#include <vector>

#include <liburing.h>

#include "net/transport/send_batch.hpp"

namespace h2h::net {

namespace {

/// Writes per submission: the ring's size.
constexpr unsigned ring_depth = 256;

/// Tries again at most this often when the kernel cannot take a submission
/// right now (-EAGAIN, -EBUSY, -EINTR) before writing one by one.
constexpr int submit_attempts = 64;

/// MSG_DONTWAIT makes a full socket complete with -EAGAIN at once instead
/// of io_uring waiting for room (it never arms a poll then), so every write
/// of a submission has completed when the call returns; MSG_NOSIGNAL: a
/// closed peer is an error (-EPIPE), not a signal.
constexpr int send_flags = MSG_DONTWAIT | MSG_NOSIGNAL;

class uring_batch final : public send_batch {
public:
  uring_batch() = default;

  /// 0, or -errno when the kernel offers no ring.
  int init() {
    int rc = io_uring_queue_init(ring_depth, &ring_, 0);
    live_ = rc == 0;
    return rc;
  }

  ~uring_batch() override {
    if (live_)
      io_uring_queue_exit(&ring_);
  }

  uring_batch(const uring_batch&) = delete;
  uring_batch& operator=(const uring_batch&) = delete;

  void add(int fd, const boost::asio::const_buffer* bufs, std::size_t n,
           batch_client& to) override {
    // A longer vector would fail whole (EMSGSIZE); the rest goes as the
    // rest of a partial write does.
    n = std::min<std::size_t>(n, IOV_MAX);
    entries_.push_back(entry{fd, iovs_.size(), n, &to});
    for (std::size_t i = 0; i < n; ++i)
      iovs_.push_back(iovec{const_cast<void*>(bufs[i].data()), bufs[i].size()});
  }

  void submit() override {
    // iovs_ is complete: the headers may point into it now.
    msgs_.assign(entries_.size(), msghdr{});
    results_.assign(entries_.size(), 0);
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      msgs_[i].msg_iov = iovs_.data() + entries_[i].iov_at;
      msgs_[i].msg_iovlen = entries_[i].iov_n;
    }
    std::size_t at = 0;
    while (at < entries_.size() && !broken_)
      at += submit_chunk(
        at, std::min<std::size_t>(ring_depth, entries_.size() - at));
    for (; at < entries_.size(); ++at)
      results_[at] = send_one(at);
    // The results first, then the clients: a client's answer may write.
    for (std::size_t i = 0; i < entries_.size(); ++i)
      entries_[i].to->sent(results_[i]);
    entries_.clear();
    iovs_.clear();
    // A burst may have grown the lists; an idle thread gives them back.
    if (iovs_.capacity() > 16384) {
      std::vector<iovec>{}.swap(iovs_);
      std::vector<entry>{}.swap(entries_);
      std::vector<msghdr>{}.swap(msgs_);
      std::vector<long>{}.swap(results_);
    }
  }

  bool broken() const override {
    return broken_;
  }

private:
  struct entry {
    int fd;
    std::size_t iov_at;
    std::size_t iov_n;
    batch_client* to;
  };

  /// Submits entries [first, first + n) and collects their results; returns
  /// how many were submitted (n, unless the ring broke).
  std::size_t submit_chunk(std::size_t first, std::size_t n) {
    for (std::size_t i = first; i < first + n; ++i) {
      // The ring has room: every earlier chunk was submitted and reaped.
      auto* sqe = io_uring_get_sqe(&ring_);
      io_uring_prep_sendmsg(sqe, entries_[i].fd, &msgs_[i], send_flags);
      io_uring_sqe_set_data64(sqe, i);
    }
    std::size_t submitted = 0;
    for (int attempt = 0; submitted < n && attempt < submit_attempts;
         ++attempt) {
      int rc = io_uring_submit(&ring_);
      if (rc > 0)
        submitted += static_cast<std::size_t>(rc);
      else if (rc < 0 && rc != -EAGAIN && rc != -EBUSY && rc != -EINTR)
        break;
    }
    if (!reap(first, submitted) || submitted < n) {
      // What the ring did not take stays in it and must never run: the
      // ring goes (and with it those entries), and the rest are written
      // one by one.
      io_uring_queue_exit(&ring_);
      live_ = false;
      broken_ = true;
    }
    return submitted;
  }

  /// Waits for the completions of entries [first, first + n) (immediate:
  /// see send_flags). False when the ring failed first: the writes without
  /// an answer count as failed (-EIO), since they may still run, and a
  /// write repeated or out of order would corrupt the stream.
  bool reap(std::size_t first, std::size_t n) {
    for (std::size_t i = first; i < first + n; ++i)
      results_[i] = -EIO;
    for (std::size_t left = n; left > 0;) {
      io_uring_cqe* cqe = nullptr;
      int rc = io_uring_wait_cqe(&ring_, &cqe);
      if (rc == -EINTR)
        continue;
      if (rc < 0 || cqe == nullptr)
        return false;
      auto i = static_cast<std::size_t>(io_uring_cqe_get_data64(cqe));
      if (i < results_.size())
        results_[i] = cqe->res;
      io_uring_cqe_seen(&ring_, cqe);
      --left;
    }
    return true;
  }

  long send_one(std::size_t i) {
    auto rc = ::sendmsg(entries_[i].fd, &msgs_[i], send_flags);
    return rc >= 0 ? static_cast<long>(rc) : -static_cast<long>(errno);
  }

  io_uring ring_{};
  bool live_ = false;
  bool broken_ = false;
  std::vector<entry> entries_;
  std::vector<iovec> iovs_;
  std::vector<msghdr> msgs_;
  std::vector<long> results_;
};

} // namespace

std::unique_ptr<send_batch> make_uring_batch(std::string& why) {
  auto batch = std::make_unique<uring_batch>();
  if (int rc = batch->init(); rc < 0) {
    why = std::strerror(-rc);
    return nullptr;
  }
  return batch;
}

} // namespace h2h::net
