// h2hd at start-up with push.* settings: the FCM credentials file is read
// and checked, and every problem is listed with the others before exiting.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "../../net/outbound/rsa_test_keys.hpp"

namespace {

struct run_result {
  int code = -1;
  std::string output;
};

/// Runs `h2hd --check-config` with `env` prepended (VAR=value ...).
run_result check_config(const std::string& env) {
  std::string cmd = "env -i " + env + " " H2HD_PATH " --check-config 2>&1";
  run_result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr)
    return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0
         && r.output.size() < 1 << 20)
    r.output.append(buf, n);
  int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string write_file(const std::string& name, const std::string& text) {
  auto path = testing::TempDir() + "h2h_push_startup_" + name;
  std::ofstream out{path, std::ios::trunc};
  out << text;
  return path;
}

} // namespace

TEST(push_startup, without_credentials_the_configuration_is_valid) {
  auto r = check_config("");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("push.fcm_credentials = "), std::string::npos);
}

TEST(push_startup, an_unreadable_credentials_file_is_a_configuration_error) {
  auto r = check_config("H2H_PUSH_FCM_CREDENTIALS=/nonexistent/fcm.json");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("push.fcm_credentials: cannot read"),
            std::string::npos)
    << r.output;
}

TEST(push_startup, every_credentials_problem_is_listed_with_the_others) {
  auto path = write_file(
    "bad.json",
    R"({"private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n","token_uri":"https://oauth2.example/token"})");
  auto r = check_config("H2H_PUSH_FCM_CREDENTIALS=" + path
                        + " H2H_PUSH_QUEUE_MAX=0");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("push.queue_max"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"client_email\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"project_id\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"private_key\": not a PEM private key"),
            std::string::npos)
    << r.output;
  EXPECT_NE(r.output.find("4 problems"), std::string::npos) << r.output;
}

TEST(push_startup, a_valid_credentials_file_passes) {
  auto keys = h2h::test::make_rsa_pair();
  auto path
    = write_file("good.json", h2h::test::service_account_json(
                                "push@p.iam.example", keys.private_pem,
                                "https://oauth2.googleapis.com/token", "p-1"));
  auto r = check_config("H2H_PUSH_FCM_CREDENTIALS=" + path);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("configuration OK"), std::string::npos) << r.output;
}
