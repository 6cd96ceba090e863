// A small real HTTP/1.1 server on 127.0.0.1:0 for the push tests (POSIX
// sockets, a thread per connection, keep-alive, Content-Length bodies).
#include "fake_http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace h2h::test {

namespace {

/// Bounds: a test never needs more.
constexpr std::size_t max_connections = 256;
constexpr std::size_t max_request_bytes = 1 << 20;

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

} // namespace

struct fake_http_server::impl {
  handler answer;
  int listen_fd = -1;
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<bool> keep{true};
  std::thread acceptor;
  mutable std::mutex mtx;
  mutable std::condition_variable changed;
  std::vector<http_request> seen;
  std::vector<std::thread> connections;
  int concurrent = 0;
  int max_concurrent = 0;

  /// Waits until `fd` is readable; false when stopping or on error.
  bool readable(int fd) {
    while (!stopping) {
      pollfd p{fd, POLLIN, 0};
      int rc = ::poll(&p, 1, 50);
      if (rc > 0)
        return true;
      if (rc < 0)
        return false;
    }
    return false;
  }

  void serve(int fd) {
    std::string buf;
    char chunk[4096];
    for (;;) {
      std::size_t head_end;
      while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (buf.size() > max_request_bytes || !readable(fd))
          return;
        auto n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0)
          return;
        buf.append(chunk, static_cast<std::size_t>(n));
      }
      http_request req;
      auto head = buf.substr(0, head_end);
      std::size_t pos = head.find("\r\n");
      auto line = head.substr(0, pos);
      auto sp1 = line.find(' ');
      auto sp2 = line.find(' ', sp1 + 1);
      req.method = line.substr(0, sp1);
      req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      while (pos != std::string::npos && pos < head.size()) {
        auto next = head.find("\r\n", pos + 2);
        auto h
          = head.substr(pos + 2, next == std::string::npos ? std::string::npos
                                                           : next - pos - 2);
        if (auto colon = h.find(':'); colon != std::string::npos)
          req.headers[lower(h.substr(0, colon))] = trim(h.substr(colon + 1));
        pos = next;
      }
      std::size_t len = 0;
      if (auto it = req.headers.find("content-length"); it != req.headers.end())
        len = std::stoul(it->second);
      if (len > max_request_bytes)
        return;
      buf.erase(0, head_end + 4);
      while (buf.size() < len) {
        if (!readable(fd))
          return;
        auto n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0)
          return;
        buf.append(chunk, static_cast<std::size_t>(n));
      }
      req.body = buf.substr(0, len);
      buf.erase(0, len);
      req.at = std::chrono::steady_clock::now();
      {
        std::lock_guard<std::mutex> guard{mtx};
        if (keep.load(std::memory_order_relaxed))
          seen.push_back(req);
        max_concurrent = std::max(max_concurrent, ++concurrent);
      }
      changed.notify_all();
      auto res = answer(req);
      if (res.delay.count() > 0)
        std::this_thread::sleep_for(res.delay);
      {
        std::lock_guard<std::mutex> guard{mtx};
        --concurrent;
      }
      std::string out = "HTTP/1.1 " + std::to_string(res.status) + " "
                        + reason(res.status) + "\r\n";
      for (auto& [k, v] : res.headers)
        out += k + ": " + v + "\r\n";
      out += "Content-Length: " + std::to_string(res.body.size()) + "\r\n\r\n";
      out += res.body;
      std::size_t sent = 0;
      while (sent < out.size()) {
        auto n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n <= 0)
          return;
        sent += static_cast<std::size_t>(n);
      }
    }
  }

  void accept_loop() {
    while (readable(listen_fd)) {
      int fd = ::accept(listen_fd, nullptr, nullptr);
      if (fd < 0)
        continue;
      std::lock_guard<std::mutex> guard{mtx};
      if (connections.size() >= max_connections) {
        ::close(fd);
        continue;
      }
      connections.emplace_back([this, fd] {
        serve(fd);
        ::close(fd);
      });
    }
  }
};

fake_http_server::fake_http_server(handler h)
  : impl_(std::make_unique<impl>()) {
  impl_->answer = std::move(h);
  impl_->listen_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (impl_->listen_fd < 0)
    throw std::runtime_error("socket failed");
  int one = 1;
  ::setsockopt(impl_->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(impl_->listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr))
        != 0
      || ::listen(impl_->listen_fd, 128) != 0)
    throw std::runtime_error("bind/listen failed");
  socklen_t len = sizeof(addr);
  ::getsockname(impl_->listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  impl_->port = ntohs(addr.sin_port);
  impl_->acceptor = std::thread{[p = impl_.get()] { p->accept_loop(); }};
}

fake_http_server::~fake_http_server() {
  impl_->stopping = true;
  impl_->acceptor.join();
  std::vector<std::thread> conns;
  {
    std::lock_guard<std::mutex> guard{impl_->mtx};
    conns.swap(impl_->connections);
  }
  for (auto& t : conns)
    t.join();
  ::close(impl_->listen_fd);
}

std::uint16_t fake_http_server::port() const {
  return impl_->port;
}

std::string fake_http_server::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

std::vector<http_request> fake_http_server::requests() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->seen;
}

std::vector<http_request>
fake_http_server::requests_to(const std::string& prefix) const {
  std::vector<http_request> out;
  for (auto& r : requests())
    if (r.target.rfind(prefix, 0) == 0)
      out.push_back(r);
  return out;
}

int fake_http_server::max_concurrent() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->max_concurrent;
}

void fake_http_server::keep_requests(bool keep) {
  impl_->keep.store(keep, std::memory_order_relaxed);
}

bool fake_http_server::wait_for(
  const std::function<bool(const std::vector<http_request>&)>& pred,
  std::chrono::milliseconds limit) const {
  std::unique_lock<std::mutex> lock{impl_->mtx};
  return impl_->changed.wait_for(lock, limit,
                                 [&] { return pred(impl_->seen); });
}

} // namespace h2h::test
