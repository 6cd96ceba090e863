// h2h-admin: the admin REPL of h2h (docs/admin.md), interactive at a
// terminal, or one command (-c), or commands piped on stdin.
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <signal.h>
#include <unistd.h>

#include "cli_options.hpp"
#include "h2h_version.hpp"
#include "parse.hpp"
#include "repl.hpp"
#include "runner.hpp"

extern char** environ;

namespace {

using namespace h2h::admin;

std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos)
      out.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return out;
}

/// Connects before the first command, so that a node that is not there is
/// one clear message and status 2, not one failure per command.
bool connect_first(runner& r) {
  bool refused = false;
  auto why = r.conn().open(&refused);
  if (why.empty())
    return true;
  std::cerr << "h2h-admin: " << why << '\n';
  if (!refused)
    std::cerr << "h2h-admin: is h2hd running there? Its admin port is "
                 "admin.bind:admin.port (see --host, --port).\n";
  return false;
}

int run_stdin(runner& r) {
  bool failed = false;
  std::string line;
  for (std::size_t n = 1; std::getline(std::cin, line); ++n) {
    auto res
      = r.run(line, std::cout, std::cerr, "line " + std::to_string(n) + ": ");
    failed = failed || !res.ok;
    if (res.quit)
      break;
  }
  return failed ? exit_command_failed : exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  auto o = parse_cli({argv + 1, argv + argc}, environment());
  if (!o.error.empty()) {
    std::cerr << "h2h-admin: " << o.error << "\n"
              << "Run 'h2h-admin --help' for the options.\n";
    return exit_usage;
  }
  if (o.show_help) {
    std::cout << cli_help_text();
    return exit_ok;
  }
  if (o.show_version) {
    std::cout << "h2h-admin " << H2H_VERSION << '\n';
    return exit_ok;
  }
  runner r{o};
  if (o.command) {
    // `help` needs no node.
    if (parse_line(*o.command).what == parsed_line::kind::request
        && !connect_first(r))
      return exit_usage;
    auto res = r.run(*o.command, std::cout, std::cerr);
    return res.ok ? exit_ok : exit_command_failed;
  }
  if (!connect_first(r))
    return exit_usage;
  if (::isatty(STDIN_FILENO))
    return run_repl(r);
  return run_stdin(r);
}
