// Whole-number query parameters (page, size, before, limit) read purely from
// a request target, with one error text for every route.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace h2h::net {

/// Reads the optional parameter `name` of `target` into `out` when present
/// (`present` tells); it must be a whole number from `lo` to `hi`. False,
/// with `problem` set for the client (GLOBAL_002), when it is not.
bool read_uint_param(std::string_view target, std::string_view name,
                     std::uint64_t lo, std::uint64_t hi, std::uint64_t& out,
                     bool& present, std::string& problem);

} // namespace h2h::net
