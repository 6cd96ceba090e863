// A plain HTTP client reading a Server-Sent Events stream.
#include "sse_client.hpp"

#include <stdexcept>

namespace h2h::test {

sse_client::sse_client(std::uint16_t port, const std::string& target,
                       const std::map<std::string, std::string>& headers,
                       int receive_buffer_bytes, bool read_head_now)
  : raw_conn(port, receive_buffer_bytes) {
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Accept: text/event-stream\r\n";
  for (auto& [k, v] : headers)
    req += k + ": " + v + "\r\n";
  req += "\r\n";
  send(req);
  if (read_head_now)
    read_head();
}

void sse_client::read_head(ms timeout) {
  head_ = read_response(false, timeout);
  auto sp = head_.find(' ');
  status_ = sp == std::string::npos ? 0 : std::stoi(head_.substr(sp + 1, 3));
}

std::string sse_client::body() const {
  auto end = head_.find("\r\n\r\n");
  return end == std::string::npos ? std::string{} : head_.substr(end + 4);
}

std::optional<sse_event> sse_client::next(ms timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t end;
  while ((end = in_.find("\n\n")) == std::string::npos)
    if (!fill(deadline))
      return std::nullopt;
  auto block = in_.substr(0, end + 1);
  in_.erase(0, end + 2);
  sse_event ev;
  std::size_t pos = 0;
  while (pos < block.size()) {
    auto nl = block.find('\n', pos);
    auto line = block.substr(pos, nl - pos);
    pos = nl + 1;
    auto field = [&](const char* name, std::string& out) {
      std::string prefix = std::string{name} + ": ";
      if (line.rfind(prefix, 0) != 0)
        return false;
      out += line.substr(prefix.size());
      return true;
    };
    if (line.rfind(":", 0) == 0) {
      ev.comment = line.size() > 2 ? line.substr(2) : std::string{};
      continue;
    }
    if (!field("id", ev.id) && !field("event", ev.event)
        && !field("data", ev.data))
      throw std::runtime_error("unexpected line in the stream: " + line);
  }
  return ev;
}

std::optional<sse_event> sse_client::next_event(ms timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<ms>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return std::nullopt;
    auto ev = next(left);
    if (!ev || !ev->is_comment())
      return ev;
  }
}

} // namespace h2h::test
