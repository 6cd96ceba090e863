// h2h-bench: WebSocket load generator for h2h and the reference peer.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "history.hpp"
#include "proc_stats.hpp"

namespace {

using h2h::bench::command;

/// Every subcommand; a new one is one row here (plus its source file in
/// apps/CMakeLists.txt).
const command commands[] = {
  {"fanout", "room fan-out: throughput, latency, loss, server CPU per delivery",
   h2h::bench::run_fanout},
  {"idle", "idle connections: the server's RSS per open connection",
   h2h::bench::run_idle},
  {"failover",
   "a node killed: its clients reconnect elsewhere with lastSeq and catch up",
   h2h::bench::run_failover},
  {"history", "durable messages/s into a store, batched vs one per commit",
   h2h::bench::run_history},
};

void print_main_usage(std::ostream& os) {
  os
    << "usage: h2h-bench <command> [options]   (h2h-bench <command> --help)\n\n"
       "WebSocket load generator: one thread, async I/O, thousands of\n"
       "connections; loopback targets only unless --allow-remote.\n\n"
       "commands:\n";
  for (auto& c : commands)
    os << "  " << c.name
       << std::string(c.name.size() < 10 ? 10 - c.name.size() : 1, ' ')
       << c.summary << '\n';
  os << "\nExit codes: 0 completed run, 1 connection failures or incomplete "
        "run, 2 bad arguments.\n";
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_main_usage(std::cerr);
    return h2h::bench::exit_usage;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_main_usage(std::cout);
    return h2h::bench::exit_ok;
  }
  for (auto& c : commands) {
    if (args[0] == c.name) {
      // Thousands of sockets need more than the usual 1024 descriptors.
      h2h::bench::raise_open_files_limit();
      args.erase(args.begin());
      return c.run(args);
    }
  }
  std::cerr << "h2h-bench: unknown command '" << args[0] << "'\n";
  print_main_usage(std::cerr);
  return h2h::bench::exit_usage;
}
