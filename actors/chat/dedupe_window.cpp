// A room's window of recent clientMsgIds and their acks.
#include "actors/chat/dedupe_window.hpp"

namespace h2h {

std::string dedupe_window::key(std::int64_t sender_id,
                               const std::string& sender,
                               const std::string& id) {
  // '#' + member id, or '@' + name: the prefixes keep the two apart.
  auto who = sender_id != 0 ? '#' + std::to_string(sender_id) : '@' + sender;
  who += '\x1f';
  who += id;
  return who;
}

const publish_ack* dedupe_window::find(std::int64_t sender_id,
                                       const std::string& sender,
                                       const std::string& id) const {
  auto i = acks_.find(key(sender_id, sender, id));
  return i == acks_.end() ? nullptr : &i->second;
}

void dedupe_window::remember(std::int64_t sender_id, const std::string& sender,
                             const std::string& id, const publish_ack& ack) {
  if (capacity_ == 0)
    return;
  auto k = key(sender_id, sender, id);
  auto dup = ack;
  dup.status = append_status::duplicate;
  if (!acks_.emplace(k, dup).second)
    return;
  order_.push_back(std::move(k));
  if (order_.size() > capacity_) {
    acks_.erase(order_.front());
    order_.pop_front();
  }
}

} // namespace h2h
