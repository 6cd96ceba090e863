// The type of an image decided by its first bytes (PNG, JPEG, GIF, WebP),
// never by what the client claims.
#pragma once

#include <optional>
#include <string_view>

namespace h2h::net {

struct image_type {
  std::string_view mime;
  /// Extension without the dot, as used in avatar URLs.
  std::string_view ext;
};

/// The type of `bytes` by its signature, or nullopt for anything else.
std::optional<image_type> sniff_image(std::string_view bytes);

/// The type whose extension is `ext`, or nullopt.
std::optional<image_type> image_type_of_ext(std::string_view ext);

/// The type whose MIME type is `mime`, or nullopt.
std::optional<image_type> image_type_of_mime(std::string_view mime);

} // namespace h2h::net
