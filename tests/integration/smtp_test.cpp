// Integration: verification codes leave h2hd by SMTP (libcurl) and arrive at
// a real SMTP server (Python's standard smtpd, started here on 127.0.0.1).
#include <gtest/gtest.h>

#include <signal.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

#include "process.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::uint16_t free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a{
    ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  return a.local_endpoint().port();
}

bool can_connect(std::uint16_t port) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket s{ioc};
  boost::system::error_code ec;
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  return !ec;
}

/// True when 127.0.0.1:port is reachable as the IPv4-mapped IPv6 address
/// ::ffff:127.0.0.1 (not where IPv6 is off).
bool can_connect_mapped(std::uint16_t port) {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0)
    return false;
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_port = htons(port);
  inet_pton(AF_INET6, "::ffff:127.0.0.1", &addr.sin6_addr);
  bool ok
    = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

/// Python's smtpd printing every mail it receives to a file.
class smtp_sink {
public:
  explicit smtp_sink(const std::string& out_path) : out_(out_path) {
    port_ = free_port();
    pid_ = fork();
    if (pid_ == 0) {
      auto fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      auto addr = "127.0.0.1:" + std::to_string(port_);
      execl("/usr/bin/python3", "python3", "-u", "-W", "ignore", "-m",
            "smtpd", "-n", "-c", "DebuggingServer", addr.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 200 && !can_connect(port_); ++i)
      std::this_thread::sleep_for(25ms); // waiting for a child to listen
  }
  ~smtp_sink() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  std::uint16_t port() const {
    return port_;
  }
  /// Everything received so far.
  std::string text() const {
    std::ifstream in{out_};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

private:
  std::string out_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

} // namespace

TEST(smtp, the_verification_code_arrives_by_mail_and_confirms) {
  temp_dir dir;
  smtp_sink sink{dir.path() + "/mail.txt"};
  ASSERT_TRUE(can_connect(sink.port())) << "smtpd did not start";
  server_process srv{
    H2HD_PATH,
    local_args(dir,
               {"--smtp.url", "smtp://127.0.0.1:" + std::to_string(sink.port()),
                "--smtp.from", "noreply@h2h.test"})};
  auto r = http_request(srv.port(), "POST", "/auth/emailVerificationCode",
                        R"({"email":"bob@example.org"})");
  ASSERT_EQ(r.status, 202) << r.body;
  std::smatch m;
  std::string mail;
  std::regex code_re{"verification code is ([0-9]{6})"};
  for (int i = 0; i < 200; ++i) {
    mail = sink.text();
    if (std::regex_search(mail, m, code_re))
      break;
    std::this_thread::sleep_for(25ms); // the sink writes asynchronously
  }
  ASSERT_TRUE(std::regex_search(mail, m, code_re)) << mail;
  EXPECT_NE(mail.find("To: <bob@example.org>"), std::string::npos) << mail;
  EXPECT_NE(mail.find("From: <noreply@h2h.test>"), std::string::npos);
  // The code was mailed, not logged.
  EXPECT_EQ(srv.log().find(m[1].str()), std::string::npos);
  auto c = http_request(srv.port(), "POST", "/auth/confirmVerificationCode",
                        json{{"email", "bob@example.org"},
                             {"verification_code", m[1].str()}}
                          .dump());
  EXPECT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(srv.stop(), 0);
}

TEST(smtp, an_unreachable_mail_server_is_a_clear_503) {
  temp_dir dir;
  auto dead = free_port(); // nothing listens there
  server_process srv{
    H2HD_PATH,
    local_args(dir, {"--smtp.url", "smtp://127.0.0.1:" + std::to_string(dead),
                     "--smtp.timeout_ms", "2000"})};
  auto r = http_request(srv.port(), "POST", "/auth/emailVerificationCode",
                        R"({"email":"bob@example.org"})");
  EXPECT_EQ(r.status, 503);
  auto body = json::parse(r.body);
  EXPECT_EQ(body["code"], "CHAT_006");
  EXPECT_NE(srv.log().find("verification mail to bob@example.org failed"),
            std::string::npos);
  EXPECT_EQ(srv.stop(), 0);
}

TEST(smtp, a_server_that_is_not_loopback_by_name_gets_no_mail_without_tls) {
  // The same local smtpd (no STARTTLS), named by an address that is not one
  // of the plain-text loopback names: the code must not go out in clear.
  temp_dir dir;
  smtp_sink sink{dir.path() + "/mail.txt"};
  ASSERT_TRUE(can_connect(sink.port())) << "smtpd did not start";
  if (!can_connect_mapped(sink.port()))
    GTEST_SKIP() << "IPv4-mapped IPv6 addresses do not work here";
  server_process srv{
    H2HD_PATH,
    local_args(dir, {"--smtp.url",
                     "smtp://[::ffff:127.0.0.1]:" + std::to_string(sink.port()),
                     "--smtp.timeout_ms", "5000"})};
  auto r = http_request(srv.port(), "POST", "/auth/emailVerificationCode",
                        R"({"email":"bob@example.org"})");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(json::parse(r.body)["code"], "CHAT_006");
  EXPECT_NE(srv.log().find("STARTTLS required"), std::string::npos);
  EXPECT_NE(srv.log().find("verification mail to bob@example.org failed"),
            std::string::npos)
    << srv.log();
  EXPECT_EQ(sink.text().find("verification code is"), std::string::npos)
    << "the code went out in clear text: " << sink.text();
  EXPECT_EQ(srv.stop(), 0);
}
