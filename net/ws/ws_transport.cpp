// The WebSocket transport of a client connection: framing, the outbound
// queue, the inbound window and the close handshake.
#include "net/ws/ws_transport.hpp"

#include <array>
#include <cerrno>
#include <cstring>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

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

constexpr std::uint8_t close_header_byte = 0x88;

/// Decoded messages of the read at hand: one list per I/O thread, so that
/// idle connections keep none.
std::vector<ws::message>& thread_inbox() {
  static thread_local std::vector<ws::message> inbox;
  return inbox;
}

/// Buffer lists keep their capacity between bursts only while small.
template <class T>
void shrink_if_large(std::vector<T>& v) {
  if (v.capacity() > 2)
    std::vector<T>{}.swap(v);
}

} // namespace

ws_close close_of(end_reason why) {
  switch (why) {
    case end_reason::normal:
      return {close_code::normal, ""};
    case end_reason::going_away:
      return {close_code::going_away, "server shutting down"};
    case end_reason::slow_consumer:
      return {close_code::slow_consumer, "slow consumer"};
    case end_reason::token_expired:
      return {close_code::policy, "token expired"};
    case end_reason::session_ended:
      return {close_code::policy, "session ended"};
    case end_reason::refused:
      return {close_code::policy, "refused"};
    case end_reason::kicked:
      return {close_code::policy, "kicked"};
    case end_reason::internal_error:
      break;
  }
  return {close_code::internal_error, "session ended"};
}

ws_transport::ws_transport(tcp::socket socket, io_worker& worker,
                           const ws_settings& settings, net_counters& counters)
  : socket_(std::move(socket))
  , strand_(worker.io.get_executor())
  , batcher_(worker.batcher)
  , settings_(settings)
  , counters_(counters)
  , parser_(settings.max_frame_bytes)
  , out_(settings.outbound_queue_bytes)
  , gate_(static_cast<std::uint32_t>(
      settings.inbound_window > 0 ? settings.inbound_window : 1)) {
  remote_ = endpoint_text(socket_);
}

ws_transport::~ws_transport() = default;

void ws_transport::start(std::shared_ptr<transport_user> user,
                         std::string leftover,
                         std::optional<end_reason> closing,
                         std::string detail) {
  user_ = std::move(user);
  counters_.ws_opened.fetch_add(1, std::memory_order_relaxed);
  error_code ec;
  socket_.non_blocking(true, ec);
  if (!closing)
    socket_.set_option(tcp::no_delay{true}, ec);
  asio::dispatch(strand_, [self = shared_from_this(), closing,
                           detail = std::move(detail),
                           bytes = std::move(leftover)]() mutable {
    if (closing) {
      auto c = close_of(*closing);
      self->begin_close(c.code, detail.empty() ? std::string{c.reason}
                                               : std::move(detail));
      // The parser must see the stream from its start, or the client's
      // close would be misread.
      if (!bytes.empty())
        self->consume(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                      bytes.size());
      return;
    }
    // Bytes behind the request are read like any others: a violation
    // among them ends reading just the same.
    if (!bytes.empty()
        && !self->consume(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                          bytes.size()))
      return;
    if (self->close_sent_ || !self->gate_.pause_if_full())
      self->wait_readable();
  });
}

// -- outbound (any thread)
// -------------------------------------------------------

void ws_transport::after_push(outbound_queue::outcome r) {
  switch (r) {
    case outbound_queue::outcome::schedule:
      batcher_.schedule(shared_from_this());
      break;
    case outbound_queue::outcome::schedule_lazy:
      batcher_.schedule_lazy(shared_from_this());
      break;
    case outbound_queue::outcome::overflow:
      counters_.slow_consumers.fetch_add(1, std::memory_order_relaxed);
      asio::post(strand_, [self = shared_from_this()] {
        self->begin_close(close_code::slow_consumer, "slow consumer");
      });
      break;
    case outbound_queue::outcome::queued:
    case outbound_queue::outcome::refused:
      break;
  }
}

void ws_transport::push_texts(const wire_message* msgs, std::size_t n,
                              bool lazy) {
  // One lock for the whole batch; the bytes are shared, not copied.
  after_push(out_.push_all(
    [&](auto&& add) {
      for (std::size_t i = 0; i < n; ++i)
        add(ws::opcode::text, msgs[i]);
    },
    lazy));
}

void ws_transport::send(const wire_message* msgs, std::size_t n) {
  push_texts(msgs, n, false);
}

void ws_transport::send_lazy(const wire_message* msgs, std::size_t n) {
  push_texts(msgs, n, batcher_.lazy_enabled());
}

void ws_transport::end(end_reason why, std::string_view detail) {
  auto c = close_of(why);
  asio::post(strand_, [self = shared_from_this(), code = c.code,
                       r = detail.empty() ? std::string{c.reason}
                                          : std::string{detail}]() mutable {
    self->begin_close(code, std::move(r));
  });
}

void ws_transport::abort_now() {
  finish("server stopped");
}

