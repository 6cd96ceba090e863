// Password hashing with Argon2id (libsodium). The only user of sodium.h.
#include "net/security/password.hpp"

#include <sodium.h>

#include <cctype>
#include <stdexcept>

namespace h2h::net {

namespace {

void init_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok)
    throw std::runtime_error("libsodium cannot start");
}

} // namespace

std::string hash_password(std::string_view password, const password_cost& c) {
  init_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), c.ops,
                            c.memory_kib * 1024, crypto_pwhash_ALG_ARGON2ID13)
      != 0)
    throw std::runtime_error("out of memory while hashing a password");
  return out;
}

bool verify_password(std::string_view password, const std::string& hash) {
  init_sodium();
  if (hash.size() >= crypto_pwhash_STRBYTES)
    return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(),
                                  password.size())
         == 0;
}

bool acceptable_password(std::string_view pw) {
  if (pw.size() < 8 || pw.size() > 128)
    return false;
  bool upper = false, lower = false, digit = false, symbol = false;
  for (unsigned char c : pw) {
    if (std::isupper(c))
      upper = true;
    else if (std::islower(c))
      lower = true;
    else if (std::isdigit(c))
      digit = true;
    else if (c >= 0x21 && c <= 0x7E)
      symbol = true;
  }
  return upper && lower && digit && symbol;
}

} // namespace h2h::net
