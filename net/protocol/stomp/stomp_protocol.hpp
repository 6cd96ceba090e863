// STOMP 1.0-1.2 at /ws (DESIGN.md §2.2) as a wire protocol: CONNECT with
// the token, SUBSCRIBE/UNSUBSCRIBE as ENTER/EXIT of rooms, SEND of the JSON
// chat frames, MESSAGE frames encoded once per event, RECEIPT once durable,
// ERROR then close.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "net/protocol/raw_json/json_codec.hpp"
#include "net/protocol/stomp/stomp_frame.hpp"
#include "net/protocol/wire_protocol.hpp"

namespace h2h::net {

/// What every STOMP connection of the node shares.
struct stomp_settings {
  stomp::frame_limits frame;
  /// The server's heart-beat offer in both directions; zero: none.
  std::chrono::milliseconds heartbeat{10000};
  /// Subscriptions (rooms) per connection.
  std::size_t max_subscriptions = 100;
  /// Limits of the JSON body of SEND (as raw JSON's frames).
  codec_limits codec;
  /// The CONNECTED frame's server header, e.g. "h2h/0.1.0".
  std::string server = "h2h";
  /// Frames a client may send behind CONNECT before it is answered.
  std::size_t max_held_frames = 32;
};

/// One STOMP connection. decode_all() and accept_connect() run under the
/// link's lock; the encode_*() functions on any thread (subscriptions are
/// guarded here).
class stomp_protocol final : public wire_protocol {
public:
  /// `settings` must outlive the protocol (the node's copy does).
  explicit stomp_protocol(const stomp_settings& settings);

  /// The cache slot of STOMP in every chat_event: the MESSAGE frame
  /// without its subscription header.
  static std::size_t slot();

  /// One text holding exactly one result (tests); see decode_all().
  decoded decode(std::string_view text) override;
  void decode_all(std::string_view text, std::vector<decoded>& out) override;
  void negotiated(std::string_view subprotocol) override;
  wire_bytes accept_connect(const session_identity& who,
                            std::vector<decoded>& held) override;
  heartbeat_plan heartbeats() const override {
    return beats_;
  }
  wire_bytes encode_heartbeat() override;
  bool ends_after_error() const override {
    return true;
  }
  bool finished() const override;

  wire_message encode_event(const event_ptr& ev) override;
  std::shared_ptr<const room_binding>
  bind_room(const std::string& room_id) override;
  wire_message encode_bound_event(const event_ptr& ev,
                                  const room_binding& bound) override;
  wire_bytes encode_ack(const reply_to& to, std::uint64_t seq) override;
  wire_bytes encode_refusal(const reply_to& to, errc code,
                            std::string_view text) override;
  wire_bytes encode_notice(errc code, std::string_view text) override;
  wire_bytes encode_end(end_reason why) override;

  /// The negotiated version (1.2 until CONNECT).
  stomp::version version() const {
    return version_.load(std::memory_order_acquire);
  }

  /// Open subscriptions (for tests).
  std::size_t subscriptions() const;

private:
  enum class phase : std::uint8_t {
    fresh,
    connecting,
    connected,
    disconnecting,
    failed
  };

  /// Bound to its room's member entry (bind_room), so it outlives its
  /// place in subs_: `open` says whether it still delivers.
  struct subscription final : room_binding {
    subscription(std::string i, std::string r, wire_bytes h)
      : id(std::move(i))
      , room_id(std::move(r))
      , head(std::move(h)) {
    }
    const std::string id;
    const std::string room_id;
    /// "MESSAGE\nsubscription:<id>\n" (the id escaped for the
    /// connection's version): the head of each MESSAGE frame.
    const wire_bytes head;
    std::atomic<bool> open{true};
  };
  using subscription_ptr = std::shared_ptr<subscription>;

  void on_frame(stomp::frame& f, std::vector<decoded>& out);
  void on_connect(const stomp::frame& f, std::vector<decoded>& out);
  void on_subscribe(const stomp::frame& f, std::vector<decoded>& out);
  void on_unsubscribe(const stomp::frame& f, std::vector<decoded>& out);
  void on_send(const stomp::frame& f, std::vector<decoded>& out);
  void on_disconnect(const stomp::frame& f, std::vector<decoded>& out);
  /// A command for the session; counted until it is answered.
  void command(client_command cmd, std::vector<decoded>& out);
  /// An ERROR for the client; nothing more is decoded.
  void fail(std::vector<decoded>& out, errc code, std::string_view text,
            const std::string* receipt = nullptr);
  /// The sender name of an unauthenticated (trusted) client's command.
  std::string trusted_sender(const std::string& named) const;
  /// Removes the subscription to `room_id`; false when there is none.
  bool drop_room(const std::string& room_id);
  bool subscribed(const std::string& room_id) const;
  std::string receipt_frame(std::string_view id) const;
  std::string error_frame(errc code, std::string_view text,
                          std::string_view receipt) const;
  /// The RECEIPT of a DISCONNECT once nothing is pending, else "".
  std::string goodbye_if_done(int left);

  const stomp_settings& settings_;
  stomp::parser parser_;
  std::atomic<stomp::version> version_{stomp::version::v1_2};
  /// The version the WebSocket subprotocol named ("" for none).
  std::string hinted_;
  phase phase_ = phase::fresh;
  std::vector<stomp::frame> held_;
  session_identity who_;
  std::string login_;
  heartbeat_plan beats_;
  /// Commands handed to the session and not answered yet.
  std::atomic<int> outstanding_{0};
  /// Set (release) after disconnect_receipt_ is written.
  std::atomic<bool> disconnecting_{false};
  std::string disconnect_receipt_;
  std::atomic<bool> goodbye_sent_{false};
  mutable std::mutex subs_mtx_;
  std::vector<subscription_ptr> subs_;
};

} // namespace h2h::net