void ws_transport::release() {
  // Exactly one release() ends a pause (see inbound_gate).
  if (gate_.done())
    asio::post(strand_, [self = shared_from_this()] { self->resume(); });
}

// -- reading (strand)
// ------------------------------------------------------------

void ws_transport::wait_readable() {
  if (reading_ || finished_)
    return;
  reading_ = true;
  socket_.async_wait(
    tcp::socket::wait_read,
    asio::bind_executor(strand_, [self = shared_from_this()](error_code ec) {
      self->on_readable(ec);
    }));
}

void ws_transport::on_readable(error_code ec) {
  reading_ = false;
  if (finished_)
    return;
  if (ec) {
    finish(ec == asio::error::operation_aborted ? "aborted" : "read failed");
    return;
  }
  // One buffer per thread: idle connections hold no read buffer.
  static thread_local std::array<std::uint8_t, 65536> buf;
  for (int round = 0; round < 16; ++round) {
    auto n = socket_.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again)
      break;
    if (ec) {
      finish(ec == asio::error::eof ? "peer closed the connection"
                                    : "read failed");
      return;
    }
    if (!consume(buf.data(), n))
      return;
    // While closing, reading goes on to see the peer's close frame.
    if (!close_sent_ && gate_.pause_if_full())
      return;
  }
  if (parser_.at_boundary())
    parser_.release_memory();
  wait_readable();
}

bool ws_transport::consume(const std::uint8_t* data, std::size_t size) {
  auto& inbox = thread_inbox();
  auto violation = parser_.feed(data, size, inbox);
  for (auto& m : inbox)
    if (!handle(m))
      break;
  inbox.clear();
  if (finished_)
    return false;
  if (violation) {
    spdlog::info("ws {} protocol violation: {}", remote_, violation->reason);
    // The parser cannot go on: nothing more is read, and the close does not
    // wait for a reply.
    close_received_ = true;
    if (close_written_)
      finish("protocol violation while closing");
    else
      begin_close(violation->close_code, violation->reason);
    return false;
  }
  // After the peer's close frame whatever it sends is ignored.
  return !close_received_;
}

bool ws_transport::handle(ws::message& msg) {
  switch (msg.op) {
    case ws::opcode::text: {
      if (close_sent_)
        return true; // closing: data is ignored
      counters_.frames_in.fetch_add(1, std::memory_order_relaxed);
      if (!user_)
        return true;
      // Counted before the user hands it on: the session may complete it
      // on another thread before on_text returns.
      gate_.add();
      if (!user_->on_text(msg.payload) && gate_.done())
        resume(); // not a command after all
      return !finished_;
    }
    case ws::opcode::binary:
      // Later frames are still handled: the peer's close may be among them.
      begin_close(close_code::unsupported_data,
                  "binary frames are not supported");
      return true;
    case ws::opcode::ping: {
      // A ping costs queue bytes like anything else; a client that pings
      // without reading ends as a slow consumer.
      auto r = out_.push_pong(
        std::make_shared<const std::string>(std::move(msg.payload)));
      if (r == outbound_queue::outcome::overflow) {
        counters_.slow_consumers.fetch_add(1, std::memory_order_relaxed);
        begin_close(close_code::slow_consumer, "slow consumer");
        return true;
      }
      after_push(r);
      return true;
    }
    case ws::opcode::pong:
      return true;
    case ws::opcode::close:
      close_received_ = true;
      if (close_sent_) {
        // Our close was answered; the end comes once ours is written.
        if (close_written_)
          finish("closed");
        return false;
      }
      begin_close(msg.close_code == 1005 ? close_code::normal : msg.close_code,
                  {});
      return false;
    case ws::opcode::continuation:
      break;
  }
  return true;
}

void ws_transport::resume() {
  // The gate is open again (release decided); reading was stopped.
  if (!finished_)
    wait_readable();
}

// -- writing (strand)
// ------------------------------------------------------------

void ws_transport::flush() {
  do_write();
}

void ws_transport::flush_lazy() {
  if (out_.promote_lazy())
    do_write();
}

void ws_transport::flush_into(send_batch& batch) {
  if (finished_)
    return;
  if (!out_.take(writing_)) {
    shrink_if_large(buffers_);
    return;
  }
  gather();
  batch.add(socket_.native_handle(), buffers_.data(), buffers_.size(), *this);
}

void ws_transport::flush_lazy_into(send_batch& batch) {
  if (out_.promote_lazy())
    flush_into(batch);
}

