// Outgoing mail through libcurl's SMTP client, or to the log. The only user
// of curl.h for mail (FCM has its own, net/outbound/fcm_sender.cpp).
#include "net/outbound/mailer.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "net/security/crypto.hpp"

namespace h2h::net {

smtp_tls smtp_tls_for(const std::string& url) {
  // curl's own parser: the host judged here is the host curl connects to.
  std::unique_ptr<CURLU, void (*)(CURLU*)> u{curl_url(), curl_url_cleanup};
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return smtp_tls::required;
  auto part = [&u](CURLUPart which) {
    char* text = nullptr;
    std::string out;
    if (curl_url_get(u.get(), which, &text, 0) == CURLUE_OK && text)
      out = text;
    curl_free(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return out;
  };
  auto scheme = part(CURLUPART_SCHEME);
  if (scheme == "smtps")
    return smtp_tls::implicit;
  auto host = part(CURLUPART_HOST);
  if (scheme == "smtp"
      && (host == "127.0.0.1" || host == "[::1]" || host == "localhost"))
    return smtp_tls::none;
  return smtp_tls::required;
}

namespace {

long curl_use_ssl(smtp_tls tls) {
  switch (tls) {
    case smtp_tls::none:
      return CURLUSESSL_NONE;
    case smtp_tls::implicit:
    case smtp_tls::required:
      break;
  }
  return CURLUSESSL_ALL;
}

class log_mailer final : public mailer {
public:
  void send(const std::string& to, const std::string& subject,
            const std::string& body) override {
    // Without SMTP the code must still reach a developer: the log has it.
    spdlog::warn("no smtp.url configured; mail to {} ({}): {}", to, subject,
                 body);
  }
  bool delivers() const override {
    return false;
  }
};

struct upload {
  std::string data;
  std::size_t pos = 0;
};

std::size_t read_payload(char* buf, std::size_t size, std::size_t n,
                         void* user) {
  auto* up = static_cast<upload*>(user);
  auto room = size * n;
  auto left = up->data.size() - up->pos;
  auto take = std::min(room, left);
  std::memcpy(buf, up->data.data() + up->pos, take);
  up->pos += take;
  return take;
}

std::string rfc5322_date() {
  char buf[64];
  auto t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

/// Header values come from our own code; still, no line breaks pass.
std::string header_safe(std::string s) {
  for (auto& c : s)
    if (c == '\r' || c == '\n')
      c = ' ';
  return s;
}

class curl_mailer final : public mailer {
public:
  explicit curl_mailer(smtp_settings s)
    : settings_(std::move(s)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    tls_ = smtp_tls_for(settings_.url);
    spdlog::info("smtp: {}", tls_ == smtp_tls::implicit ? "TLS (smtps)"
                             : tls_ == smtp_tls::required
                               ? "STARTTLS required"
                               : "plain text to a loopback relay");
  }

  void send(const std::string& to, const std::string& subject,
            const std::string& body) override {
    std::unique_ptr<CURL, void (*)(CURL*)> curl{curl_easy_init(),
                                                curl_easy_cleanup};
    if (!curl)
      throw std::runtime_error("curl_easy_init failed");
    upload up;
    auto domain = settings_.from.substr(settings_.from.find('@') + 1);
    up.data = "Date: " + rfc5322_date() + "\r\n" + "To: <" + header_safe(to)
              + ">\r\n" + "From: <" + header_safe(settings_.from) + ">\r\n"
              + "Message-ID: <" + crypto::random_token(12) + "@"
              + header_safe(domain) + ">\r\n"
              + "Subject: " + header_safe(subject) + "\r\n"
              + "Content-Type: text/plain; charset=utf-8\r\n" + "\r\n" + body
              + "\r\n";
    curl_slist* rcpt = curl_slist_append(nullptr, ("<" + to + ">").c_str());
    auto* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, settings_.url.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_FROM,
                     ("<" + settings_.from + ">").c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_payload);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(settings_.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(settings_.timeout.count()));
    // Codes must not cross a network in clear text: without TLS (STARTTLS
    // refused, or a failed handshake) the mail is not sent.
    curl_easy_setopt(c, CURLOPT_USE_SSL, curl_use_ssl(tls_));
    auto rc = curl_easy_perform(c);
    curl_slist_free_all(rcpt);
    if (rc != CURLE_OK)
      throw std::runtime_error(std::string{"smtp: "} + curl_easy_strerror(rc));
  }

  bool delivers() const override {
    return true;
  }

private:
  smtp_settings settings_;
  smtp_tls tls_ = smtp_tls::required;
};

} // namespace

std::shared_ptr<mailer> make_mailer(const smtp_settings& s) {
  if (s.url.empty())
    return std::make_shared<log_mailer>();
  return std::make_shared<curl_mailer>(s);
}

} // namespace h2h::net
