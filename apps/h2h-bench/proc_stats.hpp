// Process figures from /proc and getrusage: server CPU and RSS, our own CPU.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace h2h::bench {

/// utime and stime of one /proc/PID/stat line, in clock ticks.
struct proc_cpu_ticks {
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
};

/// Parses a /proc/PID/stat line. The comm field (2nd) is in parentheses and
/// may itself contain spaces and parentheses, so fields are counted from the
/// last ')'.
std::optional<proc_cpu_ticks> parse_proc_stat(std::string_view line);

/// VmRSS in kB from the text of /proc/PID/status.
std::optional<std::uint64_t> parse_vm_rss_kb(std::string_view status);

/// utime + stime of `pid` in seconds (ticks / sysconf(_SC_CLK_TCK)).
std::optional<double> process_cpu_seconds(int pid);

/// VmRSS of `pid` in kB.
std::optional<std::uint64_t> process_rss_kb(int pid);

/// This process's user + system CPU seconds (getrusage).
double self_cpu_seconds();

/// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft
/// limit.
std::uint64_t raise_open_files_limit();

} // namespace h2h::bench
