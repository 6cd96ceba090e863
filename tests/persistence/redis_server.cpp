// A redis-server of a test's own, raw RESP commands, test nodes (see
// redis_server.hpp).
#include "redis_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <thread>

namespace h2h::test {

namespace {

using namespace std::chrono;

class socket_fd {
public:
  socket_fd()
    : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0)
      throw std::runtime_error("socket() failed");
  }
  ~socket_fd() {
    ::close(fd_);
  }
  socket_fd(const socket_fd&) = delete;
  socket_fd& operator=(const socket_fd&) = delete;
  int get() const {
    return fd_;
  }

private:
  int fd_;
};

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

std::string encode(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args)
    out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

// One reply line per command sent, in order; bounded by `deadline`.
std::vector<std::string> talk(std::uint16_t port, const std::string& request,
                              std::size_t replies,
                              steady_clock::time_point deadline) {
  socket_fd s;
  auto addr = loopback(port);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("cannot connect to redis on port "
                             + std::to_string(port));
  timeval tv{2, 0};
  ::setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::send(s.get(), request.data(), request.size(), MSG_NOSIGNAL)
      != static_cast<ssize_t>(request.size()))
    throw std::runtime_error("cannot send to redis");
  std::string in;
  std::vector<std::string> lines;
  while (lines.size() < replies) {
    auto eol = in.find("\r\n");
    if (eol != std::string::npos) {
      lines.push_back(in.substr(0, eol));
      in.erase(0, eol + 2);
      continue;
    }
    auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
    pollfd p{s.get(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      throw std::runtime_error("no answer from redis");
    char buf[512];
    auto n = ::recv(s.get(), buf, sizeof buf, 0);
    if (n <= 0)
      throw std::runtime_error("redis closed the connection");
    in.append(buf, static_cast<std::size_t>(n));
  }
  return lines;
}

} // namespace

std::uint16_t free_port() {
  socket_fd s;
  auto addr = loopback(0);
  socklen_t len = sizeof addr;
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0
      || ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("cannot find a free port");
  return ntohs(addr.sin_port);
}

std::string random_prefix() {
  std::random_device rd;
  std::uniform_int_distribution<std::uint64_t> d;
  char buf[32];
  std::snprintf(buf, sizeof buf, "h2htest-%016llx",
                static_cast<unsigned long long>(d(rd)));
  return buf;
}

node_record node(const std::string& id, std::uint16_t cluster_port) {
  node_record r;
  r.id = id;
  r.host = "127.0.0.1";
  r.cluster_port = cluster_port;
  r.public_port = 8080;
  r.admin_port = 8081;
  r.metrics_port = 9100;
  r.started_ms
    = duration_cast<milliseconds>(system_clock::now().time_since_epoch())
        .count();
  return r;
}

bool has(const std::vector<node_record>& nodes, const std::string& id) {
  return std::any_of(nodes.begin(), nodes.end(),
                     [&](const node_record& n) { return n.id == id; });
}

std::string resp_command(std::uint16_t port,
                         const std::vector<std::string>& args,
                         const std::string& password, int db) {
  return resp_pipeline(port, {args}, password, db);
}

std::string resp_pipeline(std::uint16_t port,
                          const std::vector<std::vector<std::string>>& commands,
                          const std::string& password, int db) {
  std::string request;
  std::size_t replies = commands.size();
  if (!password.empty()) {
    request += encode({"AUTH", password});
    ++replies;
  }
  if (db != 0) {
    request += encode({"SELECT", std::to_string(db)});
    ++replies;
  }
  for (const auto& args : commands)
    request += encode(args);
  return talk(port, request, replies, steady_clock::now() + seconds{2}).back();
}

redis_server::redis_server(std::vector<std::string> extra)
  : port_(free_port())
  , extra_(std::move(extra)) {
}

redis_server::~redis_server() {
  kill();
}

void redis_server::start() {
  if (pid_ > 0)
    throw std::runtime_error("redis-server already runs");
  std::vector<std::string> args{
    "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
    "--save",       "",       "--appendonly",        "no",     "--dir",
    dir_.path()};
  args.insert(args.end(), extra_.begin(), extra_.end());
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  auto log = dir_.path() + "/redis.log";
  pid_ = ::fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execvp("redis-server", argv.data());
    ::_exit(127);
  }
  auto deadline = steady_clock::now() + seconds{5};
  while (steady_clock::now() < deadline) {
    try {
      auto reply = talk(port_, encode({"PING"}), 1, deadline).front();
      if (reply == "+PONG" || reply.rfind("-NOAUTH", 0) == 0)
        return;
    } catch (const std::runtime_error&) {
      // not listening yet
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis-server exited at start; see " + log);
    }
    std::this_thread::sleep_for(milliseconds{20});
  }
  kill();
  throw std::runtime_error("redis-server did not answer within 5 s");
}

void redis_server::kill() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void redis_server::pause() {
  if (pid_ > 0)
    ::kill(pid_, SIGSTOP);
}

void redis_server::resume() {
  if (pid_ > 0)
    ::kill(pid_, SIGCONT);
}

} // namespace h2h::test
