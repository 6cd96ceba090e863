// FCM HTTP v1 through libcurl's multi interface on one thread of its own.
// The only user of curl.h for push.
#include "net/outbound/fcm_sender.hpp"

#include <curl/curl.h>
#include <pthread.h>

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "net/outbound/fcm_message.hpp"

namespace h2h::net {

namespace {

/// Answers are small; a provider sending more is cut here.
constexpr std::size_t answer_max_bytes = 64 * 1024;

std::int64_t system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

/// What one transfer collects from curl's callbacks.
struct answer {
  std::string body;
  std::string retry_after;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* a = static_cast<answer*>(user);
  auto len = size * n;
  if (a->body.size() < answer_max_bytes)
    a->body.append(data, std::min(len, answer_max_bytes - a->body.size()));
  return len;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* a = static_cast<answer*>(user);
  auto len = size * n;
  std::string_view line{data, len};
  constexpr std::string_view name = "retry-after:";
  if (line.size() > name.size()) {
    bool match = true;
    for (std::size_t i = 0; i < name.size() && match; ++i)
      match = std::tolower(static_cast<unsigned char>(line[i])) == name[i];
    if (match)
      a->retry_after = std::string{line.substr(name.size())};
  }
  return len;
}

void common_options(CURL* c, std::chrono::milliseconds timeout, answer& a) {
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &a);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
}

using slist_ptr = std::unique_ptr<curl_slist, void (*)(curl_slist*)>;

slist_ptr header_list(std::initializer_list<std::string> lines) {
  curl_slist* list = nullptr;
  for (auto& l : lines)
    list = curl_slist_append(list, l.c_str());
  return slist_ptr{list, curl_slist_free_all};
}

} // namespace

struct fcm_sender::impl {
  struct job {
    push_request req;
    std::function<void(push_outcome)> done;
  };

  /// One request on the wire.
  struct transfer {
    job work;
    std::string body;
    answer got;
    slist_ptr headers{nullptr, curl_slist_free_all};
    /// Set once the OAuth token was refreshed for this request.
    bool refreshed = false;
  };

  service_account account;
  fcm_settings settings;
  std::string url;
  std::string token_uri;

  std::mutex mtx;
  std::deque<job> incoming;
  bool stopping = false;

  CURLM* multi = nullptr;
  std::map<CURL*, std::unique_ptr<transfer>> active;
  token_cache tokens;
  std::thread thread;

  std::int64_t now_ms() const {
    return settings.now_ms ? settings.now_ms() : system_now_ms();
  }

