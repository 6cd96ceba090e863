// Many WebSocket client connections on one io_context, behind a Beast-free API.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio {
class io_context;
} // namespace boost::asio

namespace h2h::bench {

/// One server a pool connects to.
struct pool_server {
  std::string host;
  std::string port;
  std::string target = "/";
};

/// Where and how the pool connects.
struct pool_config {
  std::string host;
  std::string port;
  std::string target = "/";
  /// Further servers: with K servers in all (host/port/target above being
  /// the first), connection j goes to server j % K.
  std::vector<pool_server> more_servers;
  /// Server index (into host/port/target, then more_servers) of each
  /// connection; connection j beyond its end goes to server j % K.
  std::vector<std::size_t> placement;
  /// Access tokens; connection j sends tokens[j % size] (none when empty).
  std::vector<std::string> tokens;
  /// False: the tokens are not put in the URL (STOMP sends its own in
  /// CONNECT).
  bool tokens_in_url = true;
  /// Sec-WebSocket-Protocol to ask for (none when empty).
  std::string subprotocol;
  /// Local IPv4 addresses bound round robin (none: the kernel chooses).
  std::vector<std::string> sources;
  /// Connects in flight at once; more would overflow the server's accept
  /// backlog and turn into 1 s SYN retransmits.
  std::size_t max_connecting = 256;
};

/// What a pool reports; every call comes from the io_context's thread.
class pool_events {
public:
  virtual ~pool_events() = default;
  /// The handshake of `conn` completed; it may send now.
  virtual void on_open(std::size_t conn) = 0;
  /// `conn` could not connect or complete its handshake.
  virtual void on_open_failed(std::size_t conn, std::string_view why) = 0;
  /// One text frame; the view is valid only during the call.
  virtual void on_frame(std::size_t conn, std::string_view text) = 0;
  /// The last send of `conn` was written; it may send again.
  virtual void on_sent(std::size_t conn) = 0;
  /// An open connection ended without close_all() (server close, error).
  virtual void on_lost(std::size_t conn, std::string_view why) = 0;
};

/// N client connections: each reads continuously and writes one frame at a
/// time from a buffer it reuses, so steady traffic allocates nothing.
class ws_pool {
public:
  ws_pool(boost::asio::io_context& ioc, pool_config cfg, pool_events& events);
  ~ws_pool();
  ws_pool(const ws_pool&) = delete;
  ws_pool& operator=(const ws_pool&) = delete;

  /// Resolves the host (throws on failure) and starts connecting `count`
  /// connections, numbered 0..count-1, at most max_connecting at a time.
  void open(std::size_t count);

  /// Connects `conn` again, to server `server`, after it was lost or
  /// failed to open (it gets on_open or on_open_failed as at first).
  /// Precondition: `conn` is neither open nor connecting.
  void reopen(std::size_t conn, std::size_t server);

  /// True while a send of `conn` is being written.
  bool busy(std::size_t conn) const;

  /// Writes one text frame (copied). Precondition: open and not busy.
  void send(std::size_t conn, std::string_view text);

  /// Closes every connection politely (close frame, wait for the server's);
  /// calls `done` once all have closed. Connections still connecting are
  /// abandoned. The caller bounds the wait.
  void close_all(std::function<void()> done);

  /// Drops the socket of `conn` without a close frame and without on_lost
  /// (the caller gave up on it and may reopen() it).
  void drop(std::size_t conn);

  /// Drops every socket at once (after a close deadline).
  void abort_all();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace h2h::bench
