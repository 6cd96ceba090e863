// Route-level tests of avatars: POST /member/uploadAvatar with the bytes the
// Android app sends, each error code, authorization, and GET /media/avatars
// with its caching headers; the profile's avatar_url. SQLite and MariaDB.
#include <gtest/gtest.h>

#include "api_test_fixture.hpp"
#include "net/security/crypto.hpp"

using namespace h2h::test;
using json = nlohmann::json;
using namespace std::string_literals;

namespace {

const std::string png = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01"s;
const std::string jpeg = "\xff\xd8\xff\xe0\0\x10JFIF\0\x01"s;
const std::string boundary = "3f9b2c1e-7a64-4d2b-9d3e-5c8a1f0b6e42";

struct part_spec {
  std::string name;
  std::string body;
  std::string content_type;
  std::string filename;
};

// OkHttp MultipartBody's framing (see tests/net/http/multipart_test.cpp).
std::string multipart(const std::vector<part_spec>& parts) {
  std::string out;
  for (auto& p : parts) {
    out += "--" + boundary + "\r\nContent-Disposition: form-data; name=\""
           + p.name + "\"";
    if (!p.filename.empty())
      out += "; filename=\"" + p.filename + "\"";
    out += "\r\nContent-Type: " + p.content_type + "\r\nContent-Length: "
           + std::to_string(p.body.size()) + "\r\n\r\n" + p.body + "\r\n";
  }
  return out + "--" + boundary + "--\r\n";
}

part_spec id_part(const std::string& id) {
  return {"member_id", id, "multipart/form-data; charset=utf-8", ""};
}

part_spec file_part(const std::string& bytes,
                    const std::string& type = "image/png") {
  return {"file", bytes, type, "avatar.png"};
}

class avatar_routes : public api_test {
protected:
  void adjust(h2h::net::api_settings& s) override {
    s.avatar_bytes = 1024;
  }

  api_response upload(const account& a, const std::string& body,
                      std::map<std::string, std::string> headers = {}) {
    headers.emplace("Content-Type",
                    "multipart/form-data; boundary=" + boundary);
    headers.emplace("Authorization", "Bearer " + a.access_token);
    return call_raw(verb::post, "/member/uploadAvatar", body, headers);
  }

  api_response upload(const account& a, const std::vector<part_spec>& parts) {
    return upload(a, multipart(parts));
  }

  /// The path of an absolute URL.
  static std::string path_of(const std::string& url) {
    auto scheme = url.find("://");
    return url.substr(url.find('/', scheme + 3));
  }

  api_response fetch(const std::string& path,
                     std::map<std::string, std::string> headers = {}) {
    return call_raw(verb::get, path, "", headers);
  }
};

std::string id_of(const account& a) {
  return std::to_string(a.member_id);
}

} // namespace

TEST_P(avatar_routes, an_upload_answers_201_and_the_profile_shows_it) {
  auto a = sign_up("alice");
  auto res = upload(a, {id_part(id_of(a)), file_part(png)});
  ASSERT_EQ(res.status, 201u) << res.raw;
  auto url = "http://localhost/media/avatars/" + id_of(a) + "/"
             + h2h::net::crypto::sha256_hex(png) + ".png";
  EXPECT_EQ(res.body, (json{{"member_id", a.member_id}, {"avatar_url", url}}));
  auto profile
    = call(verb::get, "/member/profile", std::nullopt, a.access_token);
  ASSERT_EQ(profile.status, 200u);
  EXPECT_EQ(profile.body["avatar_url"], url);
  // Another member sees it too.
  auto b = sign_up("bob");
  profile = call(verb::get, "/member/profile?member_id=" + id_of(a),
                 std::nullopt, b.access_token);
  EXPECT_EQ(profile.body["avatar_url"], url);
}

