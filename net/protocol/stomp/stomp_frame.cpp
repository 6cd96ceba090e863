// STOMP 1.0-1.2 frames: the incremental parser and the serializer.
#include "net/protocol/stomp/stomp_frame.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace h2h::net::stomp {

namespace {

bool never_escaped(std::string_view command) {
  return command == "CONNECT" || command == "STOMP" || command == "CONNECTED";
}

bool valid_command(std::string_view c) {
  if (c.empty())
    return false;
  for (unsigned char ch : c)
    if (ch < 'A' || ch > 'Z')
      return false;
  return true;
}

} // namespace

std::string_view version_name(version v) {
  switch (v) {
    case version::v1_0:
      return "1.0";
    case version::v1_1:
      return "1.1";
    case version::v1_2:
      break;
  }
  return "1.2";
}

bool parse_number(std::string_view s, std::uint64_t& out) {
  if (s.empty())
    return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

const std::string* frame::find(std::string_view name) const {
  for (const auto& h : headers)
    if (h.name == name)
      return &h.value;
  return nullptr;
}

bool unescape(std::string_view in, version v, std::string& out) {
  out.clear();
  if (v == version::v1_0 || in.find('\\') == std::string_view::npos) {
    out.assign(in.data(), in.size());
    return true;
  }
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i == in.size())
      return false;
    switch (in[i]) {
      case 'n':
        out.push_back('\n');
        break;
      case 'c':
        out.push_back(':');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case 'r':
        if (v != version::v1_2)
          return false;
        out.push_back('\r');
        break;
      default:
        return false; // STOMP 1.2: an undefined escape is a fatal error
    }
  }
  return true;
}

void append_header(std::string& out, std::string_view name,
                   std::string_view value, version v, bool escape) {
  auto put = [&](std::string_view s) {
    if (!escape || v == version::v1_0) {
      out.append(s.data(), s.size());
      return;
    }
    for (char c : s) {
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case ':':
          out += "\\c";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\r':
          if (v == version::v1_2) {
            out += "\\r";
            break;
          }
          [[fallthrough]];
        default:
          out.push_back(c);
      }
    }
  };
  put(name);
  out.push_back(':');
  put(value);
  out.push_back('\n');
}

std::string serialize(const frame& f, version v) {
  std::string out;
  out.reserve(f.command.size() + f.body.size() + 64);
  out += f.command;
  out.push_back('\n');
  bool escape = !never_escaped(f.command);
  for (const auto& h : f.headers)
    append_header(out, h.name, h.value, v, escape);
  if (!f.body.empty() && f.find("content-length") == nullptr)
    append_header(out, "content-length", std::to_string(f.body.size()), v);
  out.push_back('\n');
  out += f.body;
  out.push_back('\0');
  return out;
}

void parser::fail(std::vector<parsed>& out, std::string message) {
  stage_ = stage::failed;
  out.emplace_back(parse_error{std::move(message)});
  std::string{}.swap(buf_);
  start_ = pos_ = 0;
  current_ = frame{};
}

bool parser::on_line(std::size_t begin, std::size_t end,
                     std::vector<parsed>& out) {
  std::string_view line{buf_.data() + begin, end - begin};
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  if (line.size() > limits_.max_header_bytes) {
    fail(out, "header line longer than "
                + std::to_string(limits_.max_header_bytes) + " bytes");
    return false;
  }
  if (!seen_command_) {
    if (!valid_command(line)) {
      fail(out, "malformed command line");
      return false;
    }
    current_.command.assign(line.data(), line.size());
    seen_command_ = true;
    return true;
  }
  if (line.empty()) {
    stage_ = stage::body;
    body_start_ = end + 1;
    pos_ = body_start_;
    content_length_ = -1;
    if (const auto* cl = current_.find("content-length")) {
      if (cl->empty() || cl->size() > 12
          || !std::all_of(cl->begin(), cl->end(),
                          [](char c) { return c >= '0' && c <= '9'; })) {
        fail(out, "content-length must be a decimal number");
        return false;
      }
      content_length_ = std::stoll(*cl);
      if (static_cast<std::size_t>(content_length_) > limits_.max_body_bytes) {
        fail(out, "body longer than " + std::to_string(limits_.max_body_bytes)
                    + " bytes");
        return false;
      }
      if (body_start_ - start_ + static_cast<std::size_t>(content_length_) + 1
          > limits_.max_frame_bytes) {
        fail(out, "frame longer than " + std::to_string(limits_.max_frame_bytes)
                    + " bytes");
        return false;
      }
    }
    return true;
  }
  if (current_.headers.size() >= limits_.max_headers) {
    fail(out, "more than " + std::to_string(limits_.max_headers) + " headers");
    return false;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    fail(out, "malformed header line (name:value expected)");
    return false;
  }
  auto v = never_escaped(current_.command) ? version::v1_0 : version_;
  header h;
  if (!unescape(line.substr(0, colon), v, h.name)
      || !unescape(line.substr(colon + 1), v, h.value)) {
    fail(out, "undefined escape sequence in a header");
    return false;
  }
  current_.headers.push_back(std::move(h));
  return true;
}

