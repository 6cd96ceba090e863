// The outbound queue of one WebSocket connection: any thread queues frames,
// the connection's I/O thread takes them in batches to write. Every byte
// queued (pongs and the close frame included) counts against one limit.
#include "net/ws/outbound_queue.hpp"

#include <cstdint>

namespace h2h::net {

namespace {

constexpr std::uint16_t slow_consumer = 4008;

out_frame make_frame(ws::opcode op, wire_message payload) {
  out_frame f;
  f.header_len = static_cast<std::uint8_t>(
    ws::encode_header(op, payload.size(), f.header));
  f.payload = std::move(payload);
  return f;
}

/// Frame lists keep their capacity between bursts only while small.
void shrink_if_large(std::vector<out_frame>& v) {
  if (v.capacity() > 2)
    std::vector<out_frame>{}.swap(v);
}

} // namespace

void outbound_queue::append_locked(ws::opcode op, wire_message payload) {
  unsent_.push_back(make_frame(op, std::move(payload)));
  queued_ += unsent_.back().size();
}

outbound_queue::outcome outbound_queue::settle_locked() {
  if (queued_ > limit_) {
    refusing_ = true;
    return outcome::overflow;
  }
  if (write_scheduled_)
    return outcome::queued;
  write_scheduled_ = true;
  return outcome::schedule;
}

outbound_queue::outcome outbound_queue::settle_lazy_locked() {
  if (queued_ > limit_) {
    refusing_ = true;
    return outcome::overflow;
  }
  if (write_scheduled_ || lazy_scheduled_)
    return outcome::queued;
  lazy_scheduled_ = true;
  return outcome::schedule_lazy;
}

bool outbound_queue::promote_lazy() {
  std::lock_guard<std::mutex> guard{mtx_};
  lazy_scheduled_ = false;
  if (write_scheduled_ || unsent_.empty())
    return false;
  write_scheduled_ = true;
  return true;
}

outbound_queue::outcome
outbound_queue::push_pong(std::shared_ptr<const std::string> payload) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (refusing_)
    return outcome::refused;
  auto f = make_frame(ws::opcode::pong, std::move(payload));
  queued_ += f.size();
  if (in_flight_ && pong_at_ != no_pong) {
    // The old pong's bytes stay counted: the client asked for them.
    pong_debt_ += unsent_[pong_at_].size();
    unsent_[pong_at_] = std::move(f);
  } else {
    pong_at_ = static_cast<std::uint32_t>(unsent_.size());
    unsent_.push_back(std::move(f));
  }
  return settle_locked();
}

void outbound_queue::drop_unsent_locked() {
  for (auto& f : unsent_)
    queued_ -= f.size();
  queued_ -= pong_debt_;
  pong_debt_ = 0;
  pong_at_ = no_pong;
  unsent_.clear();
}

outbound_queue::close_outcome outbound_queue::close(std::uint16_t code,
                                                    std::string_view reason) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (closed_)
    return {code, false};
  closed_ = true;
  refusing_ = true;
  auto frame_bytes = 2 + 2 + ws::close_payload(code, reason).size();
  if (code == slow_consumer || queued_ + frame_bytes > limit_) {
    // What it did not read is dropped; it recovers with lastSeq.
    code = slow_consumer;
    drop_unsent_locked();
    reason = "slow consumer";
  }
  append_locked(ws::opcode::close, std::make_shared<const std::string>(
                                     ws::close_payload(code, reason)));
  bool schedule = !write_scheduled_;
  write_scheduled_ = true;
  return {code, schedule};
}

bool outbound_queue::take(std::vector<out_frame>& into) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (unsent_.empty()) {
    write_scheduled_ = false;
    // Idle again: what a burst needed is given back.
    shrink_if_large(unsent_);
    shrink_if_large(into);
    return false;
  }
  into.swap(unsent_);
  pong_debt_writing_ = pong_debt_;
  pong_debt_ = 0;
  pong_at_ = no_pong;
  in_flight_ = true;
  return true;
}

void outbound_queue::written(std::size_t bytes) {
  std::lock_guard<std::mutex> guard{mtx_};
  queued_ -= bytes + pong_debt_writing_;
  pong_debt_writing_ = 0;
  in_flight_ = false;
}

void outbound_queue::clear() {
  std::lock_guard<std::mutex> guard{mtx_};
  refusing_ = true;
  closed_ = true;
  unsent_.clear();
  queued_ = 0;
  pong_debt_ = 0;
  pong_debt_writing_ = 0;
  pong_at_ = no_pong;
  in_flight_ = false;
}

} // namespace h2h::net