TEST_P(avatar_routes, the_image_is_served_with_immutable_caching) {
  auto a = sign_up("alice");
  auto url = upload(a, {id_part(id_of(a)), file_part(png)})
               .body["avatar_url"]
               .get<std::string>();
  auto etag = "\"" + h2h::net::crypto::sha256_hex(png) + "\"";
  auto got = fetch(path_of(url)); // no token
  ASSERT_EQ(got.status, 200u);
  EXPECT_EQ(got.raw, png);
  EXPECT_EQ(got.headers["Content-Type"], "image/png");
  EXPECT_EQ(got.headers["ETag"], etag);
  EXPECT_EQ(got.headers["Cache-Control"],
            "public, max-age=31536000, immutable");
  EXPECT_EQ(got.headers["X-Content-Type-Options"], "nosniff");
  for (auto inm : {etag, "W/" + etag, "\"x\", " + etag, "*"s}) {
    auto again = fetch(path_of(url), {{"If-None-Match", inm}});
    EXPECT_EQ(again.status, 304u) << inm;
    EXPECT_EQ(again.raw, "");
    EXPECT_EQ(again.headers["ETag"], etag);
  }
  EXPECT_EQ(fetch(path_of(url), {{"If-None-Match", "\"other\""}}).status, 200u);
}

