// The few STOMP 1.2 frames a load client sends and reads, as plain text
// (the load suites do not link the server's codec).
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace h2h::test {

/// One STOMP frame from the server (one per WebSocket message; no
/// heart-beats: the client offers 0,0).
struct load_stomp_frame {
  std::string command;
  std::map<std::string, std::string> headers;
  std::string body;
};

inline load_stomp_frame parse_load_stomp(const std::string& text) {
  load_stomp_frame f;
  std::size_t pos = 0;
  auto line = [&] {
    auto eol = text.find('\n', pos);
    if (eol == std::string::npos)
      eol = text.size();
    auto l = text.substr(pos, eol - pos);
    pos = std::min(text.size(), eol + 1);
    if (!l.empty() && l.back() == '\r')
      l.pop_back();
    return l;
  };
  f.command = line();
  for (auto h = line(); !h.empty(); h = line()) {
    auto colon = h.find(':');
    if (colon != std::string::npos)
      f.headers.emplace(h.substr(0, colon), h.substr(colon + 1));
    if (pos >= text.size())
      break;
  }
  f.body = text.substr(pos);
  if (auto nul = f.body.find('\0'); nul != std::string::npos)
    f.body.resize(nul);
  return f;
}

inline std::string
load_stomp_text(const std::string& command,
                const std::vector<std::pair<std::string, std::string>>& hs,
                const std::string& body = {}) {
  std::string out = command + "\n";
  for (auto& [k, v] : hs)
    out += k + ":" + v + "\n";
  out += "\n" + body;
  out.push_back('\0');
  return out;
}

} // namespace h2h::test
