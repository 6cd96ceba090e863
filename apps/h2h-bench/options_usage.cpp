// Usage text of h2h-bench's subcommands, generated from their option tables.
#include <sstream>

#include "options.hpp"

namespace h2h::bench {

std::string usage(std::string_view command, std::string_view summary,
                  const std::vector<option_spec>& specs) {
  std::ostringstream os;
  std::string line = "usage: h2h-bench " + std::string{command};
  const std::string indent(line.size(), ' ');
  for (auto& s : specs) {
    std::string item = std::string{s.required ? "" : "["} + std::string{s.name};
    if (!s.value.empty())
      item += " " + std::string{s.value};
    item += s.required ? "" : "]";
    if (line.size() + 1 + item.size() > 78) { // wrap the synopsis
      os << line << '\n';
      line = indent;
    }
    line += " " + item;
  }
  os << line << "\n\n" << summary << "\n\noptions:\n";
  for (auto& s : specs) {
    std::string head = "  " + std::string{s.name};
    if (!s.value.empty())
      head += " " + std::string{s.value};
    os << head;
    if (head.size() < 28)
      os << std::string(28 - head.size(), ' ');
    else
      os << "\n" << std::string(28, ' ');
    // Word-wrap the help to 78 columns under its own column.
    std::istringstream words{std::string{s.help}
                             + (s.required ? " (required)" : "")};
    std::size_t col = 28;
    std::string word;
    bool first = true;
    while (words >> word) {
      if (!first && col + 1 + word.size() > 78) {
        os << '\n' << std::string(28, ' ');
        col = 28;
        first = true;
      }
      os << (first ? "" : " ") << word;
      col += word.size() + (first ? 0 : 1);
      first = false;
    }
    os << '\n';
  }
  os << "\nExit codes: 0 completed run, 1 connection failures or incomplete "
        "run, 2 bad arguments.\n";
  return os.str();
}

} // namespace h2h::bench
