// The commands of docs/admin.md as h2h-admin offers them: one row each.
#include "command_table.hpp"

#include <cctype>

namespace h2h::admin {

namespace {

const option limit_option{"--limit", "K", "limit", value_kind::count,
                          "at most K entries (1-10000)"};

std::vector<command_spec> make_table() {
  using k = value_kind;
  return {
    {"nodes",
     {},
     {},
     "every node: id, address, uptime, rooms, sessions",
     "Lists the nodes of the cluster (or the only node) with their cluster\n"
     "address, uptime, live rooms and client sessions."},
    {"rooms",
     {},
     {{"--node", "N", "node", k::node, "only the rooms owned by node N"},
      {"--sort",
       "members|rate|mailbox",
       "sort",
       k::choice,
       "largest first by members, messages/s or mailbox (default: by id)",
       {"members", "rate", "mailbox"}},
      limit_option},
     "active rooms, whole cluster unless --node",
     "Lists the live rooms as their owners see them: seq, members total and\n"
     "online, mailbox size, messages/s over the last minute, persistence lag\n"
     "and last activity."},
    {"room",
     {{"id", "room", k::room}},
     {},
     "one room in detail",
     "Shows one room: owner node, seq, members total/online, subscribers per\n"
     "node and per protocol, mailbox size, messages/s over the last minute,\n"
     "persistence lag and last activity. Asked on any node, it answers for\n"
     "the room wherever it lives."},
    {"sessions",
     {},
     {{"--room", "R", "room", k::room, "only the sessions in room R"},
      {"--member", "M", "member", k::member, "only the sessions of member M"},
      limit_option},
     "client sessions of the whole cluster",
     "Lists client sessions (connections): node, session id, member id,\n"
     "name, protocol, rooms entered, connected since."},
    {"member",
     {{"id", "member", k::member}},
     {},
     "one member's sessions and rooms",
     "Shows a member's sessions on every node and the rooms they are in."},
    {"kick",
     {{"member", "member", k::member}, {"room", "room", k::room, true}},
     {},
     "ends a member's sessions, or drops them from one room",
     "Without a room: ends every session of the member (close 1008\n"
     "\"kicked\"). With a room: drops the member's sessions from that room\n"
     "only.",
     false,
     false},
    {"close",
     {{"room", "room", k::room}},
     {},
     "stops a room; its sessions are dropped from it",
     "Stops the room's actor: every session in it is dropped from the room.\n"
     "The room and its history stay in the store.",
     false,
     false},
    {"broadcast",
     {{"room", "room", k::room}, {"text", "text", k::text}},
     {},
     "sends a system message to a room",
     "Sends <text> (the rest of the line; quotes allowed) as a system message\n"
     "(sender \"system\", senderId 0), stored and delivered like any other.",
     false,
     false},
    {"stats",
     {},
     {},
     "this node's counters",
     "Shows the counters of the node h2h-admin is connected to."},
    {"loglevel",
     {{"level",
       "level",
       k::choice,
       false,
       {"trace", "debug", "info", "warning", "error"}}},
     {},
     "changes this node's log level",
     "Sets the log level of the node h2h-admin is connected to, until it\n"
     "restarts.",
     false,
     false},
    {"drain",
     {},
     {},
     "starts a graceful drain of this node",
     "Starts a graceful drain of the node h2h-admin is connected to: it stops\n"
     "accepting clients, tells its clients to go (1001), flushes and leaves\n"
     "the cluster.",
     false,
     false},
    {"reports",
     {},
     {{"--target", "M", "target", k::member, "only the reports about member M"},
      {"--limit", "N", "limit", k::count,
       "at most N reports (default 50; the node lists 500 at most)"}},
     "members' reports of other members, newest first",
     "Lists the reports members made (POST /member/report): id, target,\n"
     "reporter, when, reason, and the target's last messages in rooms both\n"
     "shared, copied when the report was made. Reports are kept\n"
     "limits.report_retention_days days."},
    {"help",
     {{"command", "", k::command, true}},
     {},
     "lists the commands, or explains one",
     "Without an argument: every command with one line. With one: its\n"
     "syntax, options and what it does.",
     true},
    {"quit",
     {},
     {},
     "leaves h2h-admin (also Ctrl-D)",
     "Leaves h2h-admin. Ctrl-D on an empty line does the same; Ctrl-C only\n"
     "cancels the line being typed (or the command being waited for).",
     true},
  };
}

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i]))
        != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

} // namespace

const std::vector<command_spec>& commands() {
  static const std::vector<command_spec> table = make_table();
  return table;
}

const command_spec* find_command(std::string_view name) {
  for (auto& c : commands())
    if (same_name(c.name, name))
      return &c;
  return nullptr;
}

std::string usage(const command_spec& c) {
  std::string out{c.name};
  for (auto& a : c.arguments) {
    std::string shown;
    if (!a.choices.empty()) {
      for (auto& ch : a.choices)
        shown += (shown.empty() ? "" : "|") + std::string{ch};
    } else {
      shown = a.name;
      if (a.kind == value_kind::text)
        shown += "...";
    }
    out += a.optional ? " [" + shown + "]" : " <" + shown + ">";
  }
  for (auto& o : c.options)
    out += " [" + std::string{o.flag} + " " + std::string{o.value_name} + "]";
  return out;
}

} // namespace h2h::admin
