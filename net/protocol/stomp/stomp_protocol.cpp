// STOMP at /ws: the client's frames into commands (CONNECT, SUBSCRIBE,
// UNSUBSCRIBE, SEND, DISCONNECT); the encoders are in stomp_encode.cpp.
#include "net/protocol/stomp/stomp_protocol.hpp"

#include <algorithm>
#include <cctype>

#include "net/protocol/display_name.hpp"
#include "net/protocol/utf8.hpp"

namespace h2h::net {

namespace {

/// "Bearer xyz" (any case) → "xyz"; anything else unchanged.
std::string strip_bearer(std::string_view v) {
  constexpr std::string_view bearer = "bearer ";
  if (v.size() >= bearer.size()) {
    bool same = true;
    for (std::size_t i = 0; i < bearer.size(); ++i)
      same
        = same && std::tolower(static_cast<unsigned char>(v[i])) == bearer[i];
    if (same)
      v.remove_prefix(bearer.size());
  }
  while (!v.empty() && v.front() == ' ')
    v.remove_prefix(1);
  return std::string{v};
}

} // namespace

stomp_protocol::stomp_protocol(const stomp_settings& settings)
  : settings_(settings)
  , parser_(settings.frame) {
}

decoded stomp_protocol::decode(std::string_view text) {
  std::vector<decoded> out;
  decode_all(text, out);
  if (out.size() == 1)
    return std::move(out.front());
  if (out.empty())
    return protocol_reply{};
  return protocol_error{std::make_shared<const std::string>(error_frame(
                          errc::bad_frame, "several frames in one call", {})),
                        true};
}

void stomp_protocol::negotiated(std::string_view subprotocol) {
  if (subprotocol == "v10.stomp")
    hinted_ = "1.0";
  else if (subprotocol == "v11.stomp")
    hinted_ = "1.1";
  else if (subprotocol == "v12.stomp")
    hinted_ = "1.2";
}

void stomp_protocol::decode_all(std::string_view text,
                                std::vector<decoded>& out) {
  if (phase_ == phase::failed || phase_ == phase::disconnecting)
    return; // nothing after an ERROR or a DISCONNECT
  static thread_local std::vector<stomp::parsed> items;
  items.clear();
  parser_.feed(text, items);
  for (auto& item : items) {
    if (phase_ == phase::failed || phase_ == phase::disconnecting)
      break;
    if (auto* err = std::get_if<stomp::parse_error>(&item)) {
      fail(out, errc::bad_frame, err->message);
      break;
    }
    if (auto* f = std::get_if<stomp::frame>(&item))
      on_frame(*f, out);
    // Heart-beats: the link saw the text arrive; nothing to answer.
  }
  items.clear();
}

void stomp_protocol::on_frame(stomp::frame& f, std::vector<decoded>& out) {
  const auto& c = f.command;
  if (phase_ == phase::fresh) {
    if (c == "CONNECT" || c == "STOMP")
      on_connect(f, out);
    else
      fail(out, errc::bad_frame, "CONNECT first");
    return;
  }
  if (phase_ == phase::connecting) {
    // Frames behind CONNECT wait for its answer (they need the identity).
    if (held_.size() >= settings_.max_held_frames)
      fail(out, errc::rate_limited, "too many frames before CONNECTED");
    else
      held_.push_back(std::move(f));
    return;
  }
  const auto* receipt = f.find("receipt");
  if (c == "SEND")
    on_send(f, out);
  else if (c == "SUBSCRIBE")
    on_subscribe(f, out);
  else if (c == "UNSUBSCRIBE")
    on_unsubscribe(f, out);
  else if (c == "DISCONNECT")
    on_disconnect(f, out);
  else if (c == "ACK" || c == "NACK") {
    // Subscriptions are ack:auto: there is nothing to acknowledge.
    if (receipt != nullptr)
      out.push_back(protocol_reply{
        std::make_shared<const std::string>(receipt_frame(*receipt))});
  } else if (c == "BEGIN" || c == "COMMIT" || c == "ABORT")
    fail(out, errc::bad_frame, "transactions are not supported", receipt);
  else if (c == "CONNECT" || c == "STOMP")
    fail(out, errc::bad_frame, "already connected", receipt);
  else
    fail(out, errc::bad_frame, "unknown command " + c.substr(0, 32), receipt);
}

void stomp_protocol::on_connect(const stomp::frame& f,
                                std::vector<decoded>& out) {
  // The highest version both sides speak; no accept-version: STOMP 1.0,
  // unless the WebSocket subprotocol named one.
  std::string offered = hinted_.empty() ? "1.0" : hinted_;
  if (const auto* v = f.find("accept-version"))
    offered = *v;
  auto has = [&](std::string_view v) {
    std::size_t at = 0;
    while (at <= offered.size()) {
      auto comma = std::min(offered.find(',', at), offered.size());
      auto token = std::string_view{offered}.substr(at, comma - at);
      while (!token.empty() && token.front() == ' ')
        token.remove_prefix(1);
      while (!token.empty() && token.back() == ' ')
        token.remove_suffix(1);
      if (token == v)
        return true;
      at = comma + 1;
    }
    return false;
  };
  stomp::version chosen;
  if (has("1.2"))
    chosen = stomp::version::v1_2;
  else if (has("1.1"))
    chosen = stomp::version::v1_1;
  else if (has("1.0"))
    chosen = stomp::version::v1_0;
  else {
    fail(out, errc::bad_frame, "supported versions are 1.0,1.1,1.2");
    return;
  }
  version_.store(chosen, std::memory_order_release);
  parser_.set_version(chosen);
  std::uint64_t cx = 0, cy = 0;
  if (const auto* hb = f.find("heart-beat");
      hb != nullptr && chosen != stomp::version::v1_0) {
    auto comma = hb->find(',');
    if (comma == std::string::npos
        || !stomp::parse_number(std::string_view{*hb}.substr(0, comma), cx)
        || !stomp::parse_number(std::string_view{*hb}.substr(comma + 1), cy)
        || cx > 86400000 || cy > 86400000) {
      fail(out, errc::bad_frame, "heart-beat must be two numbers: cx,cy");
      return;
    }
  }
  // STOMP 1.2 §Heart-beating: each way the larger of what one side can
  // do and the other wants; zero on either side: none.
  auto offer = static_cast<std::uint64_t>(settings_.heartbeat.count());
  if (offer > 0 && cy > 0)
    beats_.send = std::chrono::milliseconds{std::max(offer, cy)};
  if (offer > 0 && cx > 0)
    beats_.receive = std::chrono::milliseconds{std::max(offer, cx)};
  std::string token;
  if (const auto* a = f.find("Authorization"))
    token = strip_bearer(*a);
  else if (const auto* a2 = f.find("authorization"))
    token = strip_bearer(*a2);
  else if (const auto* p = f.find("passcode"))
    token = strip_bearer(*p);
  if (const auto* l = f.find("login")) {
    if (utf8_length(*l) > settings_.codec.max_sender
        || !display_name_problem(*l).empty()) {
      fail(out, errc::bad_frame, "login is not a valid name");
      return;
    }
    login_ = *l;
  }
  phase_ = phase::connecting;
  out.push_back(connect_request{std::move(token)});
}

wire_bytes stomp_protocol::accept_connect(const session_identity& who,
                                          std::vector<decoded>& held) {
  who_ = who;
  phase_ = phase::connected;
  stomp::frame f{"CONNECTED", {}, {}};
  auto v = version();
  f.headers.push_back({"version", std::string{stomp::version_name(v)}});
  auto offer = std::to_string(settings_.heartbeat.count());
  f.headers.push_back({"heart-beat", offer + "," + offer});
  f.headers.push_back({"server", settings_.server});
  if (who.authenticated)
    f.headers.push_back({"user-name", who.name});
  auto bytes = std::make_shared<const std::string>(stomp::serialize(f, v));
  auto waiting = std::move(held_);
  held_.clear();
  for (auto& frame : waiting) {
    if (phase_ != phase::connected)
      break;
    on_frame(frame, held);
  }
  return bytes;
}

} // namespace h2h::net
