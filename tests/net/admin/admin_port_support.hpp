// What the admin port's listener tests share: a line client on any
// address, a fake admin actor, a listener on port 0, a non-loopback address
// of this machine.
#pragma once

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "net/admin/admin_listener.hpp"

namespace h2h::test {

using h2h::admin_node;
using h2h::admin_reply;
using h2h::admin_request;
using h2h::net::admin_listener;
using h2h::net::admin_listener_settings;
using h2h::net::admin_reply_fn;
using json = nlohmann::json;
using namespace std::chrono_literals;

inline const std::string token = "the-admin-token-0123456789";

/// A line client on any address; every call bounded in time.
class line_client {
public:
  line_client(const std::string& address, std::uint16_t port) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      len = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      len = sizeof(sockaddr_in6);
    } else {
      throw std::runtime_error("bad address " + address);
    }
    fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      if (fd_ >= 0)
        ::close(fd_);
      throw std::runtime_error("connect to " + address + " failed");
    }
  }

  ~line_client() {
    ::close(fd_);
  }

  void send(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      auto n
        = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0)
        throw std::runtime_error("send failed");
      done += static_cast<std::size_t>(n);
    }
  }

  /// Ends the sending side (what `nc` does at the end of its input).
  void shutdown_write() {
    ::shutdown(fd_, SHUT_WR);
  }

  /// The next line (without '\n'); "" when the peer closed or the time
  /// ran out first (closed() tells which).
  std::string line(std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t eol;
    while ((eol = in_.find('\n')) == std::string::npos)
      if (!fill(deadline))
        return {};
    auto out = in_.substr(0, eol);
    in_.erase(0, eol + 1);
    return out;
  }

  json answer(std::chrono::milliseconds timeout = 5s) {
    auto text = line(timeout);
    if (text.empty())
      return json{{"no answer", closed_ ? "closed" : "timeout"}};
    return json::parse(text);
  }

  bool closed_within(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fill(deadline)) {
    }
    return closed_;
  }

  bool closed() const {
    return closed_;
  }

  const std::string& pending() const {
    return in_;
  }

private:
  bool fill(std::chrono::steady_clock::time_point deadline) {
    if (closed_)
      return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, left.count() < 0 ? 0 : static_cast<int>(left.count()))
        <= 0)
      return false;
    char buf[65536];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    in_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string in_;
  bool closed_ = false;
};

/// Waits (bounded) until `pred` holds.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 400 && !pred(); ++i)
    std::this_thread::sleep_for(5ms); // the listener's thread works
  return pred();
}

/// A fake admin actor: answers `nodes` with one node, `rooms` after
/// `limit` ms from a thread of its own, keeps the reply of `member`
/// (never answers it), throws on `close`; records every request.
struct fake_handler {
  std::mutex mutex;
  std::vector<admin_request> seen;
  std::vector<admin_reply_fn> kept;
  std::vector<std::thread> threads;

  ~fake_handler() {
    for (auto& t : threads)
      t.join();
  }

  std::size_t count() {
    std::lock_guard<std::mutex> g{mutex};
    return seen.size();
  }

  void operator()(admin_request req, admin_reply_fn reply) {
    std::lock_guard<std::mutex> g{mutex};
    seen.push_back(req);
    admin_reply r;
    if (req.command == "member") {
      kept.push_back(std::move(reply));
      return;
    }
    if (req.command == "close")
      throw std::runtime_error("the fake cannot close rooms");
    if (req.command == "rooms") {
      threads.emplace_back([reply, delay = req.limit] {
        std::this_thread::sleep_for(std::chrono::milliseconds{delay});
        reply(admin_reply{});
      });
      return;
    }
    if (req.command == "nodes")
      r.nodes = {admin_node{"n1", "127.0.0.1:4242", 1000, 2, 3}};
    reply(std::move(r));
  }
};

inline admin_listener_settings local(std::string bind = "127.0.0.1") {
  admin_listener_settings s;
  s.bind = std::move(bind);
  s.port = 0;
  s.timeout = 2s;
  s.idle_timeout = 10s;
  s.node_id = "n1";
  s.now_ms = [] { return std::int64_t{61'000}; };
  return s;
}

struct listening {
  fake_handler fake;
  admin_listener listener;
  std::uint16_t port = 0;
  explicit listening(admin_listener_settings s)
    : listener(std::move(s), [this](admin_request r, admin_reply_fn f) {
      fake(std::move(r), std::move(f));
    }) {
    port = listener.listen();
    listener.start();
  }
};

/// An IPv4 address of this machine that is not loopback ("" if none).
inline std::string non_loopback_address() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0)
    return {};
  std::string out;
  for (auto* i = list; i != nullptr && out.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET
        || (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
      continue;
    char buf[INET_ADDRSTRLEN];
    auto* a = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
    if (inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf) != nullptr)
      out = buf;
  }
  ::freeifaddrs(list);
  return out;
}

inline std::string code_of(const json& answer) {
  return answer.contains("error") ? answer["error"]["code"].get<std::string>()
                                  : std::string{};
}

} // namespace h2h::test