bool parser::finish_body(std::vector<parsed>& out) {
  std::size_t end = 0; // index of the NUL
  if (content_length_ >= 0) {
    end = body_start_ + static_cast<std::size_t>(content_length_);
    if (buf_.size() <= end)
      return false;
    if (buf_[end] != '\0') {
      fail(out, "no NUL after the body of content-length bytes");
      return false;
    }
  } else {
    auto body_cap = body_start_ + limits_.max_body_bytes + 1;
    auto frame_cap = start_ + limits_.max_frame_bytes;
    auto cap = std::min(body_cap, frame_cap);
    auto stop = std::min(buf_.size(), cap);
    auto* nul = static_cast<const char*>(
      std::memchr(buf_.data() + pos_, '\0', stop - pos_));
    if (nul == nullptr) {
      pos_ = stop;
      if (buf_.size() < cap)
        return false;
      if (body_cap <= frame_cap)
        fail(out, "body longer than " + std::to_string(limits_.max_body_bytes)
                    + " bytes");
      else
        fail(out, "frame longer than " + std::to_string(limits_.max_frame_bytes)
                    + " bytes");
      return false;
    }
    end = static_cast<std::size_t>(nul - buf_.data());
  }
  current_.body.assign(buf_, body_start_, end - body_start_);
  out.emplace_back(std::move(current_));
  current_ = frame{};
  pos_ = end + 1;
  stage_ = stage::between;
  return true;
}

void parser::feed(std::string_view bytes, std::vector<parsed>& out) {
  if (stage_ == stage::failed)
    return;
  buf_.append(bytes.data(), bytes.size());
  for (;;) {
    if (stage_ == stage::between) {
      while (pos_ < buf_.size()) {
        char c = buf_[pos_];
        if (pending_cr_) {
          if (c != '\n') {
            fail(out, "CR not followed by LF between frames");
            return;
          }
          pending_cr_ = false;
          ++pos_;
          out.emplace_back(heartbeat{});
        } else if (c == '\n') {
          ++pos_;
          out.emplace_back(heartbeat{});
        } else if (c == '\r') {
          pending_cr_ = true;
          ++pos_;
        } else {
          break;
        }
      }
      if (pos_ == buf_.size())
        break;
      start_ = scan_ = pos_;
      stage_ = stage::lines;
      seen_command_ = false;
    }
    if (stage_ == stage::lines) {
      // pos_ is the start of the current line.
      const char* base = buf_.data();
      auto from = std::max(pos_, scan_);
      auto* nl = static_cast<const char*>(
        std::memchr(base + from, '\n', buf_.size() - from));
      if (nl == nullptr) {
        scan_ = buf_.size(); // a line split at every byte is scanned once
        if (buf_.size() - pos_ > limits_.max_header_bytes + 1)
          fail(out, "header line longer than "
                      + std::to_string(limits_.max_header_bytes) + " bytes");
        else if (buf_.size() - start_ > limits_.max_frame_bytes)
          fail(out, "frame longer than "
                      + std::to_string(limits_.max_frame_bytes) + " bytes");
        if (stage_ == stage::failed)
          return;
        break;
      }
      auto end = static_cast<std::size_t>(nl - base);
      if (end + 1 - start_ > limits_.max_frame_bytes) {
        fail(out, "frame longer than " + std::to_string(limits_.max_frame_bytes)
                    + " bytes");
        return;
      }
      auto begin = pos_;
      pos_ = scan_ = end + 1;
      if (!on_line(begin, end, out))
        return;
      continue;
    }
    if (stage_ == stage::body) {
      if (!finish_body(out)) {
        if (stage_ == stage::failed)
          return;
        break;
      }
      continue;
    }
    return;
  }
  compact();
}

void parser::compact() {
  auto cut = stage_ == stage::between ? pos_ : start_;
  if (cut == 0)
    return;
  buf_.erase(0, cut);
  pos_ -= cut;
  scan_ = scan_ > cut ? scan_ - cut : 0;
  if (stage_ != stage::between) {
    start_ -= cut;
    if (stage_ == stage::body)
      body_start_ -= cut;
  } else {
    start_ = 0;
  }
  if (buf_.empty() && buf_.capacity() > 65536)
    std::string{}.swap(buf_);
}

} // namespace h2h::net::stomp
