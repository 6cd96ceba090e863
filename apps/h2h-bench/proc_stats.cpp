// Process figures from /proc and getrusage: server CPU and RSS, our own CPU.
#include "proc_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iterator>
#include <string>

namespace h2h::bench {

namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return std::nullopt;
  return std::string{std::istreambuf_iterator<char>{in}, {}};
}

/// Skips spaces, then parses one unsigned field and advances `pos`.
bool next_field(std::string_view s, std::size_t& pos, std::uint64_t* out) {
  while (pos < s.size() && s[pos] == ' ')
    ++pos;
  auto end = s.find_first_of(" \n", pos);
  if (end == s.npos)
    end = s.size();
  if (end == pos)
    return false;
  if (out != nullptr) {
    auto [ptr, ec] = std::from_chars(s.data() + pos, s.data() + end, *out);
    if (ec != std::errc{} || ptr != s.data() + end)
      return false;
  }
  pos = end;
  return true;
}

} // namespace

std::optional<proc_cpu_ticks> parse_proc_stat(std::string_view line) {
  auto close = line.rfind(')');
  if (close == line.npos || line.find('(') > close)
    return std::nullopt;
  // Fields after comm start with state (3rd); utime and stime are 14th, 15th.
  std::size_t pos = close + 1;
  for (int field = 3; field < 14; ++field)
    if (!next_field(line, pos, nullptr))
      return std::nullopt;
  proc_cpu_ticks t;
  if (!next_field(line, pos, &t.utime) || !next_field(line, pos, &t.stime))
    return std::nullopt;
  return t;
}

std::optional<std::uint64_t> parse_vm_rss_kb(std::string_view status) {
  constexpr std::string_view key = "VmRSS:";
  auto at = status.find(key);
  if (at == status.npos || (at > 0 && status[at - 1] != '\n'))
    return std::nullopt;
  auto pos = at + key.size();
  while (pos < status.size() && (status[pos] == ' ' || status[pos] == '\t'))
    ++pos;
  std::uint64_t kb = 0;
  auto [ptr, ec]
    = std::from_chars(status.data() + pos, status.data() + status.size(), kb);
  auto unit = status.substr(static_cast<std::size_t>(ptr - status.data()));
  if (ec != std::errc{} || unit.rfind(" kB", 0) != 0)
    return std::nullopt;
  return kb;
}

std::optional<double> process_cpu_seconds(int pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text)
    return std::nullopt;
  auto ticks = parse_proc_stat(*text);
  if (!ticks)
    return std::nullopt;
  auto hz = sysconf(_SC_CLK_TCK);
  return static_cast<double>(ticks->utime + ticks->stime)
         / static_cast<double>(hz > 0 ? hz : 100);
}

std::optional<std::uint64_t> process_rss_kb(int pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/status");
  if (!text)
    return std::nullopt;
  return parse_vm_rss_kb(*text);
}

double self_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec)
           + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

std::uint64_t raise_open_files_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  return static_cast<std::uint64_t>(lim.rlim_cur);
}

} // namespace h2h::bench
