// A client connection as the actor layer sees it: transport + protocol.
#include "net/server/link.hpp"

#include <vector>

#include <spdlog/spdlog.h>

namespace h2h::net {

link::link(std::shared_ptr<transport> t, std::unique_ptr<wire_protocol> p,
           registry& reg)
  : transport_(std::move(t))
  , protocol_(std::move(p))
  , registry_(reg) {
}

link::~link() = default;

void link::start(const session_factory& make_session, session_identity identity,
                 const starter& start_transport) {
  registry_id_ = registry_.add(weak_from_this());
  spdlog::info("ws {} open{}{}", transport_->peer(),
               identity.authenticated ? " as " : "",
               identity.authenticated ? identity.name : "");
  session_ = make_session(shared_from_this(), std::move(identity));
  start_transport(shared_from_this());
}

void link::start_rejected(errc code, std::string_view message,
                          const starter& start_transport) {
  registry_id_ = registry_.add(weak_from_this());
  spdlog::info("ws {} refused: {}", transport_->peer(), message);
  send(protocol_->encode_notice(code, message));
  start_transport(shared_from_this());
}

void link::deliver(const event_batch& batch) {
  // One queue lock per batch. A batch of one (every live event) needs no
  // list; longer ones (replays) reuse one list per thread.
  if (batch.events.size() == 1) {
    auto bytes = protocol_->encode_event(batch.events.front());
    transport_->send(&bytes, 1);
    return;
  }
  static thread_local std::vector<wire_bytes> scratch;
  scratch.clear();
  for (auto& ev : batch.events)
    scratch.push_back(protocol_->encode_event(ev));
  transport_->send(scratch.data(), scratch.size());
  scratch.clear();
  if (scratch.capacity() > 1024)
    std::vector<wire_bytes>{}.swap(scratch);
}

void link::acknowledge(const reply_to& to, std::uint64_t seq) {
  send(protocol_->encode_ack(to, seq));
  transport_->release();
}

void link::refuse(const reply_to& to, errc code, std::string_view text) {
  send(protocol_->encode_refusal(to, code, text));
  transport_->release();
  if (protocol_->ended())
    transport_->end(end_reason::refused);
}

void link::notify(errc code, std::string_view text) {
  send(protocol_->encode_notice(code, text));
  if (protocol_->ended())
    transport_->end(end_reason::refused);
}

void link::end(end_reason why) {
  send(protocol_->encode_end(why));
  transport_->end(why);
}

bool link::on_text(std::string& text) {
  auto result = protocol_->decode(text);
  if (auto* cmd = std::get_if<client_command>(&result)) {
    if (!session_)
      return false;
    caf::anon_send(session_, std::move(*cmd));
    return true;
  }
  if (auto* reply = std::get_if<protocol_reply>(&result)) {
    send(std::move(reply->bytes));
    return false;
  }
  auto& err = std::get<protocol_error>(result);
  send(std::move(err.bytes));
  if (err.fatal)
    transport_->end(end_reason::refused);
  return false;
}

void link::on_gone() {
  if (session_) {
    caf::anon_send(session_, disconn_atom_v);
    session_ = nullptr;
  }
  registry_.remove(registry_id_);
}

void link::shutdown() {
  end(end_reason::going_away);
}

void link::abort_now() {
  transport_->abort_now();
}

void link::expire() {
  end(end_reason::token_expired);
}

void link::end_session() {
  end(end_reason::session_ended);
}

} // namespace h2h::net
