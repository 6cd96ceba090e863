// Hashes, MACs, randomness and base64 for the protocol and for tokens. Of
// the chat's code only crypto.cpp includes OpenSSL's headers (the RS256
// signature for FCM's OAuth2 has its own, net/outbound/rs256.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace h2h::net::crypto {

/// Raw SHA-1 digest (20 bytes), for the WebSocket handshake only.
std::string sha1(std::string_view data);

/// SHA-256 as 64 lowercase hex characters.
std::string sha256_hex(std::string_view data);

/// Raw HMAC-SHA256 (32 bytes).
std::string hmac_sha256(std::string_view key, std::string_view data);

/// Compares in time independent of where the inputs differ.
bool equal_constant_time(std::string_view a, std::string_view b);

/// `n` bytes from the operating system's CSPRNG.
std::string random_bytes(std::size_t n);

/// Standard base64 with padding.
std::string base64(std::string_view data);

/// base64url without padding (RFC 7515 §2).
std::string base64url(std::string_view data);

/// Decodes base64url without padding; false on invalid input.
bool base64url_decode(std::string_view in, std::string& out);

/// A random token of `bytes` bytes, base64url-encoded.
std::string random_token(std::size_t bytes = 32);

/// A random string of decimal digits.
std::string random_digits(std::size_t n);

} // namespace h2h::net::crypto
