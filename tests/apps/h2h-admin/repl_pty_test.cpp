// h2h-admin at a terminal, driven through a pseudo-terminal as a person
// drives it, against a fake admin port that records what it received.
#include <csignal>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "fake_admin_server.hpp"
#include "process.hpp"
#include "pty_session.hpp"

namespace {

using h2h::test::fake_admin_server;
using h2h::test::pty_session;
using h2h::test::temp_dir;
namespace keys = h2h::test::keys;
using strings = std::vector<std::string>;

const std::string rooms_answer
  = R"({"ok":true,"cmd":"rooms","result":{"rooms":[)"
    R"({"id":"lobby-1","node":"n1","owner":"n1","relay":false,"seq":42,"members_total":5,"members_online":2,"subscribers":{"raw":2},"mailbox":0,"rate":0.5,"persistence_lag":0,"last_activity_ms":0},)"
    R"({"id":"zeta","node":"n1","owner":"n1","relay":false,"seq":3,"members_total":1,"members_online":1,"subscribers":{"raw":1},"mailbox":0,"rate":0,"persistence_lag":0,"last_activity_ms":0}]}})";

class AdminRepl : public ::testing::Test {
protected:
  AdminRepl() {
    fake.answer("rooms", rooms_answer);
    fake.answer(
      "nodes",
      R"({"ok":true,"cmd":"nodes","result":{"nodes":[{"id":"n1","address":"127.0.0.1:4242","started_ms":1,"uptime_s":10,"rooms":2,"sessions":3}]}})");
    fake.answer(
      "room",
      R"({"ok":true,"cmd":"room","result":{"room":{"id":"lobby-1","node":"n1","owner":"n1","seq":42}}})");
    fake.answer(
      "sessions",
      R"({"ok":true,"cmd":"sessions","result":{"sessions":[{"node":"n1","id":"s1","member_id":4711,"name":"ann","protocol":"raw","rooms":["lobby-1"],"connected_ms":0}]}})");
    fake.answer("kick", R"({"ok":true,"cmd":"kick","result":{"kicked":1}})");
  }

  /// h2h-admin on the fake's port, HOME in a temporary directory.
  std::unique_ptr<pty_session> start(strings more = {}) {
    strings args{"--port", std::to_string(fake.port())};
    args.insert(args.end(), more.begin(), more.end());
    auto s = std::make_unique<pty_session>(
      H2H_ADMIN_PATH, args,
      std::map<std::string, std::string>{{"HOME", home.path()}});
    EXPECT_TRUE(s->wait_for(prompt)) << s->screen();
    return s;
  }

