// A WebSocket connection of /message: reads client frames, writes queued
// frames coalesced into as few socket writes as possible, and is the
// client_link of its session actor.
#include "net/ws/ws_connection.hpp"

#include <array>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

namespace h2h::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

std::shared_ptr<const std::string> share(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

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

ws_connection::ws_connection(tcp::socket socket, io_worker& worker,
                             const ws_settings& settings, registry& reg,
                             net_counters& counters)
  : socket_(std::move(socket))
  , strand_(worker.io.get_executor())
  , batcher_(worker.batcher)
  , settings_(settings)
  , registry_(reg)
  , counters_(counters)
  , parser_(settings.max_frame_bytes)
  , out_(settings.outbound_queue_bytes)
  , gate_(static_cast<std::uint32_t>(
      settings.inbound_window > 0 ? settings.inbound_window : 1)) {
  remote_ = endpoint_text(socket_);
}

ws_connection::~ws_connection() = default;

void ws_connection::start(const session_factory& make_session,
                          session_identity identity, std::string leftover) {
  registry_id_ = registry_.add(weak_from_this());
  counters_.ws_opened.fetch_add(1, std::memory_order_relaxed);
  error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(tcp::no_delay{true}, ec);
  spdlog::info("ws {} open{}{}", remote_, identity.authenticated ? " as " : "",
               identity.authenticated ? identity.name : "");
  session_ = make_session(shared_from_this(), std::move(identity));
  asio::dispatch(
    strand_, [self = shared_from_this(), bytes = std::move(leftover)] {
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

void ws_connection::start_rejected(errc code, std::string message,
                                   std::string leftover) {
  registry_id_ = registry_.add(weak_from_this());
  counters_.ws_opened.fetch_add(1, std::memory_order_relaxed);
  error_code ec;
  socket_.non_blocking(true, ec);
  spdlog::info("ws {} refused: {}", remote_, message);
  send_error(code, message, {});
  asio::dispatch(
    strand_, [self = shared_from_this(), code, bytes = std::move(leftover)] {
      self->begin_close(close_code::policy, std::string{describe(code).code});
      // The parser must see the stream from its start, or the client's close
      // would be misread.
      if (!bytes.empty())
        self->consume(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                      bytes.size());
    });
}

// -- outbound (any thread)
// -------------------------------------------------------

void ws_connection::after_push(outbound_queue::outcome r) {
  switch (r) {
    case outbound_queue::outcome::schedule:
      batcher_.schedule(shared_from_this());
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

void ws_connection::enqueue(ws::opcode op,
                            std::shared_ptr<const std::string> payload) {
  after_push(out_.push(op, std::move(payload)));
}

void ws_connection::deliver(const event_batch& batch) {
  // One lock for the whole batch; the room encoded each event once.
  after_push(out_.push_all([&](auto&& add) {
    for (auto& ev : batch.events)
      add(ws::opcode::text, ev.wire ? ev.wire : share(encode_event(ev)));
  }));
}

void ws_connection::send_ack(std::string_view room_id,
                             std::string_view client_msg_id,
                             std::uint64_t seq) {
  enqueue(ws::opcode::text, share(encode_ack(room_id, client_msg_id, seq)));
}

void ws_connection::send_error(errc code, std::string_view message,
                               std::string_view client_msg_id) {
  enqueue(ws::opcode::text, share(encode_error(code, message, client_msg_id)));
}

void ws_connection::close(std::uint16_t code, std::string_view reason) {
  asio::post(strand_, [self = shared_from_this(), code,
                       r = std::string{reason}]() mutable {
    self->begin_close(code, std::move(r));
  });
}

void ws_connection::shutdown() {
  close(close_code::going_away, "server shutting down");
}

void ws_connection::expire() {
  send_error(errc::expired_token, "the access token has expired", {});
  close(close_code::policy, "token expired");
}

void ws_connection::end_session() {
  // Like an expired token: the client learns why before the close.
  send_error(errc::invalid_token, "the session has ended", {});
  close(close_code::policy, "session ended");
}

void ws_connection::abort_now() {
  finish("server stopped");
}

void ws_connection::command_done() {
  // Exactly one command_done() ends a pause (see inbound_gate).
  if (gate_.done())
    asio::post(strand_, [self = shared_from_this()] { self->resume(); });
}

// -- reading (strand)
// ------------------------------------------------------------

void ws_connection::wait_readable() {
  if (reading_ || finished_)
    return;
  reading_ = true;
  socket_.async_wait(
    tcp::socket::wait_read,
    asio::bind_executor(strand_, [self = shared_from_this()](error_code ec) {
      self->on_readable(ec);
    }));
}

void ws_connection::on_readable(error_code ec) {
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

bool ws_connection::consume(const std::uint8_t* data, std::size_t size) {
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

bool ws_connection::handle(ws::message& msg) {
  switch (msg.op) {
    case ws::opcode::text: {
      if (close_sent_)
        return true; // closing: data is ignored
      counters_.frames_in.fetch_add(1, std::memory_order_relaxed);
      auto decoded = decode_client_frame(msg.payload, settings_.codec);
      if (auto* err = std::get_if<frame_error>(&decoded)) {
        send_error(err->code, err->message, err->client_msg_id);
        return true;
      }
      if (!session_)
        return true;
      gate_.add();
      caf::anon_send(session_, std::move(std::get<client_command>(decoded)));
      return true;
    }
    case ws::opcode::binary:
      // Later frames are still handled: the peer's close may be among them.
      begin_close(close_code::unsupported_data,
                  "binary frames are not supported");
      return true;
    case ws::opcode::ping: {
      // A ping costs queue bytes like anything else; a client that pings
      // without reading ends as a slow consumer.
      auto r = out_.push_pong(share(std::move(msg.payload)));
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

void ws_connection::resume() {
  // The gate is open again (command_done decided); reading was stopped.
  if (!finished_)
    wait_readable();
}

// -- writing (strand)
// ------------------------------------------------------------

void ws_connection::flush() {
  do_write();
}

void ws_connection::do_write() {
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
    buffers_.clear();
    std::size_t total = 0;
    for (auto& f : writing_) {
      buffers_.emplace_back(f.header, f.header_len);
      total += f.header_len;
      if (f.payload && !f.payload->empty()) {
        buffers_.emplace_back(f.payload->data(), f.payload->size());
        total += f.payload->size();
      }
    }
    // Most writes fit the socket buffer: try at once, without an
    // asynchronous operation (the socket is non-blocking).
    error_code ec;
    std::size_t done = 0;
    while (done < total) {
      auto n = socket_.write_some(buffers_, ec);
      if (ec)
        break;
      done += n;
      drop_written(n);
    }
    if (done == total) {
      if (!complete_write(total))
        return;
      continue;
    }
    if (ec != asio::error::would_block && ec != asio::error::try_again) {
      finish("write failed");
      return;
    }
    // The socket is full: the rest goes out when it drains.
    asio::async_write(
      socket_, buffers_,
      asio::bind_executor(strand_, [self = shared_from_this(),
                                    total](error_code ec, std::size_t) {
        if (self->finished_)
          return;
        if (ec) {
          self->finish("write failed");
          return;
        }
        if (self->complete_write(total))
          self->do_write();
      }));
    return;
  }
  batcher_.schedule(shared_from_this());
}

void ws_connection::drop_written(std::size_t n) {
  std::size_t i = 0;
  while (i < buffers_.size() && n >= buffers_[i].size())
    n -= buffers_[i++].size();
  buffers_.erase(buffers_.begin(), buffers_.begin() + static_cast<long>(i));
  if (n > 0 && !buffers_.empty())
    buffers_.front() += n;
}

bool ws_connection::complete_write(std::size_t bytes) {
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

void ws_connection::begin_close(std::uint16_t code, std::string reason) {
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

void ws_connection::finish(const char* why) {
  if (finished_)
    return;
  finished_ = true;
  out_.clear();
  if (close_timer_)
    close_timer_->cancel();
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  if (session_) {
    caf::anon_send(session_, disconn_atom_v);
    session_ = nullptr;
  }
  registry_.remove(registry_id_);
  counters_.ws_closed.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("ws {} closed: {}", remote_, why);
}

} // namespace h2h::net
