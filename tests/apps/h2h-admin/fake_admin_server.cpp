// The fake admin port: one connection at a time, polled in short slices
// so that the destructor stops it promptly.
#include "fake_admin_server.hpp"

#include <algorithm>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace h2h::test {

fake_admin_server::fake_admin_server() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (listen_fd_ < 0
      || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0
      || ::listen(listen_fd_, 8) != 0
      || ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("fake admin server: cannot listen");
  port_ = ntohs(a.sin_port);
  thread_ = std::thread{[this] { serve(); }};
}

fake_admin_server::~fake_admin_server() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

void fake_admin_server::answer(const std::string& cmd,
                               const std::string& line) {
  std::lock_guard<std::mutex> guard{mutex_};
  answers_[cmd] = line;
}

void fake_admin_server::never_answer(const std::string& cmd) {
  std::lock_guard<std::mutex> guard{mutex_};
  silent_.push_back(cmd);
}

void fake_admin_server::hang_up_after(const std::string& cmd) {
  std::lock_guard<std::mutex> guard{mutex_};
  hang_ups_.push_back(cmd);
}

void fake_admin_server::drop_next(int n) {
  std::lock_guard<std::mutex> guard{mutex_};
  drops_ = n;
}

std::vector<std::string> fake_admin_server::received() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return received_;
}

std::vector<std::string> fake_admin_server::commands() const {
  std::vector<std::string> out;
  for (auto& line : received()) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    out.push_back(j.is_object() && j.contains("cmd") && j["cmd"].is_string()
                    ? j["cmd"].get<std::string>()
                    : "?");
  }
  return out;
}

bool fake_admin_server::wait_received(std::size_t n,
                                      std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (received().size() < n) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    ::poll(nullptr, 0, 10);
  }
  return true;
}

bool fake_admin_server::wait_closed(int n,
                                    std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (closed_ < n) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    ::poll(nullptr, 0, 10);
  }
  return true;
}

void fake_admin_server::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0)
      continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0)
      continue;
    ++connections_;
    serve_connection(fd);
    ::close(fd);
    ++closed_;
  }
}

void fake_admin_server::serve_connection(int fd) {
  std::string in;
  while (!stop_) {
    auto eol = in.find('\n');
    if (eol == std::string::npos) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0)
        continue;
      char buf[4096];
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0)
        return;
      in.append(buf, static_cast<std::size_t>(n));
      if (in.size() > 1024 * 1024)
        return;
      continue;
    }
    auto line = in.substr(0, eol);
    in.erase(0, eol + 1);
    auto j = nlohmann::json::parse(line, nullptr, false);
    std::string cmd = j.is_object() && j.contains("cmd") && j["cmd"].is_string()
                        ? j["cmd"].get<std::string>()
                        : "";
    std::string reply;
    bool hang_up = false;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      received_.push_back(line);
      if (drops_ > 0) {
        --drops_;
        return;
      }
      if (std::find(silent_.begin(), silent_.end(), cmd) != silent_.end())
        continue;
      hang_up
        = std::find(hang_ups_.begin(), hang_ups_.end(), cmd) != hang_ups_.end();
      auto it = answers_.find(cmd);
      if (it != answers_.end())
        reply = it->second;
      else if (cmd == "auth")
        reply = R"({"ok":true,"cmd":"auth"})";
      else
        reply = nlohmann::json{{"ok", false},
                               {"cmd", cmd},
                               {"error",
                                {{"code", "ADMIN_UNKNOWN_COMMAND"},
                                 {"message", "no canned answer"}}}}
                  .dump();
    }
    reply += "\n";
    for (std::size_t done = 0; done < reply.size();) {
      auto n
        = ::send(fd, reply.data() + done, reply.size() - done, MSG_NOSIGNAL);
      if (n <= 0)
        return;
      done += static_cast<std::size_t>(n);
    }
    if (hang_up)
      return;
  }
}

} // namespace h2h::test
