// One line of h2h-admin from text to printed answer.
#include "runner.hpp"

#include <chrono>

#include "command_table.hpp"
#include "parse.hpp"
#include "render.hpp"

namespace h2h::admin {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

runner::runner(const cli_options& options)
  : options_(options)
  , conn_(options.host, options.port, options.token,
          options.connect_timeout_ms) {
}

connection::outcome
runner::send(const std::string& request, bool retry_safe, int timeout_ms,
             const volatile std::sig_atomic_t* interrupted) {
  using status = connection::outcome::status;
  connection::outcome r;
  if (conn_.is_open()) {
    r = conn_.exchange(request, timeout_ms, interrupted);
    if (r.what != status::dropped || (r.sent && !retry_safe)) {
      if (r.what == status::dropped)
        r.error += " (the command may or may not have been done; it is not "
                   "sent again)";
      return r;
    }
  }
  // Not connected yet, or the connection dropped: one new connection.
  auto why = conn_.open();
  if (!why.empty()) {
    r.what = status::dropped;
    r.sent = false;
    r.error = why;
    return r;
  }
  return conn_.exchange(request, timeout_ms, interrupted);
}

runner::line_result runner::run(std::string_view line, std::ostream& out,
                                std::ostream& err, const std::string& where,
                                const volatile std::sig_atomic_t* interrupted) {
  line_result result;
  auto p = parse_line(line);
  switch (p.what) {
    case parsed_line::kind::empty:
      return result;
    case parsed_line::kind::quit:
      result.quit = true;
      return result;
    case parsed_line::kind::help:
      out << p.text << std::flush;
      return result;
    case parsed_line::kind::error:
      err << "(error) " << where << p.text << std::endl;
      result.ok = false;
      return result;
    case parsed_line::kind::request:
      break;
  }
  auto r = send(p.request, p.command->retry_safe, options_.answer_timeout_ms,
                interrupted);
  if (r.what != connection::outcome::status::answered) {
    err << "(error) " << where << p.command->name << ": " << r.error
        << std::endl;
    result.ok = false;
    return result;
  }
  auto shown = render_answer(r.answer, options_.json, wall_ms());
  out << shown.text << std::flush;
  result.ok = shown.ok;
  return result;
}

} // namespace h2h::admin
