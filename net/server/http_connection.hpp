// One HTTP/1.1 connection of the public port: requests go to the handler,
// a WebSocket upgrade of a path in the upgrade table, or a GET of a stream
// path in it (SSE), becomes a connection of that entry's transport and
// protocol.
#pragma once

#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>

#include "net/http/http_types.hpp"
#include "net/transport/io_worker.hpp"
#include "net/server/registry.hpp"
#include "net/server/server_context.hpp"
#include "net/server/upgrade_table.hpp"

namespace h2h::net {

class http_connection final
  : public closable,
    public std::enable_shared_from_this<http_connection> {
public:
  http_connection(boost::asio::ip::tcp::socket socket, server_context& ctx,
                  io_worker& worker);

  void start();

  void shutdown() override;
  void abort_now() override;

private:
  void do_read();
  void on_read(boost::system::error_code ec);
  /// Picks the body limit by route once the header is in.
  void on_header(boost::system::error_code ec);
  void respond(http_response res);
  void upgrade(http_request req);
  /// The node's and the client address's connection limits, checked before
  /// a request becomes a WebSocket or a stream; false: refused (answered).
  bool admit_long_lived(const http_request& req);
  void complete_upgrade(std::string accept, const upgrade_match& match,
                        ws_auth auth);
  // A GET of a stream path (SSE): the connection becomes the stream
  // (http_stream.cpp).
  void open_stream(http_request req, const upgrade_entry& entry);
  void complete_stream(const http_request& req, const upgrade_entry& entry,
                       ws_auth auth);
  void finish();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<
    boost::beast::http::request_parser<boost::beast::http::string_body>>
    parser_;
  server_context& ctx_;
  io_worker& worker_;
  std::uint64_t registry_id_ = 0;
  /// The socket's peer, and the client of the current request (the peer,
  /// or the address a trusted proxy forwarded).
  ip_bytes peer_ip_{};
  ip_bytes client_ip_{};
  request_meta meta_;
  /// The request being answered is a HEAD: its response has no body.
  bool head_ = false;
  bool busy_ = false;
  bool stopping_ = false;
  bool finished_ = false;
};

} // namespace h2h::net
