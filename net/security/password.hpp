// Password hashing with Argon2id (libsodium) and the password rule.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace h2h::net {

/// Cost of Argon2id: libsodium's "interactive" level by default.
struct password_cost {
  unsigned long long ops = 2;
  std::size_t memory_kib = 65536;
};

/// The encoded hash ($argon2id$...), with a fresh salt.
std::string hash_password(std::string_view password, const password_cost& c);

/// True when `password` matches the encoded hash.
bool verify_password(std::string_view password, const std::string& hash);

/// The original rule: at least 8 characters with an upper-case letter, a
/// lower-case letter, a digit and a symbol; at most 128 characters.
bool acceptable_password(std::string_view password);

} // namespace h2h::net
