// Starts a real h2hd on port 0 for integration tests, stops it by PID and
// shows its log when the test fails.
#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

namespace h2h::test {

namespace {

std::string make_temp_dir() {
  char tmpl[] = "/tmp/h2h-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

/// True when `args` or `env` set the configuration key `key` (e.g.
/// "metrics.port").
bool chooses(const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env,
             const std::string& key) {
  std::string env_name = "H2H_";
  for (char c : key)
    env_name += c == '.' ? '_' : static_cast<char>(std::toupper(c));
  if (env.count(env_name) != 0)
    return true;
  for (auto& a : args)
    if (a == "--" + key || a.rfind("--" + key + "=", 0) == 0)
      return true;
  return false;
}

/// The port of the first line of `text` that starts with `prefix`
/// ("<prefix>ADDR:PORT\n"), or 0 when there is no complete such line.
std::uint16_t port_of_line(const std::string& text, const std::string& prefix) {
  for (std::size_t pos = 0; pos < text.size();) {
    auto eol = text.find('\n', pos);
    if (eol == std::string::npos)
      return 0;
    auto line = text.substr(pos, eol - pos);
    if (line.rfind(prefix, 0) == 0)
      return static_cast<std::uint16_t>(
        std::stoi(line.substr(line.rfind(':') + 1)));
    pos = eol + 1;
  }
  return 0;
}

} // namespace

temp_dir::temp_dir()
  : path_(make_temp_dir()) {
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

server_process::server_process(const std::string& binary,
                               std::vector<std::string> args,
                               std::map<std::string, std::string> env,
                               std::chrono::milliseconds startup_timeout) {
  // The metrics port defaults to 9100: two tests must not both take it.
  if (!chooses(args, env, "metrics.port")) {
    args.push_back("--metrics.port");
    args.push_back("0");
  }
  if (!chooses(args, env, "metrics.bind")) {
    args.push_back("--metrics.bind");
    args.push_back("127.0.0.1");
  }
  // The same for the admin port (4243).
  if (!chooses(args, env, "admin.port")) {
    args.push_back("--admin.port");
    args.push_back("0");
  }
  char tmpl[] = "/tmp/h2hd-log-XXXXXX";
  int log_fd = mkstemp(tmpl);
  if (log_fd < 0)
    throw std::runtime_error("mkstemp failed");
  log_path_ = tmpl;
  int out[2];
  if (pipe(out) != 0)
    throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // If the test dies (timeout, crash), the server goes with it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(out[1], STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    close(out[0]);
    close(out[1]);
    close(log_fd);
    for (auto& [k, v] : env)
      setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  close(log_fd);
  stdout_fd_ = out[0];
  // Read stdout until both listening lines, within the deadline.
  auto deadline = std::chrono::steady_clock::now() + startup_timeout;
  std::string seen;
  while (port_ == 0 || metrics_port_ == 0 || admin_port_ == 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
    if (left <= 0)
      break;
    pollfd p{stdout_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0)
      break;
    char buf[512];
    auto n = read(stdout_fd_, buf, sizeof(buf));
    if (n <= 0)
      break;
    seen.append(buf, static_cast<std::size_t>(n));
    port_ = port_of_line(seen, "listening on ");
    metrics_port_ = port_of_line(seen, "metrics listening on ");
    admin_port_ = port_of_line(seen, "admin listening on ");
  }
  if (port_ == 0 || metrics_port_ == 0 || admin_port_ == 0) {
    auto text = log();
    kill(pid_, SIGKILL);
    wait(std::chrono::seconds{5});
    throw std::runtime_error("h2hd did not start; stdout: " + seen
                             + "\nstderr: " + text);
  }
}

server_process::~server_process() {
  if (::testing::Test::HasFailure() || std::uncaught_exceptions() > 0)
    std::cerr << "---- h2hd log (pid " << pid_ << ") ----\n"
              << log() << "------\n";
  if (!exited_) {
    if (!stop(std::chrono::seconds{10})) {
      kill(pid_, SIGKILL);
      wait(std::chrono::seconds{5});
    }
  }
  if (stdout_fd_ >= 0)
    close(stdout_fd_);
  if (!log_path_.empty())
    unlink(log_path_.c_str());
}

void server_process::signal(int signo) const {
  if (!exited_)
    kill(pid_, signo);
}

std::optional<int> server_process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    auto r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      if (WIFEXITED(status))
        return WEXITSTATUS(status);
      if (WIFSIGNALED(status))
        return -WTERMSIG(status);
      return -1;
    }
    if (r < 0) {
      exited_ = true;
      return -1;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return std::nullopt;
    usleep(5000); // polling a child's exit: waitpid has no timeout
  }
}

std::optional<int> server_process::stop(std::chrono::milliseconds timeout) {
  if (exited_)
    return 0;
  kill(pid_, SIGTERM);
  return wait(timeout);
}

std::string server_process::log() const {
  std::ifstream in{log_path_};
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

bool sigkill_pid_file(const std::string& pid_file,
                      std::chrono::milliseconds timeout) {
  std::ifstream in{pid_file};
  pid_t pid = 0;
  if (!(in >> pid) || pid <= 1)
    return false;
  if (::kill(pid, SIGKILL) != 0)
    return false;
  // Not our child: gone once kill(0) fails, or a zombie its reaper has yet
  // to collect.
  auto gone = [pid] {
    if (::kill(pid, 0) != 0)
      return true;
    std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size()
           && line[close + 2] == 'Z';
  };
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!gone() && std::chrono::steady_clock::now() < deadline)
    usleep(10000); // polling another process's end
  std::filesystem::remove(pid_file);
  return gone();
}

std::vector<std::string> local_args(const temp_dir& dir,
                                    const std::vector<std::string>& more) {
  std::vector<std::string> args{"--port",
                                "0",
                                "--bind",
                                "127.0.0.1",
                                "--store.sqlite_path",
                                dir.path() + "/h2h.db"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::vector<std::string> trusted_mode(std::vector<std::string> args) {
  args.insert(args.end(),
              {"--auth.required", "false", "--limits.messages_per_second",
               "100000", "--limits.message_burst", "100000"});
  return args;
}

http_result http_request(std::uint16_t port, const std::string& method,
                         const std::string& target, const std::string& body,
                         const std::map<std::string, std::string>& headers) {
  return http_request_at("127.0.0.1", port, method, target, body, headers);
}

http_result http_request_at(const std::string& host, std::uint16_t port,
                            const std::string& method,
                            const std::string& target, const std::string& body,
                            const std::map<std::string, std::string>& headers) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  stream.expires_after(std::chrono::seconds{10});
  stream.connect(
    boost::asio::ip::tcp::endpoint{boost::asio::ip::make_address(host), port});
  // Synchronous Beast calls ignore expires_after: bound them in the kernel.
  timeval tv{10, 0};
  setsockopt(stream.socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv,
             sizeof(tv));
  setsockopt(stream.socket().native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv,
             sizeof(tv));
  http::request<http::string_body> req{http::string_to_verb(method), target,
                                       11};
  req.set(http::field::host, host);
  for (auto& [k, v] : headers)
    req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PATCH"
      || method == "PUT") {
    req.body() = body;
    if (headers.count("Content-Type") == 0)
      req.set(http::field::content_type, "application/json");
  }
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  http_result out;
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  for (auto& f : res)
    out.headers[std::string{f.name_string()}] = std::string{f.value()};
  beast::error_code ec;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  return out;
}

} // namespace h2h::test
