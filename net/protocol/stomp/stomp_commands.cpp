// STOMP at /ws: the commands of a connected client — SUBSCRIBE and
// UNSUBSCRIBE (ENTER and EXIT of rooms), SEND of the JSON chat frames and
// DISCONNECT — and the subscriptions they keep.
#include "net/protocol/stomp/stomp_protocol.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

namespace h2h::net {

namespace {

constexpr std::string_view room_prefix = "/subscribe/room/";
constexpr std::string_view publish_destination = "/publish/message";

/// The senderId of a SEND body: absent, or a non-negative integer (also
/// as a string of digits, as some clients send it).
bool sender_id_of(std::string_view body, std::optional<std::int64_t>& out) {
  auto doc = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (!doc.is_object())
    return true; // decode_client_frame has refused it already
  auto i = doc.find("senderId");
  if (i == doc.end() || i->is_null())
    return true;
  if (i->is_number_integer() && i->get<std::int64_t>() >= 0) {
    out = i->get<std::int64_t>();
    return true;
  }
  std::uint64_t v = 0;
  if (i->is_string() && stomp::parse_number(i->get<std::string>(), v)
      && v <= static_cast<std::uint64_t>(INT64_MAX)) {
    out = static_cast<std::int64_t>(v);
    return true;
  }
  return false;
}

} // namespace

void stomp_protocol::command(client_command cmd, std::vector<decoded>& out) {
  outstanding_.fetch_add(1, std::memory_order_acq_rel);
  out.push_back(std::move(cmd));
}

std::string stomp_protocol::trusted_sender(const std::string& named) const {
  if (who_.authenticated)
    return named; // the session checks it against the token's member
  if (!named.empty())
    return named;
  return login_.empty() ? std::string{"guest"} : login_;
}

void stomp_protocol::on_subscribe(const stomp::frame& f,
                                  std::vector<decoded>& out) {
  const auto* receipt = f.find("receipt");
  const auto* dest = f.find("destination");
  std::string room;
  if (dest != nullptr && dest->compare(0, room_prefix.size(), room_prefix) == 0)
    room = dest->substr(room_prefix.size());
  if (!valid_room_id(room, settings_.codec.max_room_id)) {
    fail(out, errc::bad_frame,
         "destination must be /subscribe/room/{roomId} (letters, digits, "
         "'-' or '_')",
         receipt);
    return;
  }
  std::string id;
  if (const auto* i = f.find("id"))
    id = *i;
  else if (version() == stomp::version::v1_0)
    id = *dest; // STOMP 1.0 makes the id optional
  else {
    fail(out, errc::bad_frame, "SUBSCRIBE needs an id header", receipt);
    return;
  }
  if (const auto* ack = f.find("ack"); ack != nullptr && *ack != "auto") {
    fail(out, errc::bad_frame, "only ack:auto is supported", receipt);
    return;
  }
  client_command cmd;
  if (const auto* ls = f.find("last-seq")) {
    std::uint64_t seq = 0;
    if (!stomp::parse_number(*ls, seq)) {
      fail(out, errc::bad_frame, "last-seq must be a non-negative integer",
           receipt);
      return;
    }
    cmd.last_seq = static_cast<std::int64_t>(
      std::min<std::uint64_t>(seq, std::numeric_limits<std::int64_t>::max()));
  }
  std::string problem;
  {
    std::lock_guard<std::mutex> guard{subs_mtx_};
    for (const auto& s : subs_)
      if (problem.empty() && (s->id == id || s->room_id == room))
        problem = s->id == id ? "subscription id " + id + " is taken"
                              : "already subscribed to room " + room;
    if (problem.empty() && subs_.size() >= settings_.max_subscriptions)
      problem = "too many subscriptions on this connection (at most "
                + std::to_string(settings_.max_subscriptions) + ")";
    if (problem.empty()) {
      // Every MESSAGE of this subscription starts with these bytes: made
      // once here, sent in front of each event's shared part.
      std::string head = "MESSAGE\n";
      stomp::append_header(head, "subscription", id, version());
      subs_.push_back(std::make_shared<subscription>(
        id, room, std::make_shared<const std::string>(std::move(head))));
    }
  }
  if (!problem.empty()) {
    fail(out, errc::bad_frame, problem, receipt);
    return;
  }
  cmd.kind = command_kind::enter;
  cmd.room_id = std::move(room);
  cmd.sender = trusted_sender({});
  if (receipt != nullptr)
    cmd.receipt = *receipt;
  command(std::move(cmd), out);
}

void stomp_protocol::on_unsubscribe(const stomp::frame& f,
                                    std::vector<decoded>& out) {
  const auto* receipt = f.find("receipt");
  const auto* id = f.find("id");
  if (id == nullptr && version() == stomp::version::v1_0)
    id = f.find("destination");
  std::string room;
  if (id != nullptr) {
    std::lock_guard<std::mutex> guard{subs_mtx_};
    auto i
      = std::find_if(subs_.begin(), subs_.end(),
                     [&](const subscription_ptr& s) { return s->id == *id; });
    if (i != subs_.end()) {
      room = (*i)->room_id;
      (*i)->open.store(false, std::memory_order_release);
      subs_.erase(i);
    }
  }
  if (room.empty()) {
    fail(out, errc::bad_frame, "UNSUBSCRIBE needs the id of a subscription",
         receipt);
    return;
  }
  client_command cmd;
  cmd.kind = command_kind::exit;
  cmd.room_id = std::move(room);
  cmd.sender = trusted_sender({});
  if (receipt != nullptr)
    cmd.receipt = *receipt;
  command(std::move(cmd), out);
}

void stomp_protocol::on_send(const stomp::frame& f, std::vector<decoded>& out) {
  const auto* receipt = f.find("receipt");
  const auto* dest = f.find("destination");
  if (dest == nullptr || *dest != publish_destination) {
    fail(out, errc::bad_frame, "SEND destination must be /publish/message",
         receipt);
    return;
  }
  if (f.find("transaction") != nullptr) {
    fail(out, errc::bad_frame, "transactions are not supported", receipt);
    return;
  }
  auto result = decode_client_frame(f.body, settings_.codec);
  if (auto* err = std::get_if<frame_error>(&result)) {
    fail(out, err->code, err->message, receipt);
    return;
  }
  auto cmd = std::get<client_command>(std::move(result));
  std::optional<std::int64_t> sender_id;
  if (!sender_id_of(f.body, sender_id)) {
    fail(out, errc::bad_frame, "senderId must be a non-negative integer",
         receipt);
    return;
  }
  // The identity is the token's member, never the body's claim.
  if (who_.authenticated && sender_id && *sender_id != who_.member_id) {
    fail(out, errc::forbidden,
         "senderId does not match the authenticated member", receipt);
    return;
  }
  // Trusted mode: the body's sender, else CONNECT's login, else a name
  // made of the body's senderId.
  if (!who_.authenticated && cmd.sender.empty() && login_.empty() && sender_id)
    cmd.sender = "member-" + std::to_string(*sender_id);
  cmd.sender = trusted_sender(cmd.sender);
  cmd.last_seq = -1; // replay is asked for by SUBSCRIBE's last-seq
  if (receipt != nullptr)
    cmd.receipt = *receipt;
  switch (cmd.kind) {
    case command_kind::enter:
      // SUBSCRIBE entered the room; ENTER only confirms it.
      if (!subscribed(cmd.room_id)) {
        fail(out, errc::not_in_room,
             "SUBSCRIBE to /subscribe/room/" + cmd.room_id + " first", receipt);
        return;
      }
      if (receipt != nullptr)
        out.push_back(protocol_reply{
          std::make_shared<const std::string>(receipt_frame(*receipt))});
      return;
    case command_kind::exit:
      // EXIT ends the subscription of that room, as UNSUBSCRIBE would.
      if (!drop_room(cmd.room_id)) {
        if (receipt != nullptr)
          out.push_back(protocol_reply{
            std::make_shared<const std::string>(receipt_frame(*receipt))});
        return;
      }
      break;
    case command_kind::message:
      break;
  }
  command(std::move(cmd), out);
}

void stomp_protocol::on_disconnect(const stomp::frame& f,
                                   std::vector<decoded>& out) {
  if (const auto* receipt = f.find("receipt"))
    disconnect_receipt_ = *receipt;
  phase_ = phase::disconnecting;
  disconnecting_.store(true, std::memory_order_release);
  // Answered once every command before it is (see goodbye_if_done).
  auto bytes = goodbye_if_done(outstanding_.load(std::memory_order_acquire));
  if (!bytes.empty())
    out.push_back(
      protocol_reply{std::make_shared<const std::string>(std::move(bytes))});
}

bool stomp_protocol::finished() const {
  return disconnecting_.load(std::memory_order_acquire)
         && outstanding_.load(std::memory_order_acquire) == 0;
}

bool stomp_protocol::subscribed(const std::string& room_id) const {
  std::lock_guard<std::mutex> guard{subs_mtx_};
  return std::any_of(
    subs_.begin(), subs_.end(),
    [&](const subscription_ptr& s) { return s->room_id == room_id; });
}

bool stomp_protocol::drop_room(const std::string& room_id) {
  std::lock_guard<std::mutex> guard{subs_mtx_};
  auto i
    = std::find_if(subs_.begin(), subs_.end(), [&](const subscription_ptr& s) {
        return s->room_id == room_id;
      });
  if (i == subs_.end())
    return false;
  (*i)->open.store(false, std::memory_order_release);
  subs_.erase(i);
  return true;
}

std::size_t stomp_protocol::subscriptions() const {
  std::lock_guard<std::mutex> guard{subs_mtx_};
  return subs_.size();
}

} // namespace h2h::net
