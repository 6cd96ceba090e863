// The chat page's files on the public port: content types, ETag/304, HEAD,
// 404, names that could leave the directory, caching and security headers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <boost/beast/http/field.hpp>

#include "net/http/router.hpp"
#include "net/web/static_site.hpp"

namespace {

using namespace h2h::net;
namespace http = boost::beast::http;

http_request get(std::string target, http::verb method = http::verb::get) {
  http_request req{method, target, 11};
  return req;
}

/// Dispatches through a router with the site's routes, as h2hd does.
http_response ask(const router& r, http_request req) {
  http_response out;
  bool answered = false;
  r.dispatch(std::move(req), request_meta{}, [&](http_response res) {
    out = std::move(res);
    answered = true;
  });
  EXPECT_TRUE(answered);
  return out;
}

router routes_of(std::shared_ptr<const static_site> site) {
  router r;
  add_web_routes(r, std::move(site));
  return r;
}

TEST(web_content_type, names_the_types_the_page_uses) {
  EXPECT_EQ(web_content_type("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(web_content_type("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(web_content_type("style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(web_content_type("favicon.svg"), "image/svg+xml");
  EXPECT_EQ(web_content_type("logo.png"), "image/png");
  EXPECT_EQ(web_content_type("notes.md"), "");
  EXPECT_EQ(web_content_type("Makefile"), "");
}

TEST(web_file_name_ok, accepts_flat_names_with_a_known_extension_only) {
  EXPECT_TRUE(web_file_name_ok("index.html"));
  EXPECT_TRUE(web_file_name_ok("app-2.min.js"));
  EXPECT_TRUE(web_file_name_ok("my_style.css"));
  for (const char* bad : {"", ".", "..", "../etc/passwd", "..%2fetc", "a/b.js",
                          "a\\b.js", ".hidden.js", "app..js", "app.js.", "app.",
                          "-x.js", "app.exe", "a b.js", "%2e%2e.js", "app.js~"})
    EXPECT_FALSE(web_file_name_ok(bad)) << bad;
}

TEST(static_site, the_built_in_page_is_served_at_the_root_with_its_files) {
  auto r = routes_of(static_site::embedded());
  auto page = ask(r, get("/"));
  EXPECT_EQ(page.result_int(), 200);
  EXPECT_EQ(page[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_NE(page.body().find("<script type=\"module\" src=\"app.js\">"),
            std::string::npos);
  EXPECT_EQ(page[http::field::cache_control], "no-cache");
  EXPECT_EQ(page["X-Content-Type-Options"], "nosniff");
  auto csp = std::string{page["Content-Security-Policy"]};
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe"), std::string::npos);
  EXPECT_EQ(ask(r, get("/index.html")).body(), page.body());

  auto js = ask(r, get("/app.js"));
  EXPECT_EQ(js.result_int(), 200);
  EXPECT_EQ(js[http::field::content_type], "text/javascript; charset=utf-8");
  // The modules and the page are one program: never a stale module.
  EXPECT_EQ(js[http::field::cache_control], "no-cache");
  EXPECT_EQ(ask(r, get("/style.css"))[http::field::cache_control],
            "public, max-age=300");
  for (auto module : {"/room.js", "/session.js", "/ui.js"})
    EXPECT_EQ(ask(r, get(module))[http::field::content_type],
              "text/javascript; charset=utf-8")
      << module;
  EXPECT_EQ(ask(r, get("/style.css"))[http::field::content_type],
            "text/css; charset=utf-8");
  EXPECT_EQ(ask(r, get("/favicon.svg"))[http::field::content_type],
            "image/svg+xml");
}

TEST(static_site, a_matching_if_none_match_gets_304_without_a_body) {
  auto r = routes_of(static_site::embedded());
  auto first = ask(r, get("/app.js"));
  auto etag = std::string{first[http::field::etag]};
  ASSERT_EQ(etag.size(), 34u);
  EXPECT_EQ(etag.front(), '"');
  for (auto inm : {etag, "W/" + etag, "\"other\", " + etag, std::string{"*"}}) {
    auto req = get("/app.js");
    req.set(http::field::if_none_match, inm);
    auto again = ask(r, std::move(req));
    EXPECT_EQ(again.result_int(), 304) << inm;
    EXPECT_TRUE(again.body().empty());
    EXPECT_EQ(again[http::field::etag], etag);
    EXPECT_EQ(again[http::field::cache_control], "no-cache");
  }
  auto req = get("/app.js");
  req.set(http::field::if_none_match, "\"stale\"");
  EXPECT_EQ(ask(r, std::move(req)).result_int(), 200);
  // Each file has its own tag.
  EXPECT_NE(ask(r, get("/style.css"))[http::field::etag], etag);
}

TEST(static_site, head_has_the_headers_of_get_and_no_body) {
  auto r = routes_of(static_site::embedded());
  auto full = ask(r, get("/style.css"));
  auto head = ask(r, get("/style.css", http::verb::head));
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_TRUE(head.body().empty());
  EXPECT_EQ(head[http::field::content_length],
            std::to_string(full.body().size()));
  EXPECT_EQ(head[http::field::etag], full[http::field::etag]);
  EXPECT_EQ(head[http::field::content_type], full[http::field::content_type]);
}

TEST(static_site, unknown_files_and_escapes_get_404_and_other_methods_405) {
  auto r = routes_of(static_site::embedded());
  for (const char* target :
       {"/nope.js", "/../CMakeLists.txt", "/%2e%2e/CMakeLists.txt",
        "/web/app.js", "/app.js/", "/.gitignore", "//etc/passwd"}) {
    auto res = ask(r, get(target));
    EXPECT_EQ(res.result_int(), 404) << target;
    EXPECT_NE(res.body().find("GLOBAL_001"), std::string::npos) << target;
  }
  EXPECT_EQ(ask(r, get("/app.js", http::verb::post)).result_int(), 405);
  EXPECT_EQ(ask(r, get("/", http::verb::delete_)).result_int(), 405);
}

TEST(add_chat_page, follows_web_enabled_and_web_dir) {
  h2h::config::web_section web;
  router on;
  add_chat_page(on, web);
  EXPECT_EQ(ask(on, get("/")).result_int(), 200);
  web.enabled = false;
  router off;
  add_chat_page(off, web);
  EXPECT_EQ(ask(off, get("/")).result_int(), 404);
  EXPECT_EQ(ask(off, get("/app.js")).result_int(), 404);
  web.enabled = true;
  web.dir = "/no/such/dir";
  router bad;
  EXPECT_THROW(add_chat_page(bad, web), std::runtime_error);
}

struct web_dir : ::testing::Test {
  std::filesystem::path dir;
  void SetUp() override {
    dir = std::filesystem::temp_directory_path()
          / ("h2h-web-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "sub");
    write("index.html", "<p>dev page</p>");
    write("app.js", "console.log(1)");
    write(".env", "SECRET=1");
    write("notes.md", "not served");
    write("sub/inner.js", "nested");
  }
  void TearDown() override {
    std::filesystem::remove_all(dir);
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream{dir / name, std::ios::binary} << text;
  }
};

TEST_F(web_dir, serves_the_directory_files_and_shows_edits_at_once) {
  auto site = static_site::from_directory(dir.string());
  EXPECT_EQ(site->names(), (std::vector<std::string>{"app.js", "index.html"}));
  auto r = routes_of(site);
  auto page = ask(r, get("/"));
  EXPECT_EQ(page.body(), "<p>dev page</p>");
  EXPECT_EQ(page[http::field::content_type], "text/html; charset=utf-8");
  auto js = ask(r, get("/app.js"));
  EXPECT_EQ(js[http::field::cache_control], "no-cache");
  write("app.js", "console.log(2)");
  auto edited = ask(r, get("/app.js"));
  EXPECT_EQ(edited.body(), "console.log(2)");
  EXPECT_NE(edited[http::field::etag], js[http::field::etag]);
  for (const char* target : {"/.env", "/notes.md", "/sub/inner.js",
                             "/../"
                             "index.html",
                             "/sub"})
    EXPECT_EQ(ask(r, get(target)).result_int(), 404) << target;
  std::filesystem::remove(dir / "app.js");
  EXPECT_EQ(ask(r, get("/app.js")).result_int(), 404);
}

TEST_F(web_dir, a_directory_without_index_html_is_refused_at_start) {
  std::filesystem::remove(dir / "index.html");
  EXPECT_THROW(static_site::from_directory(dir.string()), std::runtime_error);
  EXPECT_THROW(static_site::from_directory((dir / "missing").string()),
               std::runtime_error);
}

} // namespace
