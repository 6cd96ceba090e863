// libFuzzer harness of the multipart/form-data parser (net/http/
// multipart.hpp): any Content-Type and body give parts within the limits or
// one error with a message; accepted parts serialize back (with the same
// boundary) to a body that parses to the same parts.
//
// Input: [limits][n][n bytes of Content-Type][body...]
//   limits  bit 0: tiny limits (2 parts, 64 header bytes, 512 bytes);
//           bit 1: ignore the given Content-Type and use boundary "b";
//   n       length of the Content-Type that follows.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "invariant.hpp"
#include "net/http/multipart.hpp"

namespace mp = h2h::net::multipart;

namespace {

using h2h::fuzz::check;

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (auto c : s) {
    if (c == '"' || c == '\\')
      out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::string serialize(const mp::result& r, const std::string& boundary) {
  std::string out;
  for (const auto& p : r.parts) {
    out += "--" + boundary
           + "\r\nContent-Disposition: form-data; name=" + quoted(p.name);
    if (p.filename)
      out += "; filename=" + quoted(*p.filename);
    out += "\r\n";
    if (!p.content_type.empty())
      out += "Content-Type: " + p.content_type + "\r\n";
    out += "\r\n" + p.body + "\r\n";
  }
  return out + "--" + boundary + "--\r\n";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size < 2)
    return 0;
  mp::limits lim;
  if (data[0] & 1) {
    lim.max_parts = 2;
    lim.max_header_bytes = 64;
    lim.max_total_bytes = 512;
  }
  std::size_t n = data[1];
  if (size < 2 + n)
    return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string ctype(in.substr(2, n));
  if (data[0] & 2)
    ctype = "multipart/form-data; boundary=b";
  auto body = in.substr(2 + n);
  auto r = mp::parse(ctype, body, lim);
  if (!r.ok()) {
    check(!r.message.empty(), "an error without a message", body);
    check(r.parts.empty(), "an error with parts", body);
    return 0;
  }
  check(r.message.empty(), "a success with a message", body);
  check(!r.parts.empty() && r.parts.size() <= lim.max_parts,
        "part count outside 1..max_parts", body);
  check(body.size() <= lim.max_total_bytes, "a body past max_total_bytes",
        body);
  for (const auto& p : r.parts) {
    check(!p.name.empty(), "a part without a name", body);
    check(body.find(p.body) != std::string_view::npos,
          "a part body that is not in the input", p.body);
  }
  auto boundary = mp::boundary_of(ctype);
  check(boundary.has_value(), "accepted with an invalid boundary", ctype);
  auto again = mp::parse(ctype, serialize(r, *boundary), mp::limits{});
  check(again.ok(), "serialized parts do not parse", again.message);
  check(again.parts.size() == r.parts.size(), "round trip changed the count",
        body);
  for (std::size_t i = 0; i < r.parts.size(); ++i) {
    const auto& a = r.parts[i];
    const auto& b = again.parts[i];
    check(a.name == b.name && a.filename == b.filename
            && a.content_type == b.content_type && a.body == b.body,
          "round trip changed a part", body);
  }
  return 0;
}
