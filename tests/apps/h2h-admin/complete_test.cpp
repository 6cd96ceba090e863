// h2h-admin's Tab completion slots, its live-id extraction, its help texts
// and its command line, without a terminal or a node.
#include <gtest/gtest.h>

#include "h2h-admin/cli_options.hpp"
#include "h2h-admin/command_table.hpp"
#include "h2h-admin/complete.hpp"
#include "h2h-admin/help.hpp"
#include "h2h-admin/live_ids.hpp"

namespace {

using namespace h2h::admin;

/// The candidates for the last word of `line` given these ids.
std::vector<std::string> complete(const std::string& line,
                                  const std::vector<std::string>& ids = {}) {
  auto begin = line.find_last_of(' ');
  begin = begin == std::string::npos ? 0 : begin + 1;
  return matches(slot_at(line, begin), ids, line.substr(begin));
}

using list = std::vector<std::string>;

TEST(AdminComplete, CommandNames) {
  EXPECT_EQ(complete("r"), (list{"reports", "room", "rooms"}));
  EXPECT_EQ(complete("rep"), (list{"reports"}));
  EXPECT_EQ(complete("se"), (list{"sessions"}));
  EXPECT_EQ(complete("").size(), commands().size());
  EXPECT_EQ(complete("help lo"), (list{"loglevel"}));
}

TEST(AdminComplete, ArgumentsAskForTheRightIds) {
  EXPECT_EQ(slot_at("room ", 5).ids, id_kind::rooms);
  EXPECT_EQ(slot_at("close ", 6).ids, id_kind::rooms);
  EXPECT_EQ(slot_at("broadcast ", 10).ids, id_kind::rooms);
  EXPECT_EQ(slot_at("member ", 7).ids, id_kind::members);
  EXPECT_EQ(slot_at("kick ", 5).ids, id_kind::members);
  EXPECT_EQ(slot_at("kick 7 ", 7).ids, id_kind::rooms);
  EXPECT_EQ(slot_at("sessions --member ", 18).ids, id_kind::members);
  EXPECT_EQ(slot_at("sessions --room ", 16).ids, id_kind::rooms);
  EXPECT_EQ(slot_at("rooms --node ", 13).ids, id_kind::nodes);
  EXPECT_EQ(slot_at("nodes ", 6).ids, id_kind::none);
  EXPECT_EQ(slot_at("reports --target ", 17).ids, id_kind::members);
  EXPECT_EQ(slot_at("broadcast r1 ", 13).ids, id_kind::none);
  EXPECT_EQ(slot_at("unknown ", 8).ids, id_kind::none);
  EXPECT_EQ(complete("room lo", {"lobby", "lounge", "zeta"}),
            (list{"lobby", "lounge"}));
  EXPECT_EQ(complete("kick 7 z", {"lobby", "zeta"}), (list{"zeta"}));
}

TEST(AdminComplete, OptionsAndChoices) {
  EXPECT_EQ(complete("rooms --"), (list{"--limit", "--node", "--sort"}));
  EXPECT_EQ(complete("rooms --limit 3 --"), (list{"--node", "--sort"}));
  EXPECT_EQ(complete("rooms --sort "), (list{"mailbox", "members", "rate"}));
  EXPECT_EQ(complete("rooms --sort m"), (list{"mailbox", "members"}));
  EXPECT_EQ(complete("loglevel "),
            (list{"debug", "error", "info", "trace", "warning"}));
  EXPECT_EQ(complete("sessions --"), (list{"--limit", "--member", "--room"}));
  EXPECT_TRUE(complete("rooms --limit ").empty());
  EXPECT_TRUE(complete("drain ").empty());
}

TEST(AdminComplete, IdsComeFromTheNodesAnswers) {
  EXPECT_EQ(ids_request(id_kind::rooms), R"({"cmd":"rooms","limit":1000})");
  EXPECT_EQ(ids_request(id_kind::members),
            R"({"cmd":"sessions","limit":1000})");
  EXPECT_EQ(ids_request(id_kind::nodes), R"({"cmd":"nodes"})");
  EXPECT_EQ(
    ids_from_answer(
      id_kind::rooms,
      R"({"ok":true,"cmd":"rooms","result":{"rooms":[{"id":"b"},{"id":"a"},{"id":"b"},{"x":1}]}})"),
    (list{"a", "b"}));
  EXPECT_EQ(
    ids_from_answer(
      id_kind::members,
      R"({"ok":true,"cmd":"sessions","result":{"sessions":[{"member_id":7},{"member_id":12},{"member_id":0}]}})"),
    (list{"12", "7"}));
  EXPECT_EQ(ids_from_answer(
              id_kind::nodes,
              R"({"ok":true,"cmd":"nodes","result":{"nodes":[{"id":"n1"}]}})"),
            (list{"n1"}));
  EXPECT_TRUE(ids_from_answer(id_kind::rooms, "garbage").empty());
  EXPECT_TRUE(
    ids_from_answer(id_kind::rooms,
                    R"({"ok":false,"error":{"code":"ADMIN_TIMEOUT"}})")
      .empty());
}

TEST(AdminComplete, IdsAreBounded) {
  std::string answer = R"({"ok":true,"cmd":"rooms","result":{"rooms":[)";
  for (int i = 0; i < 1500; ++i)
    answer += (i ? "," : "") + std::string{R"({"id":"r)"} + std::to_string(i)
              + "\"}";
  answer += "]}}";
  EXPECT_EQ(ids_from_answer(id_kind::rooms, answer).size(), max_completion_ids);
}

TEST(AdminHelp, GeneratedFromTheTable) {
  auto all = help_text();
  for (auto& c : commands()) {
    EXPECT_NE(all.find("  " + usage(c) + "\n      " + std::string{c.summary}),
              std::string::npos)
      << c.name;
    auto one = help_text(c);
    EXPECT_EQ(one.rfind("usage: " + usage(c) + "\n", 0), 0u) << one;
    for (auto& o : c.options)
      EXPECT_NE(one.find(std::string{o.flag} + " " + std::string{o.value_name}),
                std::string::npos);
  }
  EXPECT_EQ(usage(*find_command("rooms")),
            "rooms [--node N] [--sort members|rate|mailbox] [--limit K]");
  EXPECT_EQ(usage(*find_command("broadcast")), "broadcast <room> <text...>");
  EXPECT_EQ(usage(*find_command("loglevel")),
            "loglevel <trace|debug|info|warning|error>");
}

TEST(AdminHelp, OnlyReadsAreSentTwice) {
  for (auto name : {"kick", "close", "broadcast", "loglevel", "drain"})
    EXPECT_FALSE(find_command(name)->retry_safe) << name;
  for (auto name :
       {"nodes", "rooms", "room", "sessions", "member", "stats", "reports"})
    EXPECT_TRUE(find_command(name)->retry_safe) << name;
}

TEST(AdminCli, DefaultsAndFlags) {
  auto o = parse_cli({}, {});
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 4243);
  EXPECT_TRUE(o.token.empty());
  EXPECT_FALSE(o.command);
  EXPECT_FALSE(o.json);
  o = parse_cli({"--host", "::1", "--port=5000", "-c", "rooms --limit 3",
                 "--json", "--timeout", "2", "--token", "t1"},
                {{"H2H_ADMIN_TOKEN", "env-token"}});
  EXPECT_TRUE(o.error.empty()) << o.error;
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 5000);
  EXPECT_EQ(*o.command, "rooms --limit 3");
  EXPECT_TRUE(o.json);
  EXPECT_EQ(o.answer_timeout_ms, 2000);
  EXPECT_EQ(o.token, "t1");
  EXPECT_EQ(parse_cli({}, {{"H2H_ADMIN_TOKEN", "env-token"}}).token,
            "env-token");
  EXPECT_TRUE(parse_cli({"--help"}, {}).show_help);
  EXPECT_TRUE(parse_cli({"--version"}, {}).show_version);
}

