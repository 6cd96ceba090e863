// A blocking HTTP GET for h2h-bench's questions before and after a run.
#include "http_get.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace h2h::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::optional<http_answer>
http_get(const std::string& host, const std::string& port,
         const std::string& target, std::chrono::milliseconds limit,
         std::string& error, const std::string& bearer) {
  // Asynchronous steps under one run_for: tcp_stream's timeout does not
  // bound the synchronous calls.
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host + ":" + port);
  req.set(http::field::user_agent, "h2h-bench");
  if (!bearer.empty())
    req.set(http::field::authorization, "Bearer " + bearer);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  bool done = false;
  try {
    asio::ip::tcp::resolver resolver{ioc};
    auto where = resolver.resolve(host, port);
    stream.expires_after(limit);
    stream.async_connect(where, [&](beast::error_code ec, auto&&) {
      if (ec) {
        error = "connect: " + ec.message();
        return;
      }
      http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
        if (ec) {
          error = "write: " + ec.message();
          return;
        }
        http::async_read(stream, buf, res,
                         [&](beast::error_code ec, std::size_t) {
                           if (ec)
                             error = "read: " + ec.message();
                           else
                             done = true;
                         });
      });
    });
    ioc.run_for(limit + std::chrono::milliseconds{100});
  } catch (const std::exception& e) {
    error = e.what();
    return std::nullopt;
  }
  if (!done) {
    if (error.empty())
      error = "no answer within " + std::to_string(limit.count()) + " ms";
    return std::nullopt;
  }
  return http_answer{static_cast<int>(res.result_int()), std::move(res.body())};
}

} // namespace h2h::bench
