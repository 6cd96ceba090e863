// The cluster port over TLS (ctest label `cluster`): nodes whose
// certificates the cluster CA signed form a cluster, chat across it and
// stay connected; a node with a certificate of another CA, and a node
// without TLS, cannot join, and their attempts cut nobody's connection;
// wrong files stop a node at start with a message that names them.
// Certificates are made per test with the openssl command (EC P-256).
#include <gtest/gtest.h>

#include <thread>

#include "cluster_support.hpp"
#include "pty_session.hpp"
#include "ws_client.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

/// A CA and certificates it signs, as PEM files in a temporary directory.
class test_pki {
public:
  /// A self-signed CA `name` (name.crt, name.key).
  void make_ca(const std::string& name) {
    run({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", path(name + ".key"), "-out", path(name + ".crt"),
         "-days", "2", "-subj", "/CN=" + name});
  }

  /// A certificate `name` signed by CA `ca` (name.crt, name.key).
  void make_cert(const std::string& name, const std::string& ca) {
    run({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", path(name + ".key"), "-out", path(name + ".csr"),
         "-subj", "/CN=" + name});
    run({"x509", "-req", "-in", path(name + ".csr"), "-CA", path(ca + ".crt"),
         "-CAkey", path(ca + ".key"), "-CAcreateserial", "-out",
         path(name + ".crt"), "-days", "2"});
  }

  /// The cluster.tls_* arguments of a node with certificate `cert`, key
  /// `key` and CA `ca`.
  std::vector<std::string> args(const std::string& cert, const std::string& ca,
                                const std::string& key = "") const {
    return {"--cluster.tls_cert", path(cert + ".crt"),
            "--cluster.tls_key",  path((key.empty() ? cert : key) + ".key"),
            "--cluster.tls_ca",   path(ca + ".crt")};
  }

  std::string path(const std::string& file) const {
    return dir_.path() + "/" + file;
  }

private:
  void run(const std::vector<std::string>& args) {
    auto r = run_program("/usr/bin/openssl", args, {}, {}, 30s);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
  }

  temp_dir dir_;
};

/// Reads until a MESSAGE of `room` with text `text` arrives (bounded).
bool received(ws_client& c, const std::string& room, const std::string& text) {
  return c
    .recv_where(
      [&](const json& j) {
        return j.value("type", "") == "MESSAGE" && j.value("roomId", "") == room
               && j.value("message", "") == text;
      },
      10000ms)
    .has_value();
}

void enter(ws_client& c, const std::string& room, const std::string& sender) {
  ASSERT_TRUE(c.send_json(enter_frame(room, sender)));
  ASSERT_TRUE(c.recv_where(
    [&](const json& j) {
      return j.value("type", "") == "ENTER" && j.value("sender", "") == sender;
    },
    10000ms))
    << sender << " did not enter " << room;
}

/// Clients on n1 and n2 exchange one message in each of four rooms (each
/// node owns some of them and relays the others).
void chat_across(const server_process& n1, const server_process& n2,
                 const std::string& tag) {
  for (std::string room : {"tls-a", "tls-b", "tls-c", "tls-d"}) {
    SCOPED_TRACE(room);
    room += "-" + tag;
    ws_client a{n1.port()}, b{n2.port()};
    enter(a, room, "alice");
    enter(b, room, "bob");
    ASSERT_TRUE(a.send_json(message_frame(room, "alice", "from n1")));
    ASSERT_TRUE(b.send_json(message_frame(room, "bob", "from n2")));
    EXPECT_TRUE(received(b, room, "from n1"));
    EXPECT_TRUE(received(a, room, "from n2"));
  }
}

/// How often `text` occurs in `log`.
std::size_t count(const std::string& log, const std::string& text) {
  std::size_t n = 0;
  for (auto at = log.find(text); at != std::string::npos;
       at = log.find(text, at + text.size()))
    ++n;
  return n;
}

class cluster_tls : public cluster_fixture {
protected:
  void SetUp() override {
    cluster_fixture::SetUp();
    if (!cluster_)
      return;
    pki_.make_ca("ca");
    pki_.make_cert("n1", "ca");
    pki_.make_cert("n2", "ca");
  }

  /// Watches n1 and n2 for `span`: both see `n` nodes throughout.
  void expect_steady(std::size_t n, std::chrono::milliseconds span) {
    auto end = std::chrono::steady_clock::now() + span;
    while (std::chrono::steady_clock::now() < end) {
      ASSERT_EQ(cluster_->nodes_seen("n1"), n);
      ASSERT_EQ(cluster_->nodes_seen("n2"), n);
      std::this_thread::sleep_for(100ms); // polling /readyz
    }
  }

  test_pki pki_;
};

