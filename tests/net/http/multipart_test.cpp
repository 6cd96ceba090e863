// The multipart/form-data parser against the bytes the Android app (OkHttp
// MultipartBody) sends, framing errors at every position, boundaries and
// limits; and the image sniffing of avatars.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "net/http/image_type.hpp"
#include "net/http/multipart.hpp"

namespace mp = h2h::net::multipart;
using namespace std::string_literals;

namespace {

const std::string boundary = "8b5c1b5e-2f0e-4e2a-9b0f-0c5f7d1e2a33";
const std::string ctype = "multipart/form-data; boundary=" + boundary;

// A PNG signature followed by bytes that look like framing: CRLFs, dashes,
// a partial delimiter and NULs.
const std::string png_bytes = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\r\n--"s + "\r\n--"
                              + boundary.substr(0, 10) + "\r\n\r\n\xff\x00"s;

// Exactly what OkHttp's MultipartBody writes for
// addFormDataPart("member_id", "42") with the app's FORM-typed text body and
// addFormDataPart("file", "avatar.png", <image/png body>).
std::string app_body(const std::string& file = png_bytes) {
  return "--" + boundary + "\r\n"
         + "Content-Disposition: form-data; name=\"member_id\"\r\n"
         + "Content-Type: multipart/form-data; charset=utf-8\r\n"
         + "Content-Length: 2\r\n" + "\r\n" + "42\r\n" + "--" + boundary
         + "\r\n"
         + "Content-Disposition: form-data; name=\"file\"; "
           "filename=\"avatar.png\"\r\n"
         + "Content-Type: image/png\r\n"
         + "Content-Length: " + std::to_string(file.size()) + "\r\n" + "\r\n"
         + file + "\r\n" + "--" + boundary + "--\r\n";
}

void expect_app_parts(const mp::result& r, const std::string& file) {
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(r.parts.size(), 2u);
  EXPECT_EQ(r.parts[0].name, "member_id");
  EXPECT_FALSE(r.parts[0].filename);
  EXPECT_EQ(r.parts[0].content_type, "multipart/form-data; charset=utf-8");
  EXPECT_EQ(r.parts[0].body, "42");
  EXPECT_EQ(r.parts[1].name, "file");
  ASSERT_TRUE(r.parts[1].filename);
  EXPECT_EQ(*r.parts[1].filename, "avatar.png");
  EXPECT_EQ(r.parts[1].content_type, "image/png");
  EXPECT_EQ(r.parts[1].body, file);
}

} // namespace

TEST(multipart, app_bytes_parse_and_text_parts_stay_text) {
  auto r = mp::parse(ctype, app_body());
  expect_app_parts(r, png_bytes);
  ASSERT_NE(r.find("file"), nullptr);
  EXPECT_EQ(r.find("nope"), nullptr);
}

TEST(multipart, every_prefix_of_the_body_is_refused_until_the_close) {
  auto body = app_body();
  auto close_end = body.size() - 2; // before the final CRLF (epilogue)
  for (std::size_t i = 0; i < body.size(); ++i) {
    auto r = mp::parse(ctype, body.substr(0, i));
    if (i < close_end)
      EXPECT_FALSE(r.ok()) << "prefix of " << i << " bytes accepted";
    else
      expect_app_parts(r, png_bytes);
  }
}

TEST(multipart, a_partial_delimiter_anywhere_in_the_file_is_content) {
  // "\r\n--" + boundary minus its last byte, inserted at every position of
  // the file bytes, stays part of the file.
  auto fake = "\r\n--" + boundary.substr(0, boundary.size() - 1);
  for (std::size_t i = 0; i <= png_bytes.size(); ++i) {
    auto file = png_bytes.substr(0, i) + fake + png_bytes.substr(i);
    expect_app_parts(mp::parse(ctype, app_body(file)), file);
  }
}

TEST(multipart, a_whole_delimiter_inside_the_file_ends_it) {
  // The real delimiter followed by junk inside the content: the part ends
  // there and the junk breaks the framing (or the Content-Length differs).
  auto body = app_body(png_bytes + "\r\n--" + boundary + "junk");
  EXPECT_FALSE(mp::parse(ctype, body).ok());
}

TEST(multipart, every_framing_crlf_as_a_bare_lf_is_refused) {
  auto body = app_body("x");
  // Each CRLF of the framing (the one file byte holds none).
  for (std::size_t i = 0; i + 1 < body.size(); ++i) {
    if (body[i] != '\r' || body[i + 1] != '\n')
      continue;
    auto bad = body.substr(0, i) + body.substr(i + 1);
    auto r = mp::parse(ctype, bad);
    // The final CRLF belongs to the epilogue, which is ignored.
    if (i + 2 == body.size())
      EXPECT_TRUE(r.ok()) << r.message;
    else
      EXPECT_FALSE(r.ok()) << "a bare LF at " << i << " was accepted";
  }
}

TEST(multipart, preamble_epilogue_padding_and_empty_parts) {
  auto body = "preamble line\r\n--" + boundary + " \t\r\n"
              + "content-disposition: FORM-DATA; name=empty\r\n\r\n" + "--"
              + boundary + "\r\n"
              + "Content-Disposition: form-data; name=\"q\\\"x\"\r\n" + "\r\n"
              + "v\r\n--" + boundary + "--epilogue\r\n--junk";
  auto r = mp::parse(ctype, body);
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(r.parts.size(), 2u);
  EXPECT_EQ(r.parts[0].name, "empty");
  EXPECT_EQ(r.parts[0].body, "");
  EXPECT_EQ(r.parts[1].name, "q\"x");
  EXPECT_EQ(r.parts[1].body, "v");
}

