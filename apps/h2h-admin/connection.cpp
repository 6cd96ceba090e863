// The admin port's client side over plain POSIX sockets: every wait is a
// poll() with a deadline, so that nothing hangs on a silent node.
#include "connection.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <algorithm>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace h2h::admin {

namespace {

using clock = std::chrono::steady_clock;

int ms_left(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - clock::now())
                .count();
  return left < 0 ? 0 : static_cast<int>(left);
}

/// Connects `fd` (non-blocking) to `addr` before `deadline`; 0 or errno.
int connect_within(int fd, const addrinfo& a, clock::time_point deadline) {
  if (::connect(fd, a.ai_addr, a.ai_addrlen) == 0)
    return 0;
  if (errno != EINPROGRESS)
    return errno;
  for (;;) {
    pollfd p{fd, POLLOUT, 0};
    int n = ::poll(&p, 1, ms_left(deadline));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return ETIMEDOUT;
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    return err;
  }
}

} // namespace

connection::connection(std::string host, std::uint16_t port, std::string token,
                       int connect_timeout_ms)
  : host_(std::move(host))
  , port_(port)
  , token_(std::move(token))
  , connect_timeout_ms_(connect_timeout_ms) {
}

connection::~connection() {
  close();
}

std::string connection::endpoint() const {
  bool v6 = host_.find(':') != std::string::npos;
  return (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
}

void connection::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  in_.clear();
}

std::string connection::open(bool* auth_refused) {
  close();
  if (auth_refused != nullptr)
    *auth_refused = false;
  auto deadline = clock::now() + std::chrono::milliseconds{connect_timeout_ms_};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  auto port = std::to_string(port_);
  if (int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &found);
      rc != 0)
    return "cannot resolve " + host_ + ": " + ::gai_strerror(rc);
  int last = ECONNREFUSED;
  for (auto* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
    int fd
      = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                 a->ai_protocol);
    if (fd < 0) {
      last = errno;
      continue;
    }
    last = connect_within(fd, *a, deadline);
    if (last == 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fd_ = fd;
    } else {
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (fd_ < 0)
    return "cannot connect to " + endpoint() + ": "
           + (last == ETIMEDOUT
                ? std::string{"no answer within "}
                    + std::to_string(connect_timeout_ms_) + " ms"
                : std::string{std::strerror(last)});
  if (token_.empty())
    return {};
  nlohmann::ordered_json auth{{"cmd", "auth"}, {"token", token_}};
  auto r = exchange(auth.dump(), connect_timeout_ms_);
  if (r.what != outcome::status::answered)
    return "connected to " + endpoint() + ", but auth failed: " + r.error;
  auto j = nlohmann::json::parse(r.answer, nullptr, false);
  if (j.is_object() && j.value("ok", false) == true)
    return {};
  close();
  if (auth_refused != nullptr)
    *auth_refused = true;
  std::string why = "no valid answer";
  if (j.is_object() && j.contains("error") && j["error"].is_object())
    why = j["error"].value("code", "") + " " + j["error"].value("message", "");
  return endpoint() + " refused the token: " + why;
}

connection::outcome
connection::exchange(const std::string& request, int timeout_ms,
                     const volatile std::sig_atomic_t* interrupted) {
  outcome out;
  auto fail = [&](outcome::status s, std::string why) {
    close();
    out.what = s;
    out.error = std::move(why);
    return out;
  };
  if (fd_ < 0)
    return fail(outcome::status::dropped, "not connected");
  // The node closes idle connections: find out before sending, so that a
  // command that acts can be sent again on a new connection safely.
  char probe;
  auto peeked = ::recv(fd_, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  if (peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
    return fail(outcome::status::dropped, "the node closed the connection");
  if (peeked > 0 || !in_.empty())
    return fail(outcome::status::dropped,
                "the node sent something nobody asked for");
  auto deadline = clock::now() + std::chrono::milliseconds{timeout_ms};
  auto timeout_text
    = "no answer within " + std::to_string(timeout_ms / 1000) + " s";
  auto wait = [&](short events) -> int {
    for (;;) {
      if (interrupted != nullptr && *interrupted != 0)
        return -2;
      pollfd p{fd_, events, 0};
      // Short slices: a SIGINT that lands just before poll() is seen soon.
      int n = ::poll(&p, 1, std::min(ms_left(deadline), 100));
      if (n > 0)
        return n;
      if (n < 0 && errno != EINTR)
        return -1;
      if (n == 0 && ms_left(deadline) == 0)
        return 0;
    }
  };
  std::string line = request + "\n";
  std::size_t done = 0;
  while (done < line.size()) {
    auto n = ::send(fd_, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return fail(outcome::status::dropped,
                  std::string{"sending failed: "} + std::strerror(errno));
    int w = wait(POLLOUT);
    if (w == -2)
      return fail(outcome::status::interrupted, "interrupted by Ctrl-C");
    if (w == 0)
      return fail(outcome::status::timed_out, timeout_text);
    if (w < 0)
      return fail(outcome::status::dropped, "sending failed");
  }
  out.sent = true;
  for (;;) {
    if (auto eol = in_.find('\n'); eol != std::string::npos) {
      out.what = outcome::status::answered;
      out.answer = in_.substr(0, eol);
      in_.erase(0, eol + 1);
      if (!out.answer.empty() && out.answer.back() == '\r')
        out.answer.pop_back();
      return out;
    }
    if (in_.size() > max_answer_bytes)
      return fail(outcome::status::dropped, "the answer is too long");
    int w = wait(POLLIN);
    if (w == -2)
      return fail(outcome::status::interrupted, "interrupted by Ctrl-C");
    if (w == 0)
      return fail(outcome::status::timed_out, timeout_text);
    char buf[16384];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      in_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      continue;
    return fail(outcome::status::dropped,
                "the node closed the connection before answering");
  }
}

} // namespace h2h::admin