void ws_transport::sent(long result) {
  if (finished_)
    return;
  std::size_t total = 0;
  for (const auto& f : writing_)
    total += f.size();
  if (result >= 0 && static_cast<std::size_t>(result) == total) {
    // What was queued meanwhile goes in the batcher's next turn, with the
    // other connections' writes (writing it now would be a system call of
    // its own for every connection of a busy turn). The write cycle stays
    // ours until take() finds the queue empty.
    if (complete_write(total))
      batcher_.schedule(shared_from_this());
    return;
  }
  if (result == -EAGAIN || result == -EWOULDBLOCK)
    result = 0;
  if (result >= 0) {
    // The socket was full a moment ago; its reader may have made room
    // since: try once more before waiting for it (as do_write does).
    std::size_t done = static_cast<std::size_t>(result);
    drop_written(done);
    auto ec = write_now(done, total);
    if (done == total) {
      if (complete_write(total))
        batcher_.schedule(shared_from_this());
      return;
    }
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      write_rest_async(total);
      return;
    }
    result = -ec.value();
  }
  spdlog::info("ws {} write failed: {}", remote_,
               std::strerror(static_cast<int>(-result)));
  finish("write failed");
}

std::size_t ws_transport::gather() {
  buffers_.clear();
  std::size_t total = 0;
  for (auto& f : writing_) {
    buffers_.emplace_back(f.header, f.header_len);
    total += f.header_len;
    for (const auto* part : {&f.payload.head, &f.payload.body})
      if (*part && !(*part)->empty()) {
        buffers_.emplace_back((*part)->data(), (*part)->size());
        total += (*part)->size();
      }
  }
  return total;
}

void ws_transport::do_write() {
  // A few rounds at most, then the batcher brings us back: one busy
  // connection must not starve the others on this thread.
  for (int round = 0; round < 16; ++round) {
    if (finished_)
      return;
    if (!out_.take(writing_)) {
      // Idle again: what a burst needed is given back.
      shrink_if_large(buffers_);
      return;
    }
    auto total = gather();
    // Most writes fit the socket buffer: try at once, without an
    // asynchronous operation (the socket is non-blocking).
    std::size_t done = 0;
    auto ec = write_now(done, total);
    if (done == total) {
      if (!complete_write(total))
        return;
      continue;
    }
    if (ec != asio::error::would_block && ec != asio::error::try_again) {
      finish("write failed");
      return;
    }
    write_rest_async(total);
    return;
  }
  batcher_.schedule(shared_from_this());
}

error_code ws_transport::write_now(std::size_t& done, std::size_t total) {
  error_code ec;
  while (done < total) {
    auto n = socket_.write_some(buffers_, ec);
    if (ec)
      break;
    done += n;
    drop_written(n);
  }
  return ec;
}

void ws_transport::write_rest_async(std::size_t total) {
  // The socket is full: the rest goes out when it drains.
  asio::async_write(
    socket_, buffers_,
    asio::bind_executor(
      strand_, [self = shared_from_this(), total](error_code ec, std::size_t) {
        if (self->finished_)
          return;
        if (ec) {
          self->finish("write failed");
          return;
        }
        if (self->complete_write(total))
          self->do_write();
      }));
}

void ws_transport::drop_written(std::size_t n) {
  std::size_t i = 0;
  while (i < buffers_.size() && n >= buffers_[i].size())
    n -= buffers_[i++].size();
  buffers_.erase(buffers_.begin(), buffers_.begin() + static_cast<long>(i));
  if (n > 0 && !buffers_.empty())
    buffers_.front() += n;
}

bool ws_transport::complete_write(std::size_t bytes) {
  bool close_flushed = false;
  for (auto& f : writing_)
    if (f.header[0] == close_header_byte)
      close_flushed = true;
  counters_.frames_out.fetch_add(writing_.size(), std::memory_order_relaxed);
  counters_.bytes_out.fetch_add(bytes, std::memory_order_relaxed);
  writing_.clear();
  out_.written(bytes);
  if (close_flushed) {
    close_written_ = true;
    if (close_received_)
      finish("closed");
    return false; // nothing is written after a close frame
  }
  return true;
}

// -- closing (strand)
// ------------------------------------------------------------

void ws_transport::begin_close(std::uint16_t code, std::string reason) {
  if (close_sent_ || finished_)
    return;
  close_sent_ = true;
  // The close frame counts too: past the limit it says 4008 instead.
  auto sent = out_.close(code, reason);
  if (sent.code != code) {
    counters_.slow_consumers.fetch_add(1, std::memory_order_relaxed);
    reason = "slow consumer";
  }
  if (sent.code != close_code::normal)
    spdlog::info("ws {} closing with {}{}{}", remote_, sent.code,
                 reason.empty() ? "" : ": ", reason);
  if (sent.schedule)
    batcher_.schedule(shared_from_this());
  close_timer_ = std::make_unique<asio::steady_timer>(strand_);
  close_timer_->expires_after(settings_.close_timeout);
  close_timer_->async_wait([self = shared_from_this()](error_code ec) {
    if (!ec)
      self->finish("close handshake timed out");
  });
  // Read on (even when paused) to see the peer's close frame.
  if (!close_received_)
    wait_readable();
}

void ws_transport::finish(const char* why) {
  if (finished_)
    return;
  finished_ = true;
  out_.clear();
  if (close_timer_)
    close_timer_->cancel();
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  if (auto user = std::move(user_))
    user->on_gone();
  counters_.ws_closed.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("ws {} closed: {}", remote_, why);
}

} // namespace h2h::net
