// Tab completion of h2h-admin: what may stand at a given word.
#include "complete.hpp"

#include <algorithm>

#include "command_table.hpp"
#include "parse.hpp"

namespace h2h::admin {

namespace {

completion_slot for_value(value_kind kind,
                          const std::vector<std::string_view>& choices) {
  completion_slot out;
  switch (kind) {
    case value_kind::room:
      out.ids = id_kind::rooms;
      break;
    case value_kind::member:
      out.ids = id_kind::members;
      break;
    case value_kind::node:
      out.ids = id_kind::nodes;
      break;
    case value_kind::choice:
      for (auto& c : choices)
        out.fixed.emplace_back(c);
      break;
    case value_kind::command:
      for (auto& c : commands())
        out.fixed.emplace_back(c.name);
      break;
    case value_kind::count:
    case value_kind::text:
      break;
  }
  return out;
}

} // namespace

completion_slot slot_at(std::string_view line, std::size_t word_begin) {
  auto words
    = split_words(line.substr(0, std::min(word_begin, line.size())), nullptr);
  if (words.empty()) {
    completion_slot out;
    for (auto& c : commands())
      out.fixed.emplace_back(c.name);
    return out;
  }
  auto* c = find_command(words[0].text);
  if (c == nullptr)
    return {};
  std::size_t next_argument = 0;
  for (std::size_t i = 1; i < words.size(); ++i) {
    auto& w = words[i].text;
    if (next_argument < c->arguments.size()
        && c->arguments[next_argument].kind == value_kind::text)
      return {}; // inside broadcast's text
    if (w.size() > 2 && w.compare(0, 2, "--") == 0) {
      if (w.find('=') != std::string::npos)
        continue;
      for (auto& o : c->options)
        if (o.flag == w) {
          if (i + 1 == words.size())
            return for_value(o.kind, o.choices); // its value comes next
          ++i;
        }
      continue;
    }
    ++next_argument;
  }
  completion_slot out;
  if (next_argument < c->arguments.size()) {
    auto& a = c->arguments[next_argument];
    out = for_value(a.kind, a.choices);
  }
  for (auto& o : c->options) {
    bool used = false;
    for (std::size_t i = 1; i < words.size(); ++i)
      used = used || words[i].text.rfind(std::string{o.flag}, 0) == 0;
    if (!used)
      out.fixed.emplace_back(o.flag);
  }
  return out;
}

std::vector<std::string> matches(const completion_slot& slot,
                                 const std::vector<std::string>& ids,
                                 std::string_view prefix) {
  std::vector<std::string> out;
  auto take = [&](const std::string& s) {
    if (s.compare(0, prefix.size(), prefix) == 0)
      out.push_back(s);
  };
  for (auto& s : slot.fixed)
    take(s);
  if (slot.ids != id_kind::none)
    for (auto& s : ids)
      take(s);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

} // namespace h2h::admin
