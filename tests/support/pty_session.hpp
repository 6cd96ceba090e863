// Drives a program in a pseudo-terminal as a person would (keys in, screen
// text out), and runs a program with piped stdin/stdout for the
// non-interactive cases. Every wait is bounded.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace h2h::test {

/// Keys as a terminal sends them.
namespace keys {
inline constexpr std::string_view enter = "\r";
inline constexpr std::string_view tab = "\t";
inline constexpr std::string_view ctrl_c = "\x03";
inline constexpr std::string_view ctrl_d = "\x04";
inline constexpr std::string_view up = "\x1b[A";
} // namespace keys

/// Usage, as tests/apps/h2h-admin/repl_pty_test.cpp does:
///   pty_session s{H2H_ADMIN_PATH, {"--port", port}, {{"HOME", dir}}};
///   ASSERT_TRUE(s.wait_for("h2h 127.0.0.1:" + port + "> "));
///   s.type_line("rooms");
///   ASSERT_TRUE(s.wait_for("lobby")) << s.screen();
///   s.send("room lob"); s.send(keys::tab); s.send(keys::enter);
///   s.send(keys::ctrl_d); ASSERT_EQ(s.wait_exit(), 0);
/// wait_for() moves a cursor past each match, so a second wait_for of the
/// same text waits for its next appearance (the next prompt, say).
class pty_session {
public:
  using ms = std::chrono::milliseconds;

  /// Starts `binary args...` on a new pseudo-terminal (cols x rows) with
  /// the environment of the test plus `env` (TERM defaults to xterm and
  /// INPUTRC to /dev/null, so that no inputrc of the machine changes the
  /// keys). Throws std::runtime_error when that fails.
  pty_session(const std::string& binary, const std::vector<std::string>& args,
              const std::map<std::string, std::string>& env = {},
              unsigned short cols = 160, unsigned short rows = 48);

  /// Kills the program if it still runs (SIGKILL) and reaps it.
  ~pty_session();

  pty_session(const pty_session&) = delete;
  pty_session& operator=(const pty_session&) = delete;

  /// Types `bytes` (use keys:: for special keys).
  void send(std::string_view bytes);

  /// Types `line` and Enter.
  void type_line(std::string_view line);

  /// Waits until `text` appears in the screen text after the cursor (see
  /// screen()); on success moves the cursor past it. False on timeout or
  /// when the program ended without printing it.
  bool wait_for(std::string_view text, ms timeout = ms{5000});

  /// Everything the program printed, with terminal control sequences
  /// removed and "\r\n" as "\n".
  std::string screen() const;

  /// screen() from the cursor on (what came since the last wait_for).
  std::string since_cursor() const;

  /// Waits for the program to exit; its status (or 128 + signal), or
  /// nullopt on timeout.
  std::optional<int> wait_exit(ms timeout = ms{5000});

  /// True when the terminal is in line mode with echo (ICANON and ECHO),
  /// as a shell expects it back when the program has left.
  bool line_mode() const;

  pid_t pid() const {
    return pid_;
  }

private:
  /// Reads what is there, waiting at most `wait`; false once the program
  /// closed the terminal.
  bool pump(ms wait);

  pid_t pid_ = -1;
  int master_ = -1;
  std::string raw_;
  std::size_t cursor_ = 0;
  std::optional<int> status_;
};

/// Removes terminal control sequences (CSI, OSC, other ESC sequences, BEL,
/// backspace) and carriage returns from `raw`.
std::string strip_terminal_codes(std::string_view raw);

/// The outcome of run_program.
struct program_result {
  int status = -1; ///< exit status, 128 + signal, or -1 on timeout
  std::string out;
  std::string err;
};

/// Runs `binary args...` with `input` on stdin (a pipe, not a terminal)
/// and the environment of the test plus `env`; kills it after `timeout`.
program_result
run_program(const std::string& binary, const std::vector<std::string>& args,
            const std::string& input = {},
            const std::map<std::string, std::string>& env = {},
            std::chrono::milliseconds timeout = std::chrono::seconds{20});

} // namespace h2h::test
