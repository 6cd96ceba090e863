// One connection of the admin port (private to net/admin/): what the
// listener and its connections share, and the start of a connection.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "net/admin/admin_listener.hpp"

namespace h2h::net {

/// What the listener, its connections and the handler's reply callbacks
/// share. Replies come from other threads: they reach the io_context only
/// through `io`, which stop() clears (under the mutex) before the
/// io_context goes away.
struct admin_state {
  admin_listener_settings settings;
  admin_handler handler;
  /// Connections open (each decrements it when it ends).
  std::atomic<std::size_t> open{0};
  std::mutex mutex;
  boost::asio::io_context* io = nullptr;

  /// settings.now_ms, or the system clock.
  std::int64_t now_ms() const;

  /// True when a token is configured and `given` is it; compared as
  /// digests in constant time: the time taken says nothing about the
  /// token, not even its length.
  bool token_matches(const std::string& given) const;
};

/// The peer's address as text, or "" when the socket has none.
std::string peer_of(const boost::asio::ip::tcp::socket& s);

/// Serves one accepted connection (already counted in st->open) until it
/// ends: reads request lines, answers them in order.
void serve_admin_connection(boost::asio::ip::tcp::socket socket,
                            std::shared_ptr<admin_state> st);

} // namespace h2h::net
