// One connection of the admin port: a request line at a time, the token
// check for non-loopback clients, the handler's answer (or ADMIN_TIMEOUT)
// written before the next line is read, and a close that lets the last
// answer arrive.
#include "net/admin/admin_connection.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "config/admin_settings.hpp"
#include "net/security/crypto.hpp"

namespace h2h::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

std::int64_t admin_state::now_ms() const {
  if (settings.now_ms)
    return settings.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

bool admin_state::token_matches(const std::string& given) const {
  return !settings.token.empty()
         && crypto::equal_constant_time(crypto::sha256_hex(given),
                                        crypto::sha256_hex(settings.token));
}

std::string peer_of(const tcp::socket& s) {
  error_code ec;
  auto ep = s.remote_endpoint(ec);
  return ec ? std::string{} : ep.address().to_string();
}

namespace {

/// One operator's connection: read a line, answer it, read the next.
class admin_connection : public std::enable_shared_from_this<admin_connection> {
public:
  admin_connection(tcp::socket socket, std::shared_ptr<admin_state> st)
    : socket_(std::move(socket))
    , timer_(socket_.get_executor())
    , st_(std::move(st)) {
    peer_ = peer_of(socket_);
    authed_ = config::is_loopback_address(peer_);
  }

  ~admin_connection() {
    st_->open.fetch_sub(1);
  }

  void read() {
    arm(st_->settings.idle_timeout);
    asio::async_read_until(
      socket_, asio::dynamic_buffer(in_, st_->settings.max_line_bytes + 1),
      '\n', [self = shared_from_this()](error_code ec, std::size_t n) {
        self->on_read(ec, n);
      });
  }

private:
  void on_read(error_code ec, std::size_t n) {
    disarm();
    if (ec == asio::error::not_found) {
      // The buffer is full and holds no '\n'.
      answer(render_admin_error("", admin_code::bad_request,
                                "request line longer than "
                                  + std::to_string(st_->settings.max_line_bytes)
                                  + " bytes"),
             true);
      return;
    }
    if (ec == asio::error::eof && !in_.empty()) {
      // `printf '{"cmd":"nodes"}' | nc ...`: the last line may lack its
      // '\n'; answer it, then close.
      eof_ = true;
      std::string line;
      line.swap(in_);
      on_line(line);
      return;
    }
    if (ec) {
      close();
      return;
    }
    std::string line = in_.substr(0, n - 1);
    in_.erase(0, n);
    on_line(line);
  }

  void on_line(const std::string& line) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      if (eof_)
        close();
      else
        read(); // a blank line asks nothing
      return;
    }
    auto parsed = parse_admin_request(line, st_->settings.parse);
    bool is_auth = parsed.ok() && parsed.request.command == "auth";
    if (!authed_ || is_auth) {
      // Only a matching token gets a non-loopback client further; a wrong
      // token closes on loopback too (a script with a stale token learns).
      bool pass = is_auth
                  && (st_->token_matches(parsed.request.text)
                      || (authed_ && st_->settings.token.empty()));
      if (!pass) {
        spdlog::warn("admin port: refused {} ({})", peer_,
                     is_auth ? "wrong token" : "no auth first");
        answer(render_admin_error(parsed.cmd, admin_code::unauthorized,
                                  is_auth ? "wrong token"
                                          : "send {\"cmd\":\"auth\","
                                            "\"token\":...} first"),
               true);
        return;
      }
      authed_ = true;
      answer(render_admin_auth_ok(), false);
      return;
    }
    if (!parsed.ok()) {
      answer(render_admin_error(parsed.cmd, parsed.error, parsed.message),
             false);
      return;
    }
    dispatch(std::move(parsed.request));
  }

  void dispatch(admin_request req) {
    request_ = req;
    waiting_ = true;
    auto id = ++requests_;
    arm(st_->settings.timeout);
    std::weak_ptr<admin_connection> weak = shared_from_this();
    admin_reply_fn reply = [st = st_, weak, id](admin_reply r) {
      std::lock_guard<std::mutex> guard{st->mutex};
      if (st->io == nullptr)
        return; // stopped
      asio::post(*st->io, [weak, id, r = std::move(r)]() mutable {
        if (auto self = weak.lock())
          self->on_reply(id, std::move(r));
      });
    };
    try {
      st_->handler(std::move(req), std::move(reply));
    } catch (const std::exception& e) {
      spdlog::error("admin port: handler failed: {}", e.what());
      refuse_request(id);
    } catch (...) {
      spdlog::error("admin port: handler failed");
      refuse_request(id);
    }
  }

  void refuse_request(std::uint64_t id) {
    admin_reply r;
    r.error = admin_code::unavailable;
    r.message = "the node could not take the request";
    on_reply(id, std::move(r));
  }

  void on_reply(std::uint64_t id, admin_reply r) {
    if (!waiting_ || id != requests_ || closing_)
      return; // late: its request was answered with ADMIN_TIMEOUT
    waiting_ = false;
    disarm();
    answer(
      render_admin_reply(request_, r, {st_->now_ms(), st_->settings.node_id}),
      false);
  }

  void on_deadline() {
    if (closing_) {
      finish(); // the client did not close its side in time
      return;
    }
    if (waiting_) {
      admin_reply r;
      r.error = admin_code::timeout;
      r.message = "no answer within "
                  + std::to_string(st_->settings.timeout.count()) + " ms";
      on_reply(requests_, std::move(r));
      return;
    }
    close(); // idle, or the answer could not be written in time
  }

  /// Writes one answer line; then reads the next request, or closes.
  void answer(std::string line, bool then_close) {
    then_close = then_close || eof_;
    out_ = std::move(line);
    out_ += '\n';
    arm(st_->settings.idle_timeout);
    asio::async_write(
      socket_, asio::buffer(out_),
      [self = shared_from_this(), then_close](error_code ec, std::size_t) {
        self->disarm();
        if (ec || then_close)
          self->close();
        else
          self->read();
      });
  }

  /// One timer for every deadline; `armed_` tells a stale expiry (one
  /// that was already queued when the timer was re-armed) from a live one.
  void arm(std::chrono::milliseconds d) {
    auto id = ++armed_;
    timer_.expires_after(d);
    timer_.async_wait([self = shared_from_this(), id](error_code ec) {
      if (!ec && id == self->armed_)
        self->on_deadline();
    });
  }

  void disarm() {
    ++armed_;
    timer_.cancel();
  }

  /// Sends FIN first and reads what the client still sends for a moment:
  /// closing a socket with unread input sends RST, which can destroy the
  /// answer (e.g. to an over-long line) before the client reads it.
  void close() {
    if (closing_)
      return;
    closing_ = true;
    disarm();
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    arm(std::chrono::milliseconds{1000});
    drain(0);
  }

  /// Reads and drops input until the client closes, 1 s or 1 MiB.
  void drain(std::size_t drained) {
    if (drained > 1024 * 1024) {
      finish();
      return;
    }
    socket_.async_read_some(
      asio::buffer(scratch_),
      [self = shared_from_this(), drained](error_code ec, std::size_t n) {
        if (ec)
          self->finish();
        else
          self->drain(drained + n);
      });
  }

  void finish() {
    ++armed_;
    timer_.cancel();
    error_code ignored;
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  std::shared_ptr<admin_state> st_;
  std::string peer_;
  bool authed_ = false;
  /// The client closed its side: answer what it sent, then close.
  bool eof_ = false;
  std::string in_;
  std::string out_;
  char scratch_[4096];
  admin_request request_;
  bool waiting_ = false;
  std::uint64_t requests_ = 0;
  std::uint64_t armed_ = 0;
  bool closing_ = false;
};

} // namespace

void serve_admin_connection(tcp::socket socket,
                            std::shared_ptr<admin_state> st) {
  std::make_shared<admin_connection>(std::move(socket), std::move(st))->read();
}

} // namespace h2h::net
