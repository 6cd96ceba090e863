// A real WebSocket client (Boost.Beast) for integration tests: every call
// is bounded in time.
#include "ws_client.hpp"

#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace h2h::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;

struct ws_client::impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  std::deque<std::string> inbox;
  bool reading = false;
  bool is_closed = false;
  std::optional<std::uint16_t> close_code;

  void start_read() {
    if (reading || is_closed)
      return;
    reading = true;
    ws.async_read(buffer, [this](error_code ec, std::size_t) {
      reading = false;
      if (ec) {
        is_closed = true;
        // Set whenever a close frame arrived, even if answering it failed.
        if (ws.reason().code != websocket::close_code::none)
          close_code = static_cast<std::uint16_t>(ws.reason().code);
        return;
      }
      inbox.emplace_back(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
      start_read();
    });
  }

  /// Runs the event loop until `done()` or the timeout.
  template <class Pred>
  bool run_until(Pred done, ms timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline)
        return false;
      ioc.restart();
      ioc.run_one_for(deadline - now);
    }
    return true;
  }
};

ws_client::ws_client(std::uint16_t port, ws_options options)
  : impl_(std::make_unique<impl>()) {
  auto receive_buffer_bytes = options.receive_buffer_bytes;
  auto headers = std::move(options.headers);
  auto target = std::move(options.target);
  auto host = std::move(options.host);
  auto& sock = beast::get_lowest_layer(impl_->ws).socket();
  sock.open(asio::ip::tcp::v4());
  if (receive_buffer_bytes > 0)
    sock.set_option(
      asio::socket_base::receive_buffer_size{receive_buffer_bytes});
  bool done = false;
  error_code result;
  beast::get_lowest_layer(impl_->ws).expires_after(std::chrono::seconds{10});
  beast::get_lowest_layer(impl_->ws).async_connect(
    asio::ip::tcp::endpoint{asio::ip::make_address(host), port},
    [&](error_code ec) {
      result = ec;
      done = true;
    });
  impl_->run_until([&] { return done; }, ms{10000});
  if (!done || result)
    throw std::runtime_error("connect failed: " + result.message());
  impl_->ws.set_option(
    websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (auto& [k, v] : headers)
        req.set(k, v);
    }));
  impl_->ws.read_message_max(64 * 1024 * 1024);
  done = false;
  impl_->ws.async_handshake(host, target, [&](error_code ec) {
    result = ec;
    done = true;
  });
  impl_->run_until([&] { return done; }, ms{10000});
  if (!done || result)
    throw std::runtime_error("handshake failed: " + result.message());
  beast::get_lowest_layer(impl_->ws).expires_never();
  if (options.read_at_once)
    impl_->start_read();
}

ws_client::~ws_client() {
  if (!impl_->is_closed) {
    error_code ec;
    beast::get_lowest_layer(impl_->ws).socket().close(ec);
  }
  impl_->ioc.restart();
  impl_->ioc.poll();
}

bool ws_client::send(const std::string& text, ms timeout) {
  if (impl_->is_closed)
    return false;
  impl_->ws.text(true);
  bool done = false;
  error_code result;
  impl_->ws.async_write(asio::buffer(text), [&](error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  return impl_->run_until([&] { return done; }, timeout) && !result;
}

bool ws_client::send_binary(const std::string& bytes, ms timeout) {
  if (impl_->is_closed)
    return false;
  impl_->ws.binary(true);
  bool done = false;
  error_code result;
  impl_->ws.async_write(asio::buffer(bytes), [&](error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  auto ok = impl_->run_until([&] { return done; }, timeout) && !result;
  impl_->ws.text(true);
  return ok;
}

std::optional<std::string> ws_client::recv(ms timeout) {
  impl_->start_read();
  impl_->run_until([&] { return !impl_->inbox.empty() || impl_->is_closed; },
                   timeout);
  if (impl_->inbox.empty())
    return std::nullopt;
  auto out = std::move(impl_->inbox.front());
  impl_->inbox.pop_front();
  return out;
}

nlohmann::json ws_client::recv_json(ms timeout) {
  auto text = recv(timeout);
  if (!text)
    throw std::runtime_error(
      impl_->is_closed ? "connection closed" : "timed out waiting for a frame");
  return nlohmann::json::parse(*text);
}

std::optional<nlohmann::json>
ws_client::recv_where(const std::function<bool(const nlohmann::json&)>& pred,
                      ms timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<ms>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return std::nullopt;
    auto text = recv(left);
    if (!text)
      return std::nullopt;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_discarded() && pred(j))
      return j;
  }
}

std::optional<std::uint16_t> ws_client::wait_closed(ms timeout) {
  impl_->start_read();
  impl_->run_until(
    [&] {
      impl_->inbox.clear();
      return impl_->is_closed;
    },
    timeout);
  return impl_->close_code;
}

void ws_client::close(std::uint16_t code) {
  if (impl_->is_closed)
    return;
  bool done = false;
  impl_->ws.async_close(websocket::close_reason{code},
                        [&](error_code) { done = true; });
  impl_->run_until([&] { return done; }, ms{5000});
  impl_->run_until([&] { return impl_->is_closed; }, ms{5000});
}

bool ws_client::closed() const {
  return impl_->is_closed;
}

ws_options with_query_token(const std::string& token) {
  ws_options o;
  o.target = "/message?access_token=" + token;
  return o;
}

ws_options with_header_token(const std::string& token) {
  ws_options o;
  o.headers["Authorization"] = "Bearer " + token;
  return o;
}

std::optional<nlohmann::json> next_error(ws_client& c,
                                         std::chrono::milliseconds timeout) {
  return c.recv_where(
    [](const nlohmann::json& j) { return j.value("type", "") == "ERROR"; },
    timeout);
}

nlohmann::json enter_frame(const std::string& room, const std::string& sender,
                           std::int64_t last_seq) {
  nlohmann::json j{
    {"type", "ENTER"}, {"roomId", room}, {"sender", sender}, {"message", ""}};
  if (last_seq >= 0)
    j["lastSeq"] = last_seq;
  return j;
}

nlohmann::json message_frame(const std::string& room, const std::string& sender,
                             const std::string& text,
                             const std::string& client_msg_id) {
  nlohmann::json j{{"type", "MESSAGE"},
                   {"roomId", room},
                   {"sender", sender},
                   {"message", text}};
  if (!client_msg_id.empty())
    j["clientMsgId"] = client_msg_id;
  return j;
}

nlohmann::json exit_frame(const std::string& room, const std::string& sender) {
  return {
    {"type", "EXIT"}, {"roomId", room}, {"sender", sender}, {"message", ""}};
}

} // namespace h2h::test