TEST(multipart, boundaries_quoted_or_not_and_bad_ones) {
  EXPECT_EQ(mp::boundary_of("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(mp::boundary_of("Multipart/Form-Data;BOUNDARY=\"a b:c\""), "a b:c");
  EXPECT_EQ(mp::boundary_of("multipart/form-data; charset=utf-8; boundary=x;"),
            "x");
  EXPECT_EQ(mp::boundary_of(std::string("multipart/form-data; boundary=")
                            + std::string(70, 'b')),
            std::string(70, 'b'));
  for (auto bad : {"multipart/form-data", "multipart/form-data; boundary=",
                   "multipart/form-data; boundary=\"\"",
                   "multipart/form-data; boundary=\"ends in space \"",
                   "multipart/form-data; boundary=\"has;semicolon\"",
                   "multipart/form-data; boundary=\"unterminated",
                   "multipart/mixed; boundary=abc", "application/json", "",
                   "multipart/form-data boundary=abc"}) {
    EXPECT_FALSE(mp::boundary_of(bad)) << bad;
    EXPECT_EQ(mp::parse(bad, app_body()).error, mp::failure::bad_content_type)
      << bad;
  }
  EXPECT_FALSE(
    mp::boundary_of("multipart/form-data; boundary=" + std::string(71, 'b')));
  // The body's boundary must be the header's.
  EXPECT_EQ(mp::parse("multipart/form-data; boundary=other", app_body()).error,
            mp::failure::malformed);
}

TEST(multipart, header_errors) {
  auto one = [](const std::string& headers) {
    return mp::parse(ctype, "--" + boundary + "\r\n" + headers + "\r\nv\r\n--"
                              + boundary + "--");
  };
  EXPECT_TRUE(one("Content-Disposition: form-data; name=a\r\n").ok());
  for (auto bad :
       {"Content-Type: text/plain\r\n", // no disposition
        "Content-Disposition: attachment; name=a\r\n",
        "Content-Disposition: form-data\r\n",
        "Content-Disposition: form-data; name=\"\"\r\n",
        "Content-Disposition: form-data; name=a\r\nContent-Disposition: "
        "form-data; name=b\r\n",
        "Content-Disposition: form-data; name=a\r\nContent-Length: 2\r\n",
        "Content-Disposition: form-data; name=a\r\nContent-Length: x\r\n",
        "Content-Disposition: form-data; name=a\r\n folded\r\n", "no colon\r\n",
        "Content-Disposition: form-data; name=a\x01\r\n"}) {
    auto r = one(bad);
    EXPECT_EQ(r.error, mp::failure::malformed) << bad;
    EXPECT_FALSE(r.message.empty());
  }
  EXPECT_EQ(mp::parse(ctype, "--" + boundary + "--").error,
            mp::failure::malformed); // no parts
}

TEST(multipart, limits) {
  mp::limits lim;
  lim.max_total_bytes = app_body().size();
  EXPECT_TRUE(mp::parse(ctype, app_body(), lim).ok());
  lim.max_total_bytes -= 1;
  EXPECT_EQ(mp::parse(ctype, app_body(), lim).error, mp::failure::too_large);

  lim = {};
  lim.max_parts = 1;
  EXPECT_EQ(mp::parse(ctype, app_body(), lim).error, mp::failure::too_large);
  lim.max_parts = 2;
  EXPECT_TRUE(mp::parse(ctype, app_body(), lim).ok());

  lim = {};
  auto text_headers = std::string("Content-Disposition: form-data; "
                                  "name=\"member_id\"\r\nContent-Type: "
                                  "multipart/form-data; charset=utf-8\r\n"
                                  "Content-Length: 2\r\n\r\n");
  auto file_headers = "Content-Disposition: form-data; name=\"file\"; "
                      "filename=\"avatar.png\"\r\nContent-Type: image/png\r\n"
                      "Content-Length: "
                      + std::to_string(png_bytes.size()) + "\r\n\r\n";
  lim.max_header_bytes = std::max(file_headers.size(), text_headers.size());
  EXPECT_TRUE(mp::parse(ctype, app_body(), lim).ok());
  lim.max_header_bytes -= 1;
  EXPECT_EQ(mp::parse(ctype, app_body(), lim).error, mp::failure::too_large);
}

TEST(image_type, decided_by_the_bytes) {
  EXPECT_EQ(h2h::net::sniff_image(png_bytes)->mime, "image/png");
  EXPECT_EQ(h2h::net::sniff_image("\xff\xd8\xff\xe0rest")->ext, "jpg");
  EXPECT_EQ(h2h::net::sniff_image("GIF89a...")->mime, "image/gif");
  EXPECT_EQ(h2h::net::sniff_image("RIFF\x10\0\0\0WEBPVP8 "s)->mime,
            "image/webp");
  for (auto bad : {"", "\x89PNG", "hello, I am text", "RIFF\x10\0\0\0WAVEfmt ",
                   "<svg xmlns='http://www.w3.org/2000/svg'/>"})
    EXPECT_FALSE(h2h::net::sniff_image(bad)) << bad;
  EXPECT_EQ(h2h::net::image_type_of_ext("webp")->mime, "image/webp");
  EXPECT_FALSE(h2h::net::image_type_of_ext("svg"));
}
