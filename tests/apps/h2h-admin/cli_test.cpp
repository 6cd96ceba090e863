// h2h-admin without a terminal: -c, commands piped on stdin, --json, the
// exit statuses, reconnecting, timeouts, a node that is not there.
#include <gtest/gtest.h>

#include "fake_admin_server.hpp"
#include "pty_session.hpp"

namespace {

using h2h::test::fake_admin_server;
using h2h::test::program_result;
using h2h::test::run_program;
using strings = std::vector<std::string>;

const std::string nodes_answer
  = R"({"ok":true,"cmd":"nodes","result":{"nodes":[{"id":"n1","address":"127.0.0.1:4242","started_ms":1,"uptime_s":10,"rooms":2,"sessions":3}]}})";
const std::string not_found
  = R"({"ok":false,"cmd":"room","error":{"code":"ADMIN_NOT_FOUND","message":"no room r9"}})";

class AdminCliRun : public ::testing::Test {
protected:
  AdminCliRun() {
    fake.answer("nodes", nodes_answer);
    fake.answer("room", not_found);
    fake.answer("broadcast",
                R"({"ok":true,"cmd":"broadcast","result":{"seq":9}})");
  }

  program_result run(strings args, const std::string& input = {},
                     std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), {"--port", std::to_string(fake.port())});
    return run_program(H2H_ADMIN_PATH, args, input, env);
  }

  fake_admin_server fake;
};