TEST_P(avatar_routes, the_type_comes_from_the_bytes_not_the_header) {
  auto a = sign_up("alice");
  auto res = upload(a, {id_part(id_of(a)), file_part(jpeg, "image/png")});
  ASSERT_EQ(res.status, 201u) << res.raw;
  auto url = res.body["avatar_url"].get<std::string>();
  EXPECT_EQ(url.substr(url.size() - 4), ".jpg");
  auto got = fetch(path_of(url));
  EXPECT_EQ(got.headers["Content-Type"], "image/jpeg");
  EXPECT_EQ(got.raw, jpeg);
  // The same hash under another extension is not there.
  EXPECT_EQ(
    fetch(path_of(url).substr(0, path_of(url).size() - 4) + ".png").status,
    404u);
  for (auto bad : {"hello, I am a text file"s, ""s,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"s})
    expect_error(upload(a, {id_part(id_of(a)), file_part(bad, "image/png")}),
                 400, "MEMBER_004", bad);
}

TEST_P(avatar_routes, size_limits_answer_global_008) {
  auto a = sign_up("alice");
  auto fits = png + std::string(1024 - png.size(), 'x');
  EXPECT_EQ(upload(a, {id_part(id_of(a)), file_part(fits)}).status, 201u);
  expect_error(upload(a, {id_part(id_of(a)), file_part(fits + "x")}), 400,
               "GLOBAL_008", "one byte past limits.avatar_bytes");
  // A body far past the limit is refused before its parts are judged.
  expect_error(upload(a, {id_part(id_of(a)),
                          file_part(png + std::string(64 * 1024, 'x'))}),
               400, "GLOBAL_008", "the whole body");
}

TEST_P(avatar_routes, missing_parts_answer_global_009) {
  auto a = sign_up("alice");
  expect_error(upload(a, {id_part(id_of(a))}), 400, "GLOBAL_009", "no file");
  expect_error(upload(a, {file_part(png)}), 400, "GLOBAL_009", "no member_id");
  expect_error(upload(a, {{"other", "x", "text/plain", ""}}), 400, "GLOBAL_009",
               "neither");
}

TEST_P(avatar_routes, only_the_callers_own_member_id_is_accepted) {
  auto a = sign_up("alice");
  auto b = sign_up("bob");
  expect_error(upload(a, {id_part(id_of(b)), file_part(png)}), 403,
               "GLOBAL_105", "someone else's id");
  // Refused whatever the file is.
  expect_error(upload(a, {id_part(id_of(b)), file_part("text")}), 403,
               "GLOBAL_105", "someone else's id with a bad file");
  EXPECT_EQ(call(verb::get, "/member/profile?member_id=" + id_of(b),
                 std::nullopt, a.access_token)
              .body["avatar_url"],
            "");
  for (auto bad : {"abc"s, "0"s, "-1"s, ""s, "99999999999999999999"s})
    expect_error(upload(a, {id_part(bad), file_part(png)}), 400, "MEMBER_005",
                 bad);
  // No token, or a bad one.
  auto body = multipart({id_part(id_of(a)), file_part(png)});
  expect_error(
    call_raw(verb::post, "/member/uploadAvatar", body,
             {{"Content-Type", "multipart/form-data; boundary=" + boundary}}),
    400, "GLOBAL_103", "no token");
  account forged = a;
  forged.access_token += "x";
  expect_error(upload(forged, body), 400, "GLOBAL_103", "bad token");
}

TEST_P(avatar_routes, bodies_that_are_not_multipart_are_refused) {
  auto a = sign_up("alice");
  auto body = multipart({id_part(id_of(a)), file_part(png)});
  expect_error(upload(a, body, {{"Content-Type", "application/json"}}), 415,
               "GLOBAL_002", "json");
  expect_error(
    upload(a, body, {{"Content-Type", "multipart/form-data; boundary=\"\""}}),
    415, "GLOBAL_002", "empty boundary");
  expect_error(upload(a, body.substr(0, body.size() - 10)), 400, "GLOBAL_002",
               "truncated");
  auto bare_lf = body;
  bare_lf.replace(bare_lf.find("\r\n"), 2, "\n");
  expect_error(upload(a, bare_lf), 400, "GLOBAL_002", "bare LF");
}

TEST_P(avatar_routes, a_new_avatar_replaces_the_old_url) {
  auto a = sign_up("alice");
  auto first = upload(a, {id_part(id_of(a)), file_part(png)})
                 .body["avatar_url"]
                 .get<std::string>();
  auto second = upload(a, {id_part(id_of(a)), file_part(jpeg)})
                  .body["avatar_url"]
                  .get<std::string>();
  EXPECT_NE(first, second);
  EXPECT_EQ(fetch(path_of(first)).status, 404u);
  EXPECT_EQ(fetch(path_of(first), {{"If-None-Match", "*"}}).status, 404u);
  EXPECT_EQ(fetch(path_of(second)).status, 200u);
}

TEST_P(avatar_routes, unknown_avatars_are_404) {
  auto a = sign_up("alice");
  auto url = upload(a, {id_part(id_of(a)), file_part(png)})
               .body["avatar_url"]
               .get<std::string>();
  auto hash = h2h::net::crypto::sha256_hex(png);
  auto b = sign_up("bob");
  for (auto path :
       {"/media/avatars/" + id_of(b) + "/" + hash + ".png",
        "/media/avatars/" + id_of(a) + "/" + hash + ".gif",
        "/media/avatars/" + id_of(a) + "/" + hash + ".svg",
        "/media/avatars/" + id_of(a) + "/" + hash,
        "/media/avatars/" + id_of(a) + "/" + std::string(64, 'a') + ".png",
        "/media/avatars/" + id_of(a) + "/" + hash.substr(1) + ".png",
        "/media/avatars/x/" + hash + ".png"})
    expect_error(fetch(path), 404, "GLOBAL_001", path);
}

TEST_P(avatar_routes, urls_follow_public_url_or_a_trusted_proxy) {
  auto a = sign_up("alice");
  auto body = multipart({id_part(id_of(a)), file_part(png)});
  auto tail = "/media/avatars/" + id_of(a) + "/"
              + h2h::net::crypto::sha256_hex(png) + ".png";
  auto url_of = [&](std::map<std::string, std::string> headers) {
    return upload(a, body, std::move(headers)).body["avatar_url"];
  };
  EXPECT_EQ(url_of({{"Host", "chat.example.com:8443"}}),
            "http://chat.example.com:8443" + tail);
  // A client's own forwarding headers are not believed...
  EXPECT_EQ(url_of({{"X-Forwarded-Host", "evil.example"},
                    {"X-Forwarded-Proto", "https"}}),
            "http://localhost" + tail);
  // ...a trusted proxy's are (the last value: the one it wrote).
  via_trusted_proxy_ = true;
  EXPECT_EQ(url_of({{"X-Forwarded-Host", "spoof.example, chat.example.com"},
                    {"X-Forwarded-Proto", "https"}}),
            "https://chat.example.com" + tail);
  EXPECT_EQ(url_of({{"X-Forwarded-Host", "bad host/"}}),
            "http://localhost" + tail);
  ctx_->cfg.proxy_uses_forwarded = true;
  EXPECT_EQ(url_of({{"Forwarded", "for=1.2.3.4;host=a.example, for=10.0.0.2;"
                                  "proto=https;host=\"chat.example.com\""}}),
            "https://chat.example.com" + tail);
  ctx_->cfg.public_url = "https://cdn.example.org";
  EXPECT_EQ(url_of({{"Host", "other"}}), "https://cdn.example.org" + tail);
  EXPECT_EQ(call(verb::get, "/member/profile", std::nullopt, a.access_token)
              .body["avatar_url"],
            "https://cdn.example.org" + tail);
}

H2H_API_STORES(avatar_routes);
