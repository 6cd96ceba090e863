// The chat page's files (web/) on the public port: content types, ETags and
// 304s, caching and security headers, only names of a known shape.
#include "net/web/static_site.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <boost/beast/http/field.hpp>

#include "net/http/router.hpp"
#include "net/security/crypto.hpp"
#include "net/web/embedded_web.hpp"

namespace h2h::net {

namespace http = boost::beast::http;

namespace {

/// Only this page's own origin: no inline script or style, no frames, no
/// other hosts. CSP 3's 'self' covers ws:/wss: to the same host, which the
/// page's WebSocket needs.
constexpr const char* page_policy
  = "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

std::string_view extension_of(std::string_view name) {
  auto dot = name.rfind('.');
  return dot == std::string_view::npos ? std::string_view{}
                                       : name.substr(dot + 1);
}

std::string etag_of(std::string_view body) {
  return '"' + crypto::sha256_hex(body).substr(0, 32) + '"';
}

/// If-None-Match (RFC 9110 §13.1.2): `*` or a list of entity tags,
/// compared weakly.
bool none_match(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    auto comma = header.find(',');
    auto tag = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{}
                                             : header.substr(comma + 1);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t'))
      tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t'))
      tag.remove_suffix(1);
    if (tag.substr(0, 2) == "W/")
      tag.remove_prefix(2);
    if (tag == "*" || tag == etag)
      return true;
  }
  return false;
}

} // namespace

std::string_view web_content_type(std::string_view name) {
  auto ext = extension_of(name);
  if (ext == "html")
    return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs")
    return "text/javascript; charset=utf-8";
  if (ext == "css")
    return "text/css; charset=utf-8";
  if (ext == "svg")
    return "image/svg+xml";
  if (ext == "png")
    return "image/png";
  if (ext == "ico")
    return "image/x-icon";
  if (ext == "json")
    return "application/json";
  if (ext == "webmanifest")
    return "application/manifest+json";
  if (ext == "txt")
    return "text/plain; charset=utf-8";
  if (ext == "woff2")
    return "font/woff2";
  return {};
}

bool web_file_name_ok(std::string_view name) {
  if (name.empty() || name.size() > 128 || web_content_type(name).empty())
    return false;
  auto alnum
    = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(name.front()))
    return false;
  bool after_dot = false, dotted = false;
  for (char c : name) {
    if (c == '.') {
      if (after_dot)
        return false; // ".." or an empty extension
      after_dot = dotted = true;
    } else if (alnum(c) || (!dotted && (c == '_' || c == '-'))) {
      after_dot = false;
    } else {
      return false;
    }
  }
  return dotted && !after_dot;
}

std::shared_ptr<const static_site> static_site::embedded() {
  auto site = std::make_shared<static_site>();
  for (auto& f : embedded_web_files())
    if (web_file_name_ok(f.name))
      site->files_[std::string{f.name}]
        = file{std::string{f.bytes}, etag_of(f.bytes)};
  return site;
}

std::shared_ptr<const static_site>
static_site::from_directory(const std::string& dir) {
  namespace fs = std::filesystem;
  auto site = std::make_shared<static_site>();
  site->dir_ = dir;
  std::error_code ec;
  for (fs::directory_iterator it{dir, ec}, end; !ec && it != end;
       it.increment(ec)) {
    auto name = it->path().filename().string();
    if (it->is_regular_file(ec) && web_file_name_ok(name))
      site->files_[name] = file{};
  }
  if (ec)
    throw std::runtime_error("web.dir " + dir + ": " + ec.message());
  if (site->files_.count("index.html") == 0)
    throw std::runtime_error("web.dir " + dir + " has no index.html");
  return site;
}

std::vector<std::string> static_site::names() const {
  std::vector<std::string> out;
  for (auto& [name, f] : files_)
    out.push_back(name);
  return out;
}

bool static_site::load(const std::string& name, file& out) const {
  auto it = files_.find(name);
  if (it == files_.end())
    return false;
  if (dir_.empty()) {
    out = it->second;
    return true;
  }
  // Development: a small local file, read on the I/O thread.
  std::ifstream in{dir_ + "/" + name, std::ios::binary};
  if (!in)
    return false;
  std::string body(web_file_max_bytes + 1, '\0');
  in.read(body.data(), static_cast<std::streamsize>(body.size()));
  auto got = static_cast<std::size_t>(in.gcount());
  if (got > web_file_max_bytes)
    return false;
  body.resize(got);
  out.etag = etag_of(body);
  out.body = std::move(body);
  return true;
}

http_response static_site::serve(const http_request& req,
                                 std::string_view name) const {
  file f;
  if (!load(std::string{name}, f))
    return error_response(req, errc::unknown_path, "no such file");
  http_response res{http::status::ok, req.version()};
  res.keep_alive(req.keep_alive());
  res.set(http::field::server, "h2h");
  res.set(http::field::etag, f.etag);
  // The page and its modules are one program and must never be stale (a
  // new page with an old module breaks); the rest (style, images) is
  // revalidated after a few minutes, at once when read from web.dir.
  auto type = web_content_type(name);
  bool program
    = type.rfind("text/html", 0) == 0 || type.rfind("text/javascript", 0) == 0;
  res.set(http::field::cache_control,
          program || !dir_.empty() ? "no-cache" : "public, max-age=300");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Content-Security-Policy", page_policy);
  res.set("Referrer-Policy", "no-referrer");
  auto inm = req[http::field::if_none_match];
  if (!inm.empty() && none_match(inm, f.etag)) {
    res.result(http::status::not_modified);
    return res; // no body, no Content-Length (RFC 9110 §15.4.5)
  }
  res.set(http::field::content_type, type);
  res.body() = std::move(f.body);
  res.prepare_payload();
  return res;
}

void add_web_routes(router& r, std::shared_ptr<const static_site> site) {
  auto route = [site](std::string name) {
    return
      [site, name](http_request& req, const path_params&, const request_meta&,
                   http_responder respond) { respond(site->serve(req, name)); };
  };
  r.add(http::verb::get, "/", route("index.html"));
  for (auto& name : site->names())
    r.add(http::verb::get, "/" + name, route(name));
}

void add_chat_page(router& r, const config::web_section& web) {
  if (!web.enabled)
    return;
  add_web_routes(r, web.dir.empty() ? static_site::embedded()
                                    : static_site::from_directory(web.dir));
}

} // namespace h2h::net
