// h2h-admin's flags, checked before anything connects.
#include "cli_options.hpp"

#include <charconv>

#include "help.hpp"

namespace h2h::admin {

namespace {

bool to_int(const std::string& s, long long lo, long long hi, long long& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && p == s.data() + s.size()
         && out >= lo && out <= hi;
}

} // namespace

cli_options parse_cli(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env) {
  cli_options o;
  if (auto it = env.find("H2H_ADMIN_TOKEN"); it != env.end())
    o.token = it->second;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool has_value = false;
    if (auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != flag.npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    auto need_value = [&]() {
      if (has_value)
        return true;
      if (i + 1 < args.size()) {
        value = args[++i];
        return true;
      }
      o.error = "option " + flag + " needs a value";
      return false;
    };
    if (flag == "--help" || flag == "-h") {
      o.show_help = true;
    } else if (flag == "--version") {
      o.show_version = true;
    } else if (flag == "--json") {
      o.json = true;
    } else if (flag == "--host") {
      if (!need_value())
        return o;
      if (value.empty()) {
        o.error = "--host needs a host name or address";
        return o;
      }
      o.host = value;
    } else if (flag == "--port" || flag == "-p") {
      long long p = 0;
      if (!need_value())
        return o;
      if (!to_int(value, 1, 65535, p)) {
        o.error = "bad --port '" + value + "': a number from 1 to 65535";
        return o;
      }
      o.port = static_cast<std::uint16_t>(p);
    } else if (flag == "--token") {
      if (!need_value())
        return o;
      o.token = value;
    } else if (flag == "-c") {
      if (!need_value())
        return o;
      o.command = value;
    } else if (flag == "--timeout") {
      long long s = 0;
      if (!need_value())
        return o;
      if (!to_int(value, 1, 3600, s)) {
        o.error = "bad --timeout '" + value + "': seconds from 1 to 3600";
        return o;
      }
      o.answer_timeout_ms = static_cast<int>(s * 1000);
    } else {
      o.error = "unknown option '" + args[i] + "'";
      return o;
    }
  }
  return o;
}

std::string cli_help_text() {
  return "usage: h2h-admin [--host H] [--port P] [--token T] [--timeout S]\n"
         "                 [-c COMMAND] [--json]\n"
         "\n"
         "The admin REPL of h2h: inspects and steers a running node (and, in\n"
         "a cluster, every node) over its admin port (docs/admin.md).\n"
         "\n"
         "  --host H     the node's admin address (default 127.0.0.1)\n"
         "  --port P     the node's admin port, admin.port (default 4243)\n"
         "  --token T    sent first as {\"cmd\":\"auth\"}; needed when the "
         "node\n"
         "               is not on loopback. Default: $H2H_ADMIN_TOKEN "
         "(better\n"
         "               than --token, which other local users can see)\n"
         "  --timeout S  seconds to wait for each answer (default 10)\n"
         "  -c COMMAND   runs one command and leaves\n"
         "  --json       prints each answer line as the node sent it\n"
         "  --help       this text;  --version  the version\n"
         "\n"
         "Without -c, commands come from the terminal (line editing, Tab\n"
         "completion, history in ~/.h2h_admin_history) or, when stdin is not "
         "a\n"
         "terminal, one per line from stdin ('#' starts a comment line).\n"
         "\n"
         "Exit status: 0 every command succeeded; 1 a command failed (an "
         "error\n"
         "answer, an unknown command or bad argument, no answer in time);\n"
         "2 bad flags, or the node cannot be reached or refused the token.\n"
         "\n"
         + help_text();
}

} // namespace h2h::admin
