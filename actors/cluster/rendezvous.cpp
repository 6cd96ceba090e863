// Which node owns a room: rendezvous hashing of the room id over node ids.
#include "actors/cluster/rendezvous.hpp"

namespace h2h {

namespace {

/// FNV-1a, 64 bits, over `bytes`, continuing from `h`.
std::uint64_t fnv1a(std::uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// splitmix64's finaliser: FNV alone mixes the last bytes poorly, which
/// would skew ownership for ids that differ only at their end (n1, n2, n3).
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

} // namespace

std::uint64_t rendezvous_weight(std::string_view node, std::string_view room) {
  auto h = fnv1a(0xcbf29ce484222325ULL, node);
  h = fnv1a(h ^ 0xff, std::string_view{"\0", 1}); // node "a"+"bc" != "ab"+"c"
  h = fnv1a(h, room);
  return mix(h);
}

const std::string* rendezvous_owner(std::string_view room,
                                    const std::vector<std::string>& nodes) {
  const std::string* best = nullptr;
  std::uint64_t best_weight = 0;
  for (auto& n : nodes) {
    auto w = rendezvous_weight(n, room);
    if (!best || w > best_weight || (w == best_weight && n < *best)) {
      best = &n;
      best_weight = w;
    }
  }
  return best;
}

} // namespace h2h
