// Whole-number query parameters (page, size, before, limit) read purely from
// a request target, with one error text for every route.
#include "net/http/query_params.hpp"

#include <charconv>

#include "net/http/http_types.hpp"

namespace h2h::net {

bool read_uint_param(std::string_view target, std::string_view name,
                     std::uint64_t lo, std::uint64_t hi, std::uint64_t& out,
                     bool& present, std::string& problem) {
  auto v = query_param(target, name);
  present = v.found;
  if (!v.found)
    return true;
  std::uint64_t x = 0;
  auto r = std::from_chars(v.value.data(), v.value.data() + v.value.size(), x);
  if (r.ec != std::errc{} || r.ptr != v.value.data() + v.value.size()
      || v.value.empty() || x < lo || x > hi) {
    problem = std::string{name} + " must be a whole number from "
              + std::to_string(lo) + " to " + std::to_string(hi);
    return false;
  }
  out = x;
  return true;
}

} // namespace h2h::net
