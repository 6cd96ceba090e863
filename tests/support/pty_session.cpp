// A program in a pseudo-terminal (forkpty), and a program on pipes.
#include "pty_session.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char** environ;

namespace h2h::test {

namespace {

using clock = std::chrono::steady_clock;

/// "K=V" strings: the test's environment with `extra` on top.
std::vector<std::string>
environment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> all;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos)
      all[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (auto& [k, v] : extra)
    all[k] = v;
  std::vector<std::string> out;
  for (auto& [k, v] : all)
    out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int ms_left(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - clock::now())
                .count();
  return left < 0 ? 0 : static_cast<int>(left);
}

int decode_status(int st) {
  if (WIFEXITED(st))
    return WEXITSTATUS(st);
  if (WIFSIGNALED(st))
    return 128 + WTERMSIG(st);
  return -1;
}

/// Waits (bounded) for `pid`; its decoded status or nullopt.
std::optional<int> reap(pid_t pid, clock::time_point deadline) {
  for (;;) {
    int st = 0;
    pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid)
      return decode_status(st);
    if (r < 0)
      return -1;
    if (ms_left(deadline) == 0)
      return std::nullopt;
    ::poll(nullptr, 0, 10); // a child exit has no descriptor to wait on
  }
}

} // namespace

std::string strip_terminal_codes(std::string_view raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\x1b' && i + 1 < raw.size()) {
      char k = raw[++i];
      if (k == '[') { // CSI: parameters, then one final byte @..~
        while (i + 1 < raw.size() && !(raw[i + 1] >= '@' && raw[i + 1] <= '~'))
          ++i;
        ++i;
      } else if (k == ']') { // OSC: up to BEL or ESC backslash
        while (i + 1 < raw.size() && raw[i + 1] != '\a' && raw[i + 1] != '\x1b')
          ++i;
        ++i;
        if (i < raw.size() && raw[i] == '\x1b')
          ++i;
      } else if (k == '(' || k == ')') {
        ++i; // charset selection: one more byte
      }
      continue;
    }
    if (c == '\r' || c == '\a' || c == '\b')
      continue;
    out += c;
  }
  return out;
}

pty_session::pty_session(const std::string& binary,
                         const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env,
                         unsigned short cols, unsigned short rows) {
  auto extra = env;
  extra.emplace("TERM", "xterm");
  extra.emplace("INPUTRC", "/dev/null");
  auto env_strings = environment(extra);
  auto envp = pointers(env_strings);
  std::vector<std::string> argv_strings{binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  auto argv = pointers(argv_strings);
  winsize ws{};
  ws.ws_col = cols;
  ws.ws_row = rows;
  pid_ = ::forkpty(&master_, nullptr, nullptr, &ws);
  if (pid_ < 0)
    throw std::runtime_error(std::string{"forkpty: "} + std::strerror(errno));
  if (pid_ == 0) {
    // If the test dies, the program goes with it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  ::fcntl(master_, F_SETFL, ::fcntl(master_, F_GETFL) | O_NONBLOCK);
  ::fcntl(master_, F_SETFD, FD_CLOEXEC);
}

pty_session::~pty_session() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    reap(pid_, clock::now() + std::chrono::seconds{5});
  }
  if (master_ >= 0)
    ::close(master_);
}