  /// The current access token, fetched (blocking this thread, bounded by
  /// the timeout) when there is none; the failure as an outcome.
  std::optional<std::string> token(push_outcome& failure) {
    if (auto* t = tokens.valid(now_ms()))
      return t->value;
    std::unique_ptr<CURL, void (*)(CURL*)> c{curl_easy_init(),
                                             curl_easy_cleanup};
    failure = push_outcome{push_result::retry, -1, "token: no curl handle"};
    if (!c)
      return std::nullopt;
    std::string form;
    try {
      form = token_request_body(make_assertion(account, now_ms() / 1000));
    } catch (const std::exception& e) {
      failure = push_outcome{push_result::auth, -1, e.what()};
      return std::nullopt;
    }
    answer a;
    common_options(c.get(), settings.timeout, a);
    auto headers
      = header_list({"Content-Type: application/x-www-form-urlencoded"});
    curl_easy_setopt(c.get(), CURLOPT_URL, token_uri.c_str());
    curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, form.c_str());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(form.size()));
    auto rc = curl_easy_perform(c.get());
    long status = 0;
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status == 429 || status >= 500) {
      failure.detail = "token: "
                       + (rc != CURLE_OK ? std::string{curl_easy_strerror(rc)}
                                         : std::to_string(status));
      return std::nullopt;
    }
    if (status != 200) {
      failure = push_outcome{push_result::auth, -1,
                             "token: " + std::to_string(status) + " "
                               + a.body.substr(0, 200)};
      return std::nullopt;
    }
    std::string why;
    auto t = parse_token_response(a.body, now_ms(), why);
    if (!t) {
      failure = push_outcome{push_result::auth, -1, "token: " + why};
      return std::nullopt;
    }
    auto value = t->value;
    tokens.store(std::move(*t));
    return value;
  }

  void finish(job& j, push_outcome outcome) {
    try {
      j.done(std::move(outcome));
    } catch (const std::exception& e) {
      spdlog::error("push: completion failed: {}", e.what());
    }
  }

  /// Puts `t` on the wire with the current token.
  void start(std::unique_ptr<transfer> t) {
    push_outcome failure;
    auto bearer = token(failure);
    if (!bearer) {
      finish(t->work, std::move(failure));
      return;
    }
    CURL* c = curl_easy_init();
    if (c == nullptr) {
      finish(t->work, {push_result::retry, -1, "no curl handle"});
      return;
    }
    t->got = answer{};
    t->headers = header_list({"Authorization: Bearer " + *bearer,
                              "Content-Type: application/json; UTF-8"});
    common_options(c, settings.timeout, t->got);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->headers.get());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, t->body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(t->body.size()));
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L);
    if (curl_multi_add_handle(multi, c) != CURLM_OK) {
      curl_easy_cleanup(c);
      finish(t->work, {push_result::retry, -1, "curl multi refused"});
      return;
    }
    active.emplace(c, std::move(t));
  }

  void completed(CURL* c, CURLcode rc) {
    auto it = active.find(c);
    curl_multi_remove_handle(multi, c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (it == active.end())
      return;
    auto t = std::move(it->second);
    active.erase(it);
    if (rc != CURLE_OK) {
      finish(t->work, {push_result::retry, -1, curl_easy_strerror(rc)});
      return;
    }
    if (status == 401 && !t->refreshed) {
      // The token expired or was revoked early: one fresh token, once.
      tokens.invalidate();
      t->refreshed = true;
      start(std::move(t));
      return;
    }
    finish(t->work, classify_fcm_answer(status, t->got.retry_after, t->got.body,
                                        now_ms() / 1000));
  }

  void run() {
    for (;;) {
      std::deque<job> batch;
      {
        std::lock_guard<std::mutex> guard{mtx};
        if (stopping)
          break;
        batch.swap(incoming);
      }
      for (auto& j : batch) {
        auto t = std::make_unique<transfer>();
        t->body = fcm_body(j.req, settings.ttl_s);
        t->work = std::move(j);
        start(std::move(t));
      }
      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      while (CURLMsg* m = curl_multi_info_read(multi, &left))
        if (m->msg == CURLMSG_DONE)
          completed(m->easy_handle, m->data.result);
      curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
    for (auto& [c, t] : active) {
      curl_multi_remove_handle(multi, c);
      curl_easy_cleanup(c);
      finish(t->work, {push_result::failed, -1, "stopped"});
    }
    active.clear();
  }
};

fcm_sender::fcm_sender(service_account account, fcm_settings settings)
  : impl_(std::make_unique<impl>()) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  auto& s = *impl_;
  s.account = std::move(account);
  s.settings = std::move(settings);
  s.url = fcm_send_url(s.settings.endpoint, s.account.project_id);
  s.token_uri
    = s.settings.token_uri.empty() ? s.account.token_uri : s.settings.token_uri;
  s.multi = curl_multi_init();
  auto conns
    = static_cast<long>(std::max<std::size_t>(s.settings.max_in_flight, 1));
  curl_multi_setopt(s.multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(s.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, conns);
  curl_multi_setopt(s.multi, CURLMOPT_MAXCONNECTS, conns);
  s.thread = std::thread{[p = impl_.get()] { p->run(); }};
  pthread_setname_np(s.thread.native_handle(), "h2h-push");
}

fcm_sender::~fcm_sender() {
  stop();
  curl_multi_cleanup(impl_->multi);
}

void fcm_sender::send(push_request req,
                      std::function<void(push_outcome)> done) {
  bool full = false;
  {
    std::lock_guard<std::mutex> guard{impl_->mtx};
    if (!impl_->stopping
        && impl_->incoming.size() < impl_->settings.max_waiting) {
      impl_->incoming.push_back({std::move(req), std::move(done)});
      curl_multi_wakeup(impl_->multi);
      return;
    }
    if (!impl_->stopping) {
      full = true;
    }
  }
  done({push_result::failed, -1, full ? "sender queue full" : "stopped"});
}

void fcm_sender::stop() {
  std::deque<impl::job> dropped;
  {
    std::lock_guard<std::mutex> guard{impl_->mtx};
    if (impl_->stopping)
      return;
    impl_->stopping = true;
    dropped.swap(impl_->incoming);
  }
  curl_multi_wakeup(impl_->multi);
  if (impl_->thread.joinable())
    impl_->thread.join();
  for (auto& j : dropped)
    impl_->finish(j, {push_result::failed, -1, "stopped"});
}

} // namespace h2h::net
