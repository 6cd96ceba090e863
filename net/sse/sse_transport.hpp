// The Server-Sent Events transport of a client connection: an HTTP response
// that never ends. The socket, the byte-bounded outbound queue, and the end
// of the stream (the connection closes: SSE has no close frame).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/sse/sse_settings.hpp"
#include "net/sse/stream_queue.hpp"
#include "net/transport/io_worker.hpp"
#include "net/transport/net_counters.hpp"
#include "net/transport/transport.hpp"

namespace h2h::net {

class sse_transport final : public transport,
                            public flushable,
                            public std::enable_shared_from_this<sse_transport> {
public:
  using tcp = boost::asio::ip::tcp;

  sse_transport(tcp::socket socket, io_worker& worker,
                const sse_settings& settings, net_counters& counters);
  ~sse_transport() override;

  /// Writes `head` (the response head) before anything else, then hands
  /// `user` the stream's opening (one on_text: the protocol makes it the
  /// ENTER) and watches the socket for the client going away.
  void start(std::shared_ptr<transport_user> user, wire_bytes head);

  /// Queues a keep-alive comment (any thread; the sweep calls it).
  void keep_alive();

  // -- transport (any thread)
  void send(const wire_message* msgs, std::size_t n) override;
  using transport::send;
  void release() override {
    // The one command of a stream is its ENTER; nothing is read after it.
  }
  void end(end_reason why, std::string_view detail = {}) override;
  void abort_now() override;
  const std::string& peer() const override {
    return remote_;
  }

  /// Writes what is queued (I/O thread; called by the write batcher).
  void flush() override;

private:
  void after_push(stream_queue::outcome r);
  // I/O thread only.
  void wait_readable();
  void begin_end(const char* why);
  void do_write();
  void finish(const char* why);

  tcp::socket socket_;
  boost::asio::io_context::executor_type strand_;
  write_batcher& batcher_;
  const sse_settings& settings_;
  net_counters& counters_;
  std::string remote_;
  stream_queue out_;
  /// Set by start(), dropped when finished (breaks the cycle with it).
  std::shared_ptr<transport_user> user_;
  // I/O thread only.
  std::vector<wire_bytes> writing_;
  std::vector<boost::asio::const_buffer> buffers_;
  bool writing_now_ = false;
  bool ending_ = false;
  bool finished_ = false;
  const char* end_why_ = "ended";
  std::unique_ptr<boost::asio::steady_timer> end_timer_;
};

/// The open streams of the server, for the keep-alive sweep: one timer for
/// all of them instead of one per stream. Holds weak references only; the
/// list is compacted as streams end, so it stays within twice the open
/// streams plus a constant. Thread-safe.
class sse_streams {
public:
  void add(const std::shared_ptr<sse_transport>& s);

  /// Queues a keep-alive on every open stream; returns how many.
  std::size_t keep_alive_all();

  /// Entries held (open streams and ended ones not compacted yet).
  std::size_t size() const;

private:
  void compact_locked();

  mutable std::mutex mtx_;
  std::vector<std::weak_ptr<sse_transport>> streams_;
  std::size_t compact_at_ = 64;
};

} // namespace h2h::net
