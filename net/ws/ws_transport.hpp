// The WebSocket transport of a client connection: the socket, RFC 6455
// framing, the byte-bounded outbound queue (coalesced into as few socket
// writes as possible), the inbound window and the close handshake.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/protocol/raw_json/json_codec.hpp"
#include "net/transport/inbound_gate.hpp"
#include "net/transport/io_worker.hpp"
#include "net/ws/outbound_queue.hpp"
#include "net/transport/net_counters.hpp"
#include "net/transport/transport.hpp"
#include "net/ws/ws_frame.hpp"
#include "net/ws/ws_settings.hpp"

namespace h2h::net {

/// The close code and default reason of an end of session.
struct ws_close {
  std::uint16_t code;
  const char* reason;
};
ws_close close_of(end_reason why);

class ws_transport final : public transport,
                           public flushable,
                           public batch_client,
                           public std::enable_shared_from_this<ws_transport> {
public:
  using tcp = boost::asio::ip::tcp;
  /// The executor of the connection's single-threaded io_context: its
  /// handlers never run concurrently.
  using executor_type = boost::asio::io_context::executor_type;

  ws_transport(tcp::socket socket, io_worker& worker,
               const ws_settings& settings, net_counters& counters);
  ~ws_transport() override;

  /// Starts reading for `user`; `leftover` are bytes that arrived behind
  /// the upgrade request. With `closing`, the transport starts its close
  /// at once (after what is queued) and reads only to see the peer's.
  void start(std::shared_ptr<transport_user> user, std::string leftover,
             std::optional<end_reason> closing = std::nullopt,
             std::string detail = {});

  // -- transport (any thread)
  void send(const wire_message* msgs, std::size_t n) override;
  void send_lazy(const wire_message* msgs, std::size_t n) override;
  using transport::send;
  void release() override;
  void hold() override {
    gate_.add();
  }
  void end(end_reason why, std::string_view detail = {}) override;
  void abort_now() override;
  const std::string& peer() const override {
    return remote_;
  }

  /// Writes what is queued (I/O thread; called by the write batcher).
  void flush() override;
  void flush_lazy() override;
  void flush_into(send_batch& batch) override;
  void flush_lazy_into(send_batch& batch) override;
  /// The batched write is done (I/O thread; called by the batch).
  void sent(long result) override;

private:
  /// Schedules the write or the 4008 close a push asked for.
  void after_push(outbound_queue::outcome r);
  /// Queues text frames (`lazy`: see transport::send_lazy).
  void push_texts(const wire_message* msgs, std::size_t n, bool lazy);

  // I/O thread only.
  void wait_readable();
  void on_readable(boost::system::error_code ec);
  /// Parses and handles bytes from the peer; false when nothing more may
  /// be read (a violation, the peer's close, or the end).
  bool consume(const std::uint8_t* data, std::size_t size);
  bool handle(ws::message& msg);
  void resume();
  void do_write();
  /// Points buffers_ at the frames of writing_; returns their bytes.
  std::size_t gather();
  /// Writes what the non-blocking socket takes now of `buffers_`, adding to
  /// `done` until `total`; the error that stopped it (would_block: full).
  boost::system::error_code write_now(std::size_t& done, std::size_t total);
  /// Writes the rest of buffers_ once the socket has room.
  void write_rest_async(std::size_t total);
  void drop_written(std::size_t n);
  /// Accounts a finished write; false when nothing may follow (closing).
  bool complete_write(std::size_t bytes);
  void begin_close(std::uint16_t code, std::string reason);
  void finish(const char* why);

  tcp::socket socket_;
  executor_type strand_;
  write_batcher& batcher_;
  const ws_settings& settings_;
  net_counters& counters_;
  std::string remote_;
  ws::parser parser_;
  /// Set by start(), dropped when finished (breaks the cycle with it).
  std::shared_ptr<transport_user> user_;

  // Outbound, shared with actor threads.
  outbound_queue out_;

  // I/O thread only.
  std::vector<out_frame> writing_;
  std::vector<boost::asio::const_buffer> buffers_;
  bool reading_ = false;
  bool close_sent_ = false;
  bool close_written_ = false;
  bool close_received_ = false;
  bool finished_ = false;
  std::unique_ptr<boost::asio::steady_timer> close_timer_;

  // Inbound flow control, shared with the session's thread.
  inbound_gate gate_;
};

} // namespace h2h::net
