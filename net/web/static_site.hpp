// The chat page's files (web/) on the public port: content types, ETags and
// 304s, caching and security headers, only names of a known shape.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "net/http/http_types.hpp"

namespace h2h::net {

class router;

/// The Content-Type for a file name by its extension; empty for an
/// extension that is not served.
std::string_view web_content_type(std::string_view name);

/// A flat file name the site may serve: letters, digits, `_` and `-`, then
/// one or more `.ext` parts, a known extension last. Nothing else (no `/`,
/// no `..`, no dot files) ever reaches the file system.
bool web_file_name_ok(std::string_view name);

/// Files larger than this are not served from `web.dir`.
constexpr std::size_t web_file_max_bytes = 4 * 1024 * 1024;

/// The page's file set: built into the binary, or a directory's files
/// (read at each request, so that edits show at once during development).
class static_site {
public:
  /// The files cmake embedded from web/.
  static std::shared_ptr<const static_site> embedded();

  /// The files of `dir` whose names pass web_file_name_ok. Throws
  /// std::runtime_error when `dir` cannot be listed or has no index.html.
  static std::shared_ptr<const static_site>
  from_directory(const std::string& dir);

  /// The names served, index.html among them.
  std::vector<std::string> names() const;

  /// The answer to a GET of `name` (`req` gives If-None-Match, version and
  /// keep-alive): 200 with the file, 304 when the client's copy is
  /// current, 404 for a name not in the set (or gone from `web.dir`).
  http_response serve(const http_request& req, std::string_view name) const;

private:
  struct file {
    std::string body;
    std::string etag;
  };
  /// What is served for `name` now; false when it is not there.
  bool load(const std::string& name, file& out) const;

  std::map<std::string, file> files_;
  /// Empty: `files_` holds the bodies; otherwise they are read from here.
  std::string dir_;
};

/// Routes `GET /` (index.html) and `GET /<name>` for each file of `site`;
/// HEAD comes with GET (router).
void add_web_routes(router& r, std::shared_ptr<const static_site> site);

/// The chat page as `web` says: nothing unless `enabled`, the built-in
/// files, or those of `dir` (throws std::runtime_error as from_directory).
void add_chat_page(router& r, const config::web_section& web);

} // namespace h2h::net