TEST(AdminCli, BadFlagsAreNamed) {
  EXPECT_EQ(parse_cli({"--port", "0"}, {}).error,
            "bad --port '0': a number from 1 to 65535");
  EXPECT_EQ(parse_cli({"--port", "70000"}, {}).error,
            "bad --port '70000': a number from 1 to 65535");
  EXPECT_EQ(parse_cli({"--port"}, {}).error, "option --port needs a value");
  EXPECT_EQ(parse_cli({"-c"}, {}).error, "option -c needs a value");
  EXPECT_EQ(parse_cli({"--verbose"}, {}).error, "unknown option '--verbose'");
  EXPECT_EQ(parse_cli({"--timeout", "0"}, {}).error,
            "bad --timeout '0': seconds from 1 to 3600");
  EXPECT_EQ(parse_cli({"--host="}, {}).error,
            "--host needs a host name or address");
}

TEST(AdminCli, HelpNamesEveryFlagAndCommand) {
  auto h = cli_help_text();
  for (auto flag :
       {"--host", "--port", "--token", "--timeout", "-c", "--json", "--help",
        "--version", "H2H_ADMIN_TOKEN", ".h2h_admin_history", "Exit status"})
    EXPECT_NE(h.find(flag), std::string::npos) << flag;
  for (auto& c : commands())
    EXPECT_NE(h.find(usage(c)), std::string::npos) << c.name;
}

} // namespace