TEST_F(AdminCliRun, OneCommandWithC) {
  auto r = run({"-c", "nodes"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "ID  ADDRESS         UPTIME  ROOMS  SESSIONS\n"
                   "n1  127.0.0.1:4242  10s         2         3\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(fake.received(), (strings{R"({"cmd":"nodes"})"}));
}

TEST_F(AdminCliRun, JsonPrintsTheAnswerLineAsItCame) {
  auto r = run({"--json", "-c", "nodes"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, nodes_answer + "\n");
  auto e = run({"--json", "-c", "room r9"});
  EXPECT_EQ(e.status, 1);
  EXPECT_EQ(e.out, not_found + "\n");
}

TEST_F(AdminCliRun, AnErrorAnswerIsStatusOne) {
  auto r = run({"-c", "room r9"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "(error) ADMIN_NOT_FOUND no room r9\n");
}

TEST_F(AdminCliRun, ABadCommandIsStatusOneAndSendsNothing) {
  auto r = run({"-c", "kick bob"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("bad member 'bob': a member id is a positive integer"),
            std::string::npos)
    << r.err;
  EXPECT_TRUE(fake.received().empty());
}

TEST_F(AdminCliRun, CommandsPipedOnStdinOnePerLine) {
  auto r = run({}, "nodes\n\n# a comment\nbroadcast r1 \"hi all\"\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("127.0.0.1:4242"), std::string::npos);
  EXPECT_NE(r.out.find("broadcast stored as seq 9"), std::string::npos);
  EXPECT_EQ(fake.received(),
            (strings{R"({"cmd":"nodes"})",
                     R"({"cmd":"broadcast","room":"r1","text":"hi all"})"}));
}

TEST_F(AdminCliRun, APipedScriptGoesOnAfterAFailureAndReportsIt) {
  auto r = run({}, "roms\nroom r9\nnodes\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("line 1: unknown command 'roms'"), std::string::npos)
    << r.err;
  EXPECT_NE(r.out.find("(error) ADMIN_NOT_FOUND"), std::string::npos);
  EXPECT_NE(r.out.find("127.0.0.1:4242"), std::string::npos);
  EXPECT_EQ(fake.commands(), (strings{"room", "nodes"}));
}

TEST_F(AdminCliRun, QuitEndsAPipedScript) {
  auto r = run({}, "nodes\nquit\nnodes\n");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(fake.commands(), (strings{"nodes"}));
}

TEST_F(AdminCliRun, TheTokenIsSentFirst) {
  auto r = run({"--token", "s3cret", "-c", "nodes"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(fake.received(), (strings{R"({"cmd":"auth","token":"s3cret"})",
                                      R"({"cmd":"nodes"})"}));
  fake_admin_server other;
  other.answer("nodes", nodes_answer);
  auto e = run_program(H2H_ADMIN_PATH,
                       {"--port", std::to_string(other.port()), "-c", "nodes"},
                       {}, {{"H2H_ADMIN_TOKEN", "from-env"}});
  EXPECT_EQ(e.status, 0);
  EXPECT_EQ(other.received().front(), R"({"cmd":"auth","token":"from-env"})");
}

TEST_F(AdminCliRun, ARefusedTokenIsStatusTwo) {
  fake.answer(
    "auth",
    R"({"ok":false,"cmd":"auth","error":{"code":"ADMIN_UNAUTHORIZED","message":"wrong token"}})");
  auto r = run({"--token", "wrong", "-c", "nodes"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("refused the token: ADMIN_UNAUTHORIZED wrong token"),
            std::string::npos)
    << r.err;
  EXPECT_EQ(fake.commands(), (strings{"auth"}));
}

TEST_F(AdminCliRun, CannotConnectIsStatusTwoWithAClearMessage) {
  std::uint16_t port = 0;
  {
    fake_admin_server gone; // a port that was free a moment ago
    port = gone.port();
  }
  for (auto& input : {std::string{}, std::string{"nodes\n"}}) {
    auto r = input.empty()
               ? run_program(H2H_ADMIN_PATH,
                             {"--port", std::to_string(port), "-c", "nodes"})
               : run_program(H2H_ADMIN_PATH, {"--port", std::to_string(port)},
                             input);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("cannot connect to 127.0.0.1:" + std::to_string(port)
                         + ": Connection refused"),
              std::string::npos)
      << r.err;
  }
  // help needs no node.
  auto h = run_program(H2H_ADMIN_PATH,
                       {"--port", std::to_string(port), "-c", "help"});
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("rooms [--node N]"), std::string::npos);
}

TEST_F(AdminCliRun, UsageErrorsAreStatusTwo) {
  auto r = run_program(H2H_ADMIN_PATH, {"--bogus"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown option '--bogus'"), std::string::npos);
  auto h = run_program(H2H_ADMIN_PATH, {"--help"});
  EXPECT_EQ(h.status, 0);
  EXPECT_EQ(h.out.rfind("usage: h2h-admin [--host H]", 0), 0u);
  auto v = run_program(H2H_ADMIN_PATH, {"--version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.out.rfind("h2h-admin ", 0), 0u);
}

TEST_F(AdminCliRun, ADroppedConnectionIsReconnectedOnceForAReading) {
  fake.drop_next(1);
  auto r = run({"-c", "nodes"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("127.0.0.1:4242"), std::string::npos);
  EXPECT_EQ(fake.commands(), (strings{"nodes", "nodes"}));
  EXPECT_EQ(fake.connections(), 2);
}

TEST_F(AdminCliRun, OnlyOnceThenTheCommandFails) {
  fake.drop_next(2);
  auto r = run({"-c", "nodes"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("nodes: the node closed the connection before "
                       "answering"),
            std::string::npos)
    << r.err;
  EXPECT_EQ(fake.commands(), (strings{"nodes", "nodes"}));
}

TEST_F(AdminCliRun, AnActionIsNotSentTwiceWhenItsAnswerIsLost) {
  fake.drop_next(1);
  auto r = run({"-c", "broadcast r1 hello"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("may or may not have been done"), std::string::npos)
    << r.err;
  EXPECT_EQ(fake.commands(), (strings{"broadcast"}));
}

TEST_F(AdminCliRun, ANodeThatDoesNotAnswerTimesOut) {
  fake.never_answer("stats");
  auto r = run({"--timeout", "1", "-c", "stats"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("stats: no answer within 1 s"), std::string::npos)
    << r.err;
}

} // namespace
