// The session actor's only door to its connection, whatever the transport.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "actors/vocabulary/errors.hpp"
#include "actors/vocabulary/type_ids.hpp"

namespace h2h {

/// Implemented by the network layer for each connection. Every member is
/// thread-safe and never blocks: it posts to the connection's strand.
class client_link {
public:
  virtual ~client_link() = default;

  /// Queues room events for the client, in order.
  virtual void deliver(const event_batch& batch) = 0;

  /// Tells the sender that a message is committed.
  virtual void send_ack(std::string_view room_id,
                        std::string_view client_msg_id, std::uint64_t seq)
    = 0;

  /// Tells the client that one of its frames was refused.
  virtual void send_error(errc code, std::string_view message,
                          std::string_view client_msg_id)
    = 0;

  /// Closes the connection with a WebSocket close code and reason.
  virtual void close(std::uint16_t code, std::string_view reason) = 0;

  /// The session finished one command; the connection may read more.
  virtual void command_done() = 0;
};

using client_link_ptr = std::shared_ptr<client_link>;

} // namespace h2h
