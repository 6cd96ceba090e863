// multipart/form-data (RFC 7578 over RFC 2046) as a pure whole-body parser:
// the boundary from the Content-Type, parts with their disposition and type.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace h2h::net::multipart {

/// Bounds of one parse; a body past any of them is refused as a whole.
struct limits {
  std::size_t max_parts = 8;
  /// Bytes of one part's header block (its lines with their CRLFs).
  std::size_t max_header_bytes = 2048;
  std::size_t max_total_bytes = 4 * 1024 * 1024;
};

/// One part. A part's own Content-Type is only a label: a text part typed
/// `multipart/form-data; charset=utf-8` (what OkHttp sends) is a plain
/// field, never parsed as nested multipart.
struct part {
  std::string name;
  std::optional<std::string> filename;
  /// As sent, empty when absent.
  std::string content_type;
  std::string body;
};

enum class failure {
  none,
  /// The request's Content-Type is not multipart/form-data with a valid
  /// boundary.
  bad_content_type,
  /// The body does not follow the framing rules.
  malformed,
  /// A limit of `limits` was passed.
  too_large,
};

struct result {
  failure error = failure::none;
  /// Why, for the client (empty when the parse succeeded).
  std::string message;
  std::vector<part> parts;

  bool ok() const {
    return error == failure::none;
  }
  /// The first part of that name, or null.
  const part* find(std::string_view name) const;
};

/// The boundary of a `multipart/form-data` Content-Type (quoted or not),
/// checked against RFC 2046 §5.1.1 (1..70 bchars, not ending in a space);
/// nullopt when there is none or it is invalid.
std::optional<std::string> boundary_of(std::string_view content_type);

/// Parses a whole body. Delimiter lines end in CRLF (transport padding of
/// spaces and tabs before it is allowed); the preamble and the epilogue are
/// ignored; a part needs a Content-Disposition of form-data with a name; a
/// Content-Length header of a part, if any, must equal its body's length.
result parse(std::string_view content_type, std::string_view body,
             const limits& lim = {});

} // namespace h2h::net::multipart