void pty_session::send(std::string_view bytes) {
  auto deadline = clock::now() + std::chrono::seconds{5};
  while (!bytes.empty()) {
    auto n = ::write(master_, bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      throw std::runtime_error("the terminal is gone");
    if (ms_left(deadline) == 0)
      throw std::runtime_error("the program does not read its terminal");
    pump(ms{10}); // drain its output so that it can take more input
  }
}

void pty_session::type_line(std::string_view line) {
  send(line);
  send(keys::enter);
}

bool pty_session::pump(ms wait) {
  pollfd p{master_, POLLIN, 0};
  int n = ::poll(&p, 1, static_cast<int>(wait.count()));
  if (n <= 0)
    return true;
  bool alive = true;
  for (;;) {
    char buf[4096];
    auto r = ::read(master_, buf, sizeof buf);
    if (r > 0) {
      raw_.append(buf, static_cast<std::size_t>(r));
      continue;
    }
    if (r < 0 && errno == EAGAIN)
      break;
    if (r < 0 && errno == EINTR)
      continue;
    alive = false; // EIO: every process closed the terminal
    break;
  }
  return alive;
}

bool pty_session::line_mode() const {
  termios t{};
  if (::tcgetattr(master_, &t) != 0)
    return false;
  return (t.c_lflag & ICANON) != 0 && (t.c_lflag & ECHO) != 0;
}

std::string pty_session::screen() const {
  return strip_terminal_codes(raw_);
}

std::string pty_session::since_cursor() const {
  auto s = screen();
  return cursor_ < s.size() ? s.substr(cursor_) : std::string{};
}

bool pty_session::wait_for(std::string_view text, ms timeout) {
  auto deadline = clock::now() + timeout;
  for (;;) {
    auto s = screen();
    if (auto at = s.find(text, cursor_); at != std::string::npos) {
      cursor_ = at + text.size();
      return true;
    }
    if (ms_left(deadline) == 0)
      return false;
    if (!pump(ms{std::min(ms_left(deadline), 50)})) {
      s = screen();
      if (auto at = s.find(text, cursor_); at != std::string::npos) {
        cursor_ = at + text.size();
        return true;
      }
      return false;
    }
  }
}

std::optional<int> pty_session::wait_exit(ms timeout) {
  if (status_)
    return status_;
  auto deadline = clock::now() + timeout;
  for (;;) {
    pump(ms{0});
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      pump(ms{0});
      status_ = decode_status(st);
      return status_;
    }
    if (ms_left(deadline) == 0)
      return std::nullopt;
    pump(ms{std::min(ms_left(deadline), 20)});
  }
}

program_result run_program(const std::string& binary,
                           const std::vector<std::string>& args,
                           const std::string& input,
                           const std::map<std::string, std::string>& env,
                           std::chrono::milliseconds timeout) {
  auto env_strings = environment(env);
  auto envp = pointers(env_strings);
  std::vector<std::string> argv_strings{binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  auto argv = pointers(argv_strings);
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0
      || ::pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    ::execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  ::fcntl(in[1], F_SETFL, O_NONBLOCK);
  program_result res;
  auto deadline = clock::now() + timeout;
  std::size_t written = 0;
  int in_fd = in[1];
  if (input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  int open_fds[2] = {out[0], err[0]};
  std::string* sinks[2] = {&res.out, &res.err};
  while ((open_fds[0] >= 0 || open_fds[1] >= 0) && ms_left(deadline) > 0) {
    pollfd p[3] = {
      {open_fds[0], POLLIN, 0}, {open_fds[1], POLLIN, 0}, {in_fd, POLLOUT, 0}};
    if (::poll(p, 3, std::min(ms_left(deadline), 100)) < 0 && errno != EINTR)
      break;
    for (int i = 0; i < 2; ++i) {
      if (open_fds[i] < 0 || p[i].revents == 0)
        continue;
      char buf[4096];
      auto r = ::read(open_fds[i], buf, sizeof buf);
      if (r > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        ::close(open_fds[i]);
        open_fds[i] = -1;
      }
    }
    if (in_fd >= 0 && p[2].revents != 0) {
      auto w = ::write(in_fd, input.data() + written, input.size() - written);
      if (w > 0)
        written += static_cast<std::size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR)
          || written == input.size()) {
        ::close(in_fd);
        in_fd = -1;
      }
    }
  }
  for (int fd : {open_fds[0], open_fds[1], in_fd})
    if (fd >= 0)
      ::close(fd);
  auto st = reap(pid, deadline);
  if (!st) {
    ::kill(pid, SIGKILL);
    reap(pid, clock::now() + std::chrono::seconds{5});
    res.status = -1;
  } else {
    res.status = *st;
  }
  return res;
}

} // namespace h2h::test
