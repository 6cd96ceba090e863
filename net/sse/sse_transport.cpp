// The Server-Sent Events transport: an endless HTTP response, its bounded
// outbound queue, and the keep-alive sweep over all streams.
#include "net/sse/sse_transport.hpp"

#include <algorithm>
#include <array>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "net/protocol/sse/sse_codec.hpp"

namespace h2h::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

std::string endpoint_text(const asio::ip::tcp::socket& s) {
  error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec)
    return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

const wire_bytes& keepalive_bytes() {
  static const wire_bytes bytes
    = std::make_shared<const std::string>(sse_keepalive());
  return bytes;
}

} // namespace

sse_transport::sse_transport(tcp::socket socket, io_worker& worker,
                             const sse_settings& settings,
                             net_counters& counters)
  : socket_(std::move(socket))
  , strand_(worker.io.get_executor())
  , batcher_(worker.batcher)
  , settings_(settings)
  , counters_(counters)
  , out_(settings.outbound_queue_bytes) {
  remote_ = endpoint_text(socket_);
}

sse_transport::~sse_transport() = default;

void sse_transport::start(std::shared_ptr<transport_user> user,
                          wire_bytes head) {
  user_ = std::move(user);
  counters_.ws_opened.fetch_add(1, std::memory_order_relaxed);
  error_code ec;
  socket_.set_option(tcp::no_delay{true}, ec);
  // The head is queued before the ENTER exists: every event comes after it.
  wire_message first{std::move(head)};
  send(&first, 1);
  asio::dispatch(strand_, [self = shared_from_this()] {
    if (self->finished_ || !self->user_)
      return;
    std::string opening;
    self->user_->on_text(opening);
    self->wait_readable();
  });
}

void sse_transport::keep_alive() {
  wire_message beat{keepalive_bytes()};
  send(&beat, 1);
}

// -- outbound (any thread)
// -------------------------------------------------------

void sse_transport::after_push(stream_queue::outcome r) {
  switch (r) {
    case stream_queue::outcome::schedule:
      batcher_.schedule(shared_from_this());
      break;
    case stream_queue::outcome::overflow:
      counters_.slow_consumers.fetch_add(1, std::memory_order_relaxed);
      asio::post(strand_, [self = shared_from_this()] {
        self->finish("slow consumer");
      });
      break;
    case stream_queue::outcome::queued:
    case stream_queue::outcome::refused:
      break;
  }
}

void sse_transport::send(const wire_message* msgs, std::size_t n) {
  after_push(out_.push(msgs, n));
}

void sse_transport::end(end_reason why, std::string_view) {
  const char* text = "ended";
  switch (why) {
    case end_reason::going_away:
      text = "server shutting down";
      break;
    case end_reason::slow_consumer:
      text = "slow consumer";
      break;
    case end_reason::token_expired:
      text = "token expired";
      break;
    case end_reason::session_ended:
      text = "session ended";
      break;
    case end_reason::refused:
      text = "refused";
      break;
    case end_reason::kicked:
      text = "kicked";
      break;
    case end_reason::internal_error:
      text = "session ended";
      break;
    case end_reason::normal:
      break;
  }
  asio::post(strand_,
             [self = shared_from_this(), text] { self->begin_end(text); });
}

void sse_transport::abort_now() {
  finish("server stopped");
}

// -- reading (I/O thread): only to see the client go away
// ------------------------

void sse_transport::wait_readable() {
  if (finished_)
    return;
  socket_.async_wait(
    tcp::socket::wait_read,
    asio::bind_executor(strand_, [self = shared_from_this()](error_code ec) {
      if (self->finished_)
        return;
      if (ec) {
        self->finish("read failed");
        return;
      }
      // Whatever a client sends on a stream is ignored (bounded: read and
      // dropped), until it closes.
      static thread_local std::array<char, 4096> buf;
      auto n = self->socket_.read_some(asio::buffer(buf), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again
          || (!ec && n > 0)) {
        self->wait_readable();
        return;
      }
      self->finish(ec == asio::error::eof ? "peer closed the connection"
                                          : "read failed");
    }));
}

// -- writing and ending (I/O thread)
// ---------------------------------------------

void sse_transport::flush() {
  do_write();
}

void sse_transport::do_write() {
  if (finished_ || writing_now_)
    return;
  if (!out_.take(writing_)) {
    if (ending_)
      finish(end_why_);
    return;
  }
  buffers_.clear();
  std::size_t total = 0;
  for (auto& b : writing_) {
    buffers_.emplace_back(b->data(), b->size());
    total += b->size();
  }
  writing_now_ = true;
  asio::async_write(
    socket_, buffers_,
    asio::bind_executor(
      strand_, [self = shared_from_this(), total](error_code ec, std::size_t) {
        self->writing_now_ = false;
        if (self->finished_)
          return;
        if (ec) {
          self->finish("write failed");
          return;
        }
        self->counters_.frames_out.fetch_add(self->writing_.size(),
                                             std::memory_order_relaxed);
        self->counters_.bytes_out.fetch_add(total, std::memory_order_relaxed);
        self->writing_.clear();
        self->out_.written(total);
        self->do_write();
      }));
}

void sse_transport::begin_end(const char* why) {
  if (ending_ || finished_)
    return;
  ending_ = true;
  end_why_ = why;
  if (out_.seal())
    batcher_.schedule(shared_from_this());
  // A client that does not read must not hold the end up.
  end_timer_ = std::make_unique<asio::steady_timer>(strand_);
  end_timer_->expires_after(settings_.close_timeout);
  end_timer_->async_wait([self = shared_from_this()](error_code ec) {
    if (!ec)
      self->finish("end timed out");
  });
}

void sse_transport::finish(const char* why) {
  if (finished_)
    return;
  finished_ = true;
  out_.clear();
  if (end_timer_)
    end_timer_->cancel();
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  if (auto user = std::move(user_))
    user->on_gone();
  counters_.ws_closed.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("sse {} closed: {}", remote_, why);
}

// -- the keep-alive sweep
// --------------------------------------------------------

void sse_streams::add(const std::shared_ptr<sse_transport>& s) {
  std::lock_guard<std::mutex> guard{mtx_};
  streams_.push_back(s);
  if (streams_.size() >= compact_at_)
    compact_locked();
}

std::size_t sse_streams::keep_alive_all() {
  std::vector<std::shared_ptr<sse_transport>> open;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    compact_locked();
    open.reserve(streams_.size());
    for (auto& w : streams_)
      if (auto s = w.lock())
        open.push_back(std::move(s));
  }
  // Outside the lock: a push may schedule a write on another thread.
  for (auto& s : open)
    s->keep_alive();
  return open.size();
}

std::size_t sse_streams::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return streams_.size();
}

void sse_streams::compact_locked() {
  std::vector<std::weak_ptr<sse_transport>> live;
  live.reserve(streams_.size());
  for (auto& w : streams_)
    if (!w.expired())
      live.push_back(std::move(w));
  streams_.swap(live);
  compact_at_ = std::max<std::size_t>(64, 2 * streams_.size());
}

} // namespace h2h::net
