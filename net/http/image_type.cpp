// Image signatures: PNG (RFC 2083), JPEG (SOI + marker), GIF87a/89a, WebP
// (RIFF....WEBP).
#include "net/http/image_type.hpp"

namespace h2h::net {

namespace {

constexpr image_type png{"image/png", "png"};
constexpr image_type jpeg{"image/jpeg", "jpg"};
constexpr image_type gif{"image/gif", "gif"};
constexpr image_type webp{"image/webp", "webp"};

bool starts(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

} // namespace

std::optional<image_type> sniff_image(std::string_view b) {
  using namespace std::string_view_literals;
  if (starts(b, "\x89PNG\r\n\x1a\n"sv) && b.size() > 8)
    return png;
  if (starts(b, "\xff\xd8\xff"sv) && b.size() > 3)
    return jpeg;
  if ((starts(b, "GIF87a"sv) || starts(b, "GIF89a"sv)) && b.size() > 6)
    return gif;
  if (b.size() > 12 && starts(b, "RIFF"sv) && b.substr(8, 4) == "WEBP"sv)
    return webp;
  return std::nullopt;
}

std::optional<image_type> image_type_of_ext(std::string_view ext) {
  for (auto t : {png, jpeg, gif, webp})
    if (t.ext == ext)
      return t;
  return std::nullopt;
}

std::optional<image_type> image_type_of_mime(std::string_view mime) {
  for (auto t : {png, jpeg, gif, webp})
    if (t.mime == mime)
      return t;
  return std::nullopt;
}

} // namespace h2h::net
