// The interactive REPL on readline's callback interface: the main loop
// polls stdin itself, so that Ctrl-C (SIGINT) only cancels the line being
// typed, or the answer being waited for, and never ends the program.
#include "repl.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "complete.hpp"
#include "live_ids.hpp"

namespace h2h::admin {

namespace {

volatile std::sig_atomic_t interrupted = 0;

/// SIGTERM or SIGHUP (the terminal went away): leave the loop, so that
/// readline puts the terminal back as it found it.
volatile std::sig_atomic_t terminated = 0;

extern "C" void on_sigint(int) {
  interrupted = 1;
}

extern "C" void on_sigterm(int) {
  terminated = 1;
}

/// Ids of one kind fetched from the node, reused for a few seconds.
struct id_cache {
  std::vector<std::string> ids;
  std::chrono::steady_clock::time_point fetched{};
  bool valid = false;
};

struct repl_state {
  runner* run = nullptr;
  std::string history_path;
  std::string last_line;
  bool quit = false;
  bool failed = false;
  id_cache rooms, members, nodes;
  std::vector<std::string> completions;
};

repl_state* state = nullptr;

std::string history_file() {
  const char* home = std::getenv("HOME");
  std::string dir = home != nullptr ? home : "";
  if (dir.empty())
    if (auto* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir)
      dir = pw->pw_dir;
  return dir.empty() ? std::string{} : dir + "/.h2h_admin_history";
}

const std::vector<std::string>& live_ids(id_kind kind) {
  auto& c = kind == id_kind::rooms     ? state->rooms
            : kind == id_kind::members ? state->members
                                       : state->nodes;
  auto now = std::chrono::steady_clock::now();
  if (c.valid
      && now - c.fetched < std::chrono::milliseconds{completion_cache_ms})
    return c.ids;
  // Tab must not hang on a slow node: a short timeout, and on failure no
  // ids (the command names still complete).
  auto r = state->run->send(ids_request(kind), true, 2000, &interrupted);
  c.ids = r.what == connection::outcome::status::answered
            ? ids_from_answer(kind, r.answer)
            : std::vector<std::string>{};
  c.fetched = now;
  c.valid = r.what == connection::outcome::status::answered;
  return c.ids;
}

char* next_completion(const char*, int index) {
  static std::size_t i = 0;
  if (index == 0)
    i = 0;
  if (i >= state->completions.size())
    return nullptr;
  return ::strdup(state->completions[i++].c_str());
}

char** complete_word(const char* text, int start, int) {
  rl_attempted_completion_over = 1; // never complete file names
  auto slot = slot_at(rl_line_buffer, static_cast<std::size_t>(start));
  static const std::vector<std::string> none;
  auto& ids = slot.ids == id_kind::none ? none : live_ids(slot.ids);
  state->completions = matches(slot, ids, text);
  return rl_completion_matches(text, next_completion);
}

void remember(const std::string& line) {
  // Like bash's ignorespace: a line typed with a leading blank is not kept.
  if (line.empty() || line == state->last_line || line[0] == ' ')
    return;
  state->last_line = line;
  ::add_history(line.c_str());
  if (!state->history_path.empty())
    ::append_history(1, state->history_path.c_str());
}

void on_line(char* raw) {
  if (raw == nullptr) { // Ctrl-D on an empty line (readline ends the line)
    state->quit = true;
    rl_callback_handler_remove(); // no prompt after the last line
    return;
  }
  std::string line = raw;
  std::free(raw);
  remember(line);
  interrupted = 0;
  auto r = state->run->run(line, std::cout, std::cout, "", &interrupted);
  interrupted = 0;
  state->failed = state->failed || !r.ok;
  state->quit = r.quit;
  if (r.quit)
    rl_callback_handler_remove();
}

/// Ctrl-C while typing: drop the line, show a fresh prompt.
void cancel_line() {
  rl_free_line_state();
  rl_callback_sigcleanup();
  rl_replace_line("", 0);
  rl_point = rl_end = rl_mark = 0;
  std::fputs("^C\n", rl_outstream);
  rl_on_new_line();
  rl_redisplay();
}

void open_history(repl_state& s) {
  s.history_path = history_file();
  ::using_history();
  ::stifle_history(max_history_lines);
  if (s.history_path.empty())
    return;
  // append_history() needs the file; private, since lines may hold names.
  int fd = ::open(s.history_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd >= 0)
    ::close(fd);
  ::read_history(s.history_path.c_str());
}

} // namespace

int run_repl(runner& r) {
  repl_state s;
  s.run = &r;
  state = &s;
  open_history(s);
  rl_readline_name = "h2h-admin";
  rl_attempted_completion_function = complete_word;
  rl_basic_word_break_characters = const_cast<char*>(" \t\n");
  rl_completer_word_break_characters = const_cast<char*>(" \t\n");
  rl_catch_signals = 0; // SIGINT is ours (below), not readline's
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; // no SA_RESTART: poll() must return on Ctrl-C
  struct sigaction old_int {
  }, old_term{}, old_hup{};
  ::sigaction(SIGINT, &sa, &old_int);
  sa.sa_handler = on_sigterm;
  ::sigaction(SIGTERM, &sa, &old_term);
  ::sigaction(SIGHUP, &sa, &old_hup);
  auto prompt = "h2h " + r.conn().endpoint() + "> ";
  rl_callback_handler_install(prompt.c_str(), on_line);
  while (!s.quit && terminated == 0) {
    // The flag is read before each wait and the wait is short: a SIGINT
    // that lands between two polls (while readline handles a key) is not
    // left waiting for the next key.
    if (interrupted != 0) {
      interrupted = 0;
      cancel_line();
      continue;
    }
    pollfd p{STDIN_FILENO, POLLIN, 0};
    int n = ::poll(&p, 1, 100);
    if (n < 0 && errno != EINTR)
      break;
    if (n > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0)
      rl_callback_read_char();
  }
  rl_callback_handler_remove();
  if (!s.history_path.empty())
    ::history_truncate_file(s.history_path.c_str(), max_history_lines);
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  ::sigaction(SIGHUP, &old_hup, nullptr);
  state = nullptr;
  return s.failed ? exit_command_failed : exit_ok;
}

} // namespace h2h::admin
