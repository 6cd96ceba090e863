// Avatars end to end: uploaded to one h2hd, served through avatar_url by a
// second h2hd on the same MariaDB database; 304, the type from the bytes,
// and the public port's larger body limit for this one route.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "accounts.hpp"
#include "mariadb.hpp"
#include "process.hpp"

using namespace h2h::test;
using namespace std::string_literals;

namespace {

const std::string boundary = "0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a";
const std::string png = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR"s;
const std::string jpeg = "\xff\xd8\xff\xe0\0\x10JFIF\0"s;

// OkHttp MultipartBody's bytes for the app's avatar upload.
std::string app_upload(std::int64_t member, const std::string& file) {
  auto id = std::to_string(member);
  return "--" + boundary
         + "\r\nContent-Disposition: form-data; name=\"member_id\"\r\n"
           "Content-Type: multipart/form-data; charset=utf-8\r\n"
           "Content-Length: "
         + std::to_string(id.size()) + "\r\n\r\n" + id + "\r\n--" + boundary
         + "\r\nContent-Disposition: form-data; name=\"file\"; "
           "filename=\"avatar.png\"\r\nContent-Type: image/png\r\n"
           "Content-Length: "
         + std::to_string(file.size()) + "\r\n\r\n" + file + "\r\n--" + boundary
         + "--\r\n";
}

http_result upload(const server_process& srv, const member& m,
                   const std::string& file) {
  return http_request(
    srv.port(), "POST", "/member/uploadAvatar", app_upload(m.id, file),
    {{"Content-Type", "multipart/form-data; boundary=" + boundary},
     {"Authorization", "Bearer " + m.access_token}});
}

std::string path_of(const std::string& url) {
  return url.substr(url.find('/', url.find("://") + 3));
}

} // namespace

TEST(avatars, uploaded_on_one_node_served_by_another_on_the_same_database) {
  auto base = shared_mysql_url();
  if (base.empty())
    GTEST_SKIP() << "H2H_TEST_MYSQL_URL is not set";
  auto db = fresh_mysql_database(base);
  temp_dir d1, d2;
  // A small general body limit: the avatar route alone may exceed it.
  auto args = [&](const temp_dir& d) {
    return with_accounts(
      local_args(d, {"--store.kind", "mysql", "--store.mysql_url", db,
                     "--limits.max_http_body_bytes", "4096",
                     "--limits.avatar_bytes", "65536"}));
  };
  server_process a(H2HD_PATH, args(d1));
  server_process b(H2HD_PATH, args(d2));
  auto alice = sign_up(a, "alice");

  auto big_png = png + std::string(20000, '\x07');
  auto up = upload(a, alice, big_png);
  ASSERT_EQ(up.status, 201) << up.body;
  auto url = nlohmann::json::parse(up.body)["avatar_url"].get<std::string>();
  EXPECT_EQ(url.rfind("http://", 0), 0u) << url;
  auto got = http_request(b.port(), "GET", path_of(url));
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body, big_png);
  EXPECT_EQ(got.headers["Content-Type"], "image/png");
  EXPECT_EQ(got.headers["Cache-Control"],
            "public, max-age=31536000, immutable");
  auto etag = got.headers["ETag"];
  ASSERT_FALSE(etag.empty());
  auto again = http_request(b.port(), "GET", path_of(url), {},
                            {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  // The profile, read on the other node, names the same image.
  auto profile = rest(b.port(), "GET", "/member/profile", std::nullopt,
                      alice.access_token);
  EXPECT_EQ(path_of(profile.body["avatar_url"].get<std::string>()),
            path_of(url));

  // A JPEG sent as image/png is stored and served as JPEG.
  up = upload(a, alice, jpeg);
  ASSERT_EQ(up.status, 201) << up.body;
  url = nlohmann::json::parse(up.body)["avatar_url"].get<std::string>();
  EXPECT_EQ(url.substr(url.size() - 4), ".jpg");
  got = http_request(b.port(), "GET", path_of(url));
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.headers["Content-Type"], "image/jpeg");
  EXPECT_EQ(got.body, jpeg);

  // A text file sent as image/png is refused.
  up = upload(a, alice, "just some text, not an image\n");
  EXPECT_EQ(up.status, 400);
  EXPECT_EQ(nlohmann::json::parse(up.body)["code"], "MEMBER_004");

  // Other routes keep limits.max_http_body_bytes; the avatar route its own.
  auto other
    = http_request(a.port(), "PATCH", "/member/profile",
                   "{\"name\":\"" + std::string(5000, 'x') + "\"}",
                   {{"Content-Type", "application/json"},
                    {"Authorization", "Bearer " + alice.access_token}});
  EXPECT_EQ(other.status, 413);
  up = upload(a, alice, png + std::string(66000, 'x'));
  EXPECT_EQ(up.status, 400);
  EXPECT_EQ(nlohmann::json::parse(up.body)["code"], "GLOBAL_008");
}
