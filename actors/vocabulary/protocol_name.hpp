// Wire protocol names, kept once per process.
#pragma once

#include <cstddef>
#include <string_view>

namespace h2h {

/// The process's copy of a wire protocol's name ("raw-json", "stomp",
/// "sse", ...): sessions, room member entries and the admin actor's
/// session entries hold this pointer (8 bytes) instead of a 32-byte
/// std::string each (an idle connection's memory, docs/benchmarks.md).
/// Thread-safe; the pointer stays valid for the process's life. At most
/// `max_protocol_names` distinct names are kept (a peer node names the
/// protocols of its sessions too); further names read "other". The empty
/// name is "".
const char* protocol_name(std::string_view name);

inline constexpr std::size_t max_protocol_names = 16;

} // namespace h2h