  std::string history() const {
    std::ifstream in{home.path() + "/.h2h_admin_history"};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  fake_admin_server fake;
  temp_dir home;
  std::string prompt = "h2h 127.0.0.1:" + std::to_string(fake.port()) + "> ";
};

TEST_F(AdminRepl, TypingRoomsShowsTheTable) {
  auto s = start();
  s->type_line("rooms");
  ASSERT_TRUE(s->wait_for("ID       OWNER  SEQ  MEMBERS")) << s->screen();
  ASSERT_TRUE(s->wait_for("lobby-1  n1      42        5")) << s->screen();
  ASSERT_TRUE(s->wait_for("zeta")) << s->screen();
  EXPECT_TRUE(s->wait_for(prompt)) << s->screen();
  EXPECT_EQ(fake.received(), (strings{R"({"cmd":"rooms"})"}));
}

TEST_F(AdminRepl, TabCompletesCommandsAndRoomIdsFromTheNode) {
  auto s = start();
  s->send("roo");
  s->send(keys::tab);
  s->send(" lob");
  s->send(keys::tab); // asks the node for its rooms, completes lobby-1
  s->send(keys::enter);
  ASSERT_TRUE(s->wait_for("owner:")) << s->screen();
  ASSERT_TRUE(s->wait_for("seq:             42")) << s->screen();
  ASSERT_TRUE(fake.wait_received(2));
  EXPECT_EQ(fake.received(), (strings{R"({"cmd":"rooms","limit":1000})",
                                      R"({"cmd":"room","room":"lobby-1"})"}));
  // Member ids come from the sessions answer.
  ASSERT_TRUE(s->wait_for(prompt));
  s->send("kick 47");
  s->send(keys::tab);
  s->send(keys::enter);
  ASSERT_TRUE(s->wait_for("kicked 1 session")) << s->screen();
  EXPECT_EQ(fake.received().back(), R"({"cmd":"kick","member":4711})");
}

TEST_F(AdminRepl, AnUnknownCommandPrintsAnErrorAndThePromptComesBack) {
  auto s = start();
  s->type_line("roms");
  ASSERT_TRUE(s->wait_for("(error) unknown command 'roms' (type 'help' for "
                          "the list)"))
    << s->screen();
  ASSERT_TRUE(s->wait_for(prompt)) << s->screen();
  s->type_line("member x");
  ASSERT_TRUE(s->wait_for("(error) bad id 'x': a member id is a positive "
                          "integer"))
    << s->screen();
  ASSERT_TRUE(s->wait_for(prompt)) << s->screen();
  s->type_line("nodes");
  ASSERT_TRUE(s->wait_for("127.0.0.1:4242")) << s->screen();
  EXPECT_EQ(fake.commands(), (strings{"nodes"}));
}

TEST_F(AdminRepl, HelpListsTheCommands) {
  auto s = start();
  s->type_line("help");
  ASSERT_TRUE(s->wait_for("broadcast <room> <text...>")) << s->screen();
  s->type_line("help kick");
  ASSERT_TRUE(s->wait_for("usage: kick <member> [room]")) << s->screen();
  EXPECT_TRUE(fake.received().empty());
}

TEST_F(AdminRepl, CtrlCCancelsAHalfTypedLine) {
  auto s = start();
  s->send("kick 4711 lob");
  ASSERT_TRUE(s->wait_for("kick 4711 lob"));
  s->send(keys::ctrl_c);
  ASSERT_TRUE(s->wait_for("^C")) << s->screen();
  ASSERT_TRUE(s->wait_for(prompt)) << s->screen();
  s->type_line("nodes");
  ASSERT_TRUE(s->wait_for("127.0.0.1:4242")) << s->screen();
  // The kick never went out, and the program still runs.
  EXPECT_EQ(fake.commands(), (strings{"nodes"}));
  EXPECT_FALSE(s->wait_exit(std::chrono::milliseconds{100}));
}

TEST_F(AdminRepl, CtrlCAbandonsAnAnswerThatDoesNotCome) {
  fake.never_answer("stats");
  auto s = start();
  s->type_line("stats");
  ASSERT_TRUE(fake.wait_received(1));
  s->send(keys::ctrl_c);
  ASSERT_TRUE(s->wait_for("stats: interrupted by Ctrl-C")) << s->screen();
  ASSERT_TRUE(s->wait_for(prompt)) << s->screen();
  s->type_line("nodes"); // on a new connection: no stale answer mixes in
  ASSERT_TRUE(s->wait_for("127.0.0.1:4242")) << s->screen();
  EXPECT_EQ(fake.connections(), 2);
}

TEST_F(AdminRepl, AConnectionClosedWhileIdleIsReplacedBeforeAnAction) {
  // The node closes the connection after its answer (an idle timeout); the
  // kick typed next goes out once, on a new connection, and succeeds.
  fake.hang_up_after("nodes");
  auto s = start();
  s->type_line("nodes");
  ASSERT_TRUE(s->wait_for("127.0.0.1:4242")) << s->screen();
  ASSERT_TRUE(s->wait_for(prompt));
  ASSERT_TRUE(fake.wait_closed(1));
  s->type_line("kick 4711");
  ASSERT_TRUE(s->wait_for("kicked 1 session")) << s->screen();
  EXPECT_EQ(fake.commands(), (strings{"nodes", "kick"}));
  EXPECT_EQ(fake.connections(), 2);
}

TEST_F(AdminRepl, CtrlDLeavesAndHistoryIsWritten) {
  auto s = start();
  s->type_line("nodes");
  ASSERT_TRUE(s->wait_for("127.0.0.1:4242"));
  ASSERT_TRUE(s->wait_for(prompt));
  s->type_line("rooms --sort members");
  ASSERT_TRUE(s->wait_for("lobby-1"));
  ASSERT_TRUE(s->wait_for(prompt));
  s->type_line(" broadcast lobby-1 a secret"); // leading blank: not kept
  ASSERT_TRUE(s->wait_for(prompt));
  s->send(keys::ctrl_d);
  auto status = s->wait_exit();
  ASSERT_TRUE(status) << s->screen();
  EXPECT_EQ(*status, 1);       // the broadcast had no canned answer: it failed
  EXPECT_TRUE(s->line_mode()); // the terminal is given back as found
  EXPECT_EQ(history(), "nodes\nrooms --sort members\n");
}

TEST_F(AdminRepl, SigtermLeavesAndGivesTheTerminalBack) {
  auto s = start();
  s->send("rooms --li"); // half a line: readline holds the terminal
  ASSERT_TRUE(s->wait_for("rooms --li"));
  EXPECT_FALSE(s->line_mode());
  ::kill(s->pid(), SIGTERM);
  auto status = s->wait_exit();
  ASSERT_TRUE(status) << s->screen();
  EXPECT_EQ(*status, 0);
  EXPECT_TRUE(s->line_mode());
  EXPECT_TRUE(fake.received().empty());
}

TEST_F(AdminRepl, HistoryIsRecalledInTheNextSession) {
  {
    auto s = start();
    s->type_line("nodes");
    ASSERT_TRUE(s->wait_for("127.0.0.1:4242"));
    s->type_line("quit");
    auto status = s->wait_exit();
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, 0);
  }
  auto s = start();
  s->send(keys::up);
  s->send(keys::up);
  s->send(keys::enter);
  ASSERT_TRUE(s->wait_for("127.0.0.1:4242")) << s->screen();
  EXPECT_EQ(fake.commands(), (strings{"nodes", "nodes"}));
}

} // namespace
