// How the libFuzzer harnesses report a broken invariant: what broke and the
// input (part) that broke it on stderr, then abort(), which libFuzzer takes
// for a crash and keeps the input of.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string_view>

// The harness's name, first word of every report (tests/fuzz/CMakeLists.txt
// sets it to the target's name).
#ifndef H2H_FUZZ_HARNESS
#  error "H2H_FUZZ_HARNESS must name the harness"
#endif

namespace h2h::fuzz {

/// Reports the broken invariant `what` with `detail` (cut to 4000 bytes)
/// and aborts.
[[noreturn]] inline void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, H2H_FUZZ_HARNESS ": invariant broken: %s\n", what);
  if (!detail.empty())
    std::fprintf(stderr, "%.*s\n",
                 static_cast<int>(std::min<std::size_t>(detail.size(), 4000)),
                 detail.data());
  std::abort();
}

/// fail() unless `ok`.
inline void check(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok)
    fail(what, detail);
}

} // namespace h2h::fuzz
