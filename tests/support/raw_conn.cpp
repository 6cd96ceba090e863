// A raw TCP client on 127.0.0.1 for tests that must see exactly the bytes on
// the wire. Every call is bounded in time.
#include "raw_conn.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <stdexcept>

namespace h2h::test {

namespace {

using clock_type = std::chrono::steady_clock;

int millis_left(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - clock_type::now())
                .count();
  return left < 0 ? 0 : static_cast<int>(left);
}

/// Waits for `events` on `fd` until the deadline; false on timeout.
bool wait_for(int fd, short events, clock_type::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    auto n = ::poll(&p, 1, millis_left(deadline));
    if (n > 0)
      return true;
    if (n == 0)
      return false;
    if (errno != EINTR)
      return false;
  }
}

} // namespace

raw_conn::raw_conn(std::uint16_t port, int receive_buffer_bytes) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    throw std::runtime_error("socket failed");
  if (receive_buffer_bytes > 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes,
                 sizeof(int));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto deadline = clock_type::now() + std::chrono::seconds{10};
  int err = 0;
  socklen_t len = sizeof(err);
  bool connected
    = (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0
       || errno == EINPROGRESS)
      && wait_for(fd_, POLLOUT, deadline)
      && ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
  if (!connected) {
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port)
                             + " failed");
  }
}

raw_conn::~raw_conn() {
  if (fd_ >= 0)
    ::close(fd_);
}

bool raw_conn::send_raw(std::string_view bytes, ms timeout) {
  auto deadline = clock_type::now() + timeout;
  while (!bytes.empty()) {
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd_, POLLOUT, deadline))
        return false;
      continue;
    }
    return false;
  }
  return true;
}

void raw_conn::send(std::string_view bytes) {
  if (!send_raw(bytes))
    throw std::runtime_error("send failed");
}

long raw_conn::try_send(std::string_view bytes) {
  auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (n >= 0)
    return static_cast<long>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    return 0;
  return -1;
}

bool raw_conn::fill(clock_type::time_point deadline) {
  if (eof_)
    return false;
  for (;;) {
    char buf[65536];
    auto n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      in_.append(buf, static_cast<std::size_t>(n));
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      eof_ = true; // reset: the peer is gone just the same
      return false;
    }
    if (!wait_for(fd_, POLLIN, deadline))
      return false;
  }
}

std::string raw_conn::read_response(bool answers_head, ms timeout) {
  auto deadline = clock_type::now() + timeout;
  auto more = [&](const char* where) {
    if (!fill(deadline))
      throw std::runtime_error(
        (eof_ ? std::string{"closed "} + where : "no answer in time")
        + "; got: " + in_);
  };
  std::size_t end;
  while ((end = in_.find("\r\n\r\n")) == std::string::npos)
    more("before a response head");
  auto head_len = end + 4;
  std::size_t body = 0;
  if (!answers_head) {
    auto cl = header_value(in_.substr(0, head_len), "Content-Length");
    body = cl.empty() ? 0 : std::stoul(cl);
  }
  while (in_.size() < head_len + body)
    more("inside a response body");
  auto out = in_.substr(0, head_len + body);
  in_.erase(0, head_len + body);
  return out;
}

bool raw_conn::closed_within(ms timeout) {
  auto deadline = clock_type::now() + timeout;
  while (fill(deadline)) {
  }
  return eof_;
}

std::string header_value(const std::string& response, std::string_view name) {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  auto text = lower(response.substr(0, response.find("\r\n\r\n")));
  auto key = "\r\n" + lower(std::string{name}) + ":";
  auto pos = text.find(key);
  if (pos == std::string::npos)
    return {};
  pos += key.size();
  auto eol = text.find("\r\n", pos);
  if (eol == std::string::npos)
    eol = text.size();
  auto value = response.substr(pos, eol - pos);
  while (!value.empty() && value.front() == ' ')
    value.erase(0, 1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\r'))
    value.pop_back();
  return value;
}

} // namespace h2h::test
