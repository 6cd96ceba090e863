// The help texts of h2h-admin, from the command table alone.
#include "help.hpp"

#include <algorithm>
#include <string_view>

#include "command_table.hpp"

namespace h2h::admin {

std::string help_text() {
  std::string out = "Commands (Tab completes; 'help <command>' for one):\n";
  for (auto& c : commands())
    out += "  " + usage(c) + "\n      " + std::string{c.summary} + "\n";
  out += "Ctrl-C cancels the line, Ctrl-D or 'quit' leaves.\n";
  return out;
}

std::string help_text(const command_spec& c) {
  std::string out
    = "usage: " + usage(c) + "\n  " + std::string{c.summary} + "\n\n";
  std::string_view d = c.details;
  while (!d.empty()) {
    auto eol = d.find('\n');
    out += "  " + std::string{d.substr(0, eol)} + "\n";
    d = eol == std::string_view::npos ? std::string_view{} : d.substr(eol + 1);
  }
  if (!c.options.empty()) {
    out += "\noptions:\n";
    std::size_t width = 0;
    for (auto& o : c.options)
      width = std::max(width, o.flag.size() + 1 + o.value_name.size());
    for (auto& o : c.options) {
      auto head = std::string{o.flag} + " " + std::string{o.value_name};
      out += "  " + head + std::string(width - head.size() + 2, ' ')
             + std::string{o.help} + "\n";
    }
  }
  return out;
}

} // namespace h2h::admin
