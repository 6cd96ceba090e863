// FCM HTTP v1 as pure functions: request body and answer classification.
#include "net/outbound/fcm_message.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <nlohmann/json.hpp>

namespace h2h::net {

namespace {

using json = nlohmann::json;

/// Retry-After is believed up to an hour: a provider asking for more is
/// treated as asking for an hour.
constexpr std::int64_t retry_after_max_s = 3600;

bool is_continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

/// The provider's error status (e.g. "UNREGISTERED", "INVALID_ARGUMENT")
/// and whether any detail names the token field.
struct fcm_error {
  std::string status;
  std::string error_code;
  bool about_token = false;
};

fcm_error read_error(std::string_view body) {
  fcm_error out;
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return out;
  auto err = doc.find("error");
  if (err == doc.end() || !err->is_object())
    return out;
  out.status = err->value("status", std::string{});
  if (auto msg = err->find("message");
      msg != err->end() && msg->is_string()
      && msg->get<std::string>().find("token") != std::string::npos)
    out.about_token = true;
  if (auto details = err->find("details");
      details != err->end() && details->is_array())
    for (auto& d : *details) {
      if (!d.is_object())
        continue;
      if (auto code = d.find("errorCode"); code != d.end() && code->is_string())
        out.error_code = code->get<std::string>();
      if (auto viol = d.find("fieldViolations");
          viol != d.end() && viol->is_array())
        for (auto& v : *viol)
          if (v.is_object()
              && v.value("field", std::string{}).find("token")
                   != std::string::npos)
            out.about_token = true;
    }
  return out;
}

} // namespace

std::string cut_text(std::string_view text, std::size_t max_chars) {
  std::size_t chars = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_continuation(static_cast<unsigned char>(text[i]))) {
      if (chars == max_chars)
        break;
      ++chars;
    }
    ++i;
  }
  if (i == text.size())
    return std::string{text};
  // Leave room for the ellipsis so the result stays within max_chars.
  std::size_t keep = i;
  if (max_chars > 0) {
    do {
      --keep;
    } while (keep > 0
             && is_continuation(static_cast<unsigned char>(text[keep])));
  }
  return std::string{text.substr(0, keep)} + "\u2026";
}

std::string fcm_body(const push_request& req, std::int64_t ttl_s) {
  const std::string& title = req.room_name.empty() ? req.sender : req.room_name;
  auto body = req.room_name.empty()
                ? cut_text(req.text, push_body_max_chars)
                : cut_text(req.sender + ": " + req.text, push_body_max_chars);
  json msg = {{"message",
               {{"token", req.token},
                {"notification", {{"title", title}, {"body", body}}},
                {"data",
                 {{"roomId", req.room_id},
                  {"seq", std::to_string(req.seq)},
                  {"senderId", std::to_string(req.sender_id)},
                  {"sender", req.sender},
                  {"type", req.type}}},
                {"android",
                 {{"collapse_key", req.room_id},
                  {"ttl", std::to_string(ttl_s) + "s"},
                  {"notification", {{"tag", req.room_id}}}}}}}};
  // Invalid UTF-8 in a name or text must not throw: replace it.
  return msg.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string fcm_send_url(std::string_view endpoint,
                         std::string_view project_id) {
  std::string base{endpoint};
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return base + "/v1/projects/" + std::string{project_id} + "/messages:send";
}

std::int64_t parse_retry_after(std::string_view value, std::int64_t now_s) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value[0])))
    value.remove_prefix(1);
  while (!value.empty()
         && std::isspace(static_cast<unsigned char>(value.back())))
    value.remove_suffix(1);
  if (value.empty())
    return -1;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9)
      return retry_after_max_s * 1000;
    std::int64_t s = std::stoll(std::string{value});
    return std::min(s, retry_after_max_s) * 1000;
  }
  // An HTTP date (IMF-fixdate).
  std::tm tm{};
  std::string text{value};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0')
    return -1;
  std::int64_t at = timegm(&tm);
  return std::clamp<std::int64_t>(at - now_s, 0, retry_after_max_s) * 1000;
}

push_outcome classify_fcm_answer(long status, std::string_view retry_after,
                                 std::string_view body, std::int64_t now_s) {
  push_outcome out;
  auto err = read_error(body);
  out.detail = std::to_string(status);
  if (!err.status.empty())
    out.detail += " " + err.status;
  if (!err.error_code.empty() && err.error_code != err.status)
    out.detail += " " + err.error_code;
  if (status >= 200 && status < 300) {
    out.result = push_result::ok;
  } else if (status == 0 || status == 429 || status >= 500) {
    out.result = push_result::retry;
    out.retry_after_ms = parse_retry_after(retry_after, now_s);
  } else if (status == 404 || err.status == "UNREGISTERED"
             || err.error_code == "UNREGISTERED") {
    out.result = push_result::token_gone;
  } else if (status == 400
             && (err.status == "INVALID_ARGUMENT"
                 || err.error_code == "INVALID_ARGUMENT")
             && err.about_token) {
    out.result = push_result::token_gone;
  } else if (status == 401 || status == 403) {
    out.result = push_result::auth;
  } else {
    out.result = push_result::failed;
  }
  return out;
}

} // namespace h2h::net