TEST_F(cluster_tls, nodes_of_one_ca_chat_and_stay_connected) {
  auto& n1 = cluster_->start("n1", false, pki_.args("n1", "ca"));
  auto& n2 = cluster_->start("n2", false, pki_.args("n2", "ca"));
  ASSERT_TRUE(cluster_->wait_nodes(2)) << n1.log() << n2.log();
  EXPECT_NE(n1.log().find("(TLS, peers need a certificate of"),
            std::string::npos)
    << n1.log();
  chat_across(n1, n2, "one");
  // Each node dials the other; CAF closes the second connection as
  // redundant. Over TLS that used to cut the first one too, every few
  // seconds (apps/h2hd/openssl_error_queue.cpp).
  expect_steady(2, 4s);
  EXPECT_EQ(count(n1.log(), "is unreachable"), 0u) << n1.log();
  EXPECT_EQ(count(n2.log(), "is unreachable"), 0u) << n2.log();
  chat_across(n1, n2, "two");
}

TEST_F(cluster_tls, a_node_of_another_ca_or_without_tls_cannot_join) {
  pki_.make_ca("rogue-ca");
  pki_.make_cert("n3", "rogue-ca");
  auto& n1 = cluster_->start("n1", false, pki_.args("n1", "ca"));
  auto& n2 = cluster_->start("n2", false, pki_.args("n2", "ca"));
  ASSERT_TRUE(cluster_->wait_nodes(2));
  // n3 trusts only its own CA; n4 speaks plain BASP. Both sides keep
  // trying at every scan (a heartbeat, 1 s) and say so once.
  auto& n3 = cluster_->start("n3", false, pki_.args("n3", "rogue-ca"));
  auto& n4 = cluster_->start("n4");
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline
         && (count(n1.log(), "cannot connect to node n3") < 1
             || count(n1.log(), "cannot connect to node n4") < 1
             || count(n3.log(), "cannot connect to node n1") < 1
             || count(n4.log(), "cannot connect to node n2") < 1))
    std::this_thread::sleep_for(100ms); // polling the logs
  // Their failed handshakes, several while this watches, cut nothing: n1
  // and n2 stay a cluster of two, n3 and n4 stay alone.
  expect_steady(2, 3s);
  // Logged once each, not once a heartbeat (one line a minute after the
  // first).
  EXPECT_EQ(count(n1.log(), "cannot connect to node n3"), 1u) << n1.log();
  EXPECT_EQ(count(n1.log(), "cannot connect to node n4"), 1u) << n1.log();
  EXPECT_EQ(count(n3.log(), "cannot connect to node n1"), 1u) << n3.log();
  EXPECT_EQ(count(n4.log(), "cannot connect to node n2"), 1u) << n4.log();
  EXPECT_NE(n1.log().find("(trying again every scan)"), std::string::npos);
  EXPECT_EQ(cluster_->nodes_seen("n3"), 1u);
  EXPECT_EQ(cluster_->nodes_seen("n4"), 1u);
  EXPECT_EQ(count(n1.log(), "is unreachable"), 0u) << n1.log();
  EXPECT_EQ(count(n2.log(), "is unreachable"), 0u) << n2.log();
  EXPECT_EQ(count(n1.log(), "connected to node n3"), 0u) << n1.log();
  chat_across(n1, n2, "three");
}

TEST_F(cluster_tls, wrong_files_stop_the_node_at_start_and_are_named) {
  pki_.make_ca("rogue-ca");
  pki_.make_cert("n3", "rogue-ca");
  auto start = [&](const std::vector<std::string>& tls) {
    std::vector<std::string> args{"--port",
                                  "0",
                                  "--bind",
                                  "127.0.0.1",
                                  "--metrics.port",
                                  "0",
                                  "--admin.port",
                                  "0",
                                  "--store.kind",
                                  "mysql",
                                  "--store.mysql_url",
                                  cluster_->mysql_url(),
                                  "--cluster.enabled",
                                  "true",
                                  "--cluster.port",
                                  "0",
                                  "--cluster.advertise_host",
                                  "127.0.0.1",
                                  "--redis.url",
                                  "redis://127.0.0.1:1"};
    args.insert(args.end(), tls.begin(), tls.end());
    return run_program(H2HD_PATH, args, {}, {}, 30s);
  };
  struct wrong {
    std::vector<std::string> tls;
    std::string says;
  };
  std::vector<wrong> cases{
    {pki_.args("n1", "ca", "n2"), "cluster.tls_key: " + pki_.path("n2.key")
                                    + " is not the key of "
                                    + pki_.path("n1.crt")},
    {pki_.args("n3", "ca"), "cluster.tls_cert: " + pki_.path("n3.crt")
                              + " does not pass against "
                              + pki_.path("ca.crt")},
    {pki_.args("nobody", "ca"),
     "cluster.tls_cert: cannot read " + pki_.path("nobody.crt")},
    {pki_.args("n1", "n1.key-as-ca", "n1"),
     "cluster.tls_ca: " + pki_.path("n1.key-as-ca.crt")},
    {{"--cluster.tls_cert", pki_.path("n1.crt")},
     "cluster.tls_cert, cluster.tls_key and cluster.tls_ca go together"}};
  for (auto& w : cases) {
    SCOPED_TRACE(w.says);
    auto r = start(w.tls);
    EXPECT_NE(r.status, 0);
    EXPECT_NE((r.out + r.err).find(w.says), std::string::npos)
      << r.out << r.err;
  }
}

} // namespace
