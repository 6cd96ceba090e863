// A WebSocket connection of /message: reads client frames, writes queued
// frames coalesced into as few socket writes as possible, and is the
// client_link of its session actor.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "actors/chat/client_link.hpp"
#include "actors/vocabulary/type_ids.hpp"
#include "actors/chat/session_actor.hpp"
#include "net/server/inbound_gate.hpp"
#include "net/server/io_worker.hpp"
#include "net/protocol/raw_json/json_codec.hpp"
#include "net/server/outbound_queue.hpp"
#include "net/server/registry.hpp"
#include "net/ws/ws_frame.hpp"

namespace h2h::net {

/// Spawns the session actor of a new connection.
using session_factory
  = std::function<session_actor(client_link_ptr, session_identity)>;

/// Limits of one WebSocket connection.
struct ws_settings {
  std::size_t max_frame_bytes = 65536;
  std::size_t outbound_queue_bytes = 1048576;
  /// Decoded frames that may wait for the session actor before reading stops.
  int inbound_window = 32;
  std::chrono::milliseconds close_timeout{2000};
  codec_limits codec;
};

class ws_connection final : public client_link,
                            public closable,
                            public std::enable_shared_from_this<ws_connection> {
public:
  using tcp = boost::asio::ip::tcp;
  /// The executor of the connection's single-threaded io_context: its
  /// handlers never run concurrently.
  using executor_type = boost::asio::io_context::executor_type;

  ws_connection(tcp::socket socket, io_worker& worker,
                const ws_settings& settings, registry& reg,
                net_counters& counters);
  ~ws_connection() override;

  /// Spawns the session and starts reading; `leftover` are bytes that
  /// arrived behind the upgrade request.
  void start(const session_factory& make_session, session_identity identity,
             std::string leftover);

  /// Opens the WebSocket only to say why it cannot stay: an ERROR frame,
  /// then close 1008 (browsers cannot read a refused upgrade's status).
  /// `leftover` as for start() (the client's close may be among them).
  void start_rejected(errc code, std::string message, std::string leftover);

  /// The id start() registered this connection under.
  std::uint64_t registry_id() const {
    return registry_id_;
  }

  // -- client_link (any thread)
  // ------------------------------------------------
  void deliver(const event_batch& batch) override;
  void send_ack(std::string_view room_id, std::string_view client_msg_id,
                std::uint64_t seq) override;
  void send_error(errc code, std::string_view message,
                  std::string_view client_msg_id) override;
  void close(std::uint16_t code, std::string_view reason) override;
  void command_done() override;

  /// Writes what is queued (I/O thread; called by the write batcher).
  void flush();

  // -- closable
  // ----------------------------------------------------------------
  void shutdown() override;
  void abort_now() override;
  void expire() override;
  void end_session() override;

private:
  void enqueue(ws::opcode op, std::shared_ptr<const std::string> payload);
  /// Schedules the write or the 4008 close a push asked for.
  void after_push(outbound_queue::outcome r);

  // Strand only.
  void wait_readable();
  void on_readable(boost::system::error_code ec);
  /// Parses and handles bytes from the peer; false when nothing more may
  /// be read (a violation, the peer's close, or the end).
  bool consume(const std::uint8_t* data, std::size_t size);
  bool handle(ws::message& msg);
  void resume();
  void do_write();
  void drop_written(std::size_t n);
  /// Accounts a finished write; false when nothing may follow (closing).
  bool complete_write(std::size_t bytes);
  void begin_close(std::uint16_t code, std::string reason);
  void finish(const char* why);

  tcp::socket socket_;
  executor_type strand_;
  write_batcher& batcher_;
  const ws_settings& settings_;
  registry& registry_;
  net_counters& counters_;
  std::uint64_t registry_id_ = 0;
  std::string remote_;
  ws::parser parser_;
  session_actor session_;

  // Outbound, shared with actor threads.
  outbound_queue out_;

  // Strand only.
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
