// A raw blocking TCP client on 127.0.0.1 for tests that must see exactly the
// bytes on the wire.
#include "raw_conn.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <stdexcept>

namespace h2h::test {

raw_conn::raw_conn(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0)
    throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
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

void raw_conn::send(std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0)
      throw std::runtime_error("send failed");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool raw_conn::fill(std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono;
  auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
  pollfd p{fd_, POLLIN, 0};
  if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
    throw std::runtime_error("no answer in time; got: " + buf_);
  char tmp[4096];
  auto n = ::recv(fd_, tmp, sizeof(tmp), 0);
  if (n <= 0)
    return false;
  buf_.append(tmp, static_cast<std::size_t>(n));
  return true;
}

std::string raw_conn::read_response(bool answers_head) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
  std::size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
    if (!fill(deadline))
      throw std::runtime_error("closed before a response head; got: " + buf_);
  auto head_len = end + 4;
  std::size_t body = 0;
  if (!answers_head) {
    auto cl = header_value(buf_.substr(0, head_len), "Content-Length");
    body = cl.empty() ? 0 : std::stoul(cl);
  }
  while (buf_.size() < head_len + body)
    if (!fill(deadline))
      throw std::runtime_error("closed inside a response body; got: " + buf_);
  auto out = buf_.substr(0, head_len + body);
  buf_.erase(0, head_len + body);
  return out;
}

bool raw_conn::closed_within(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  try {
    while (fill(deadline)) {
    }
    return true;
  } catch (const std::runtime_error&) {
    return false;
  }
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
