// Wire protocol names, kept once per process.
#include "actors/vocabulary/protocol_name.hpp"

#include <deque>
#include <mutex>
#include <string>

namespace h2h {

const char* protocol_name(std::string_view name) {
  if (name.empty())
    return "";
  // A deque keeps its elements where they are as it grows.
  static std::mutex mtx;
  static std::deque<std::string> names;
  std::lock_guard<std::mutex> guard{mtx};
  for (auto& n : names)
    if (n == name)
      return n.c_str();
  if (names.size() >= max_protocol_names)
    return "other";
  return names.emplace_back(name).c_str();
}

} // namespace h2h
