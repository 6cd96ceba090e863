// What WebSocket upgrades know about login sessions without asking the
// store: a bounded cache with a bounded staleness; sessions that end on
// this node are refused at once.
#include "net/security/session_cache.hpp"

#include <algorithm>

namespace h2h::net {

session_cache::session_cache(std::size_t max_entries, std::int64_t ttl_ms)
  : max_entries_(std::max<std::size_t>(max_entries, 1))
  , ttl_ms_(ttl_ms) {
}

std::optional<session_facts> session_cache::find(const std::string& session_id,
                                                 std::int64_t now_ms) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(session_id);
  if (i == entries_.end())
    return std::nullopt;
  auto& e = i->second;
  if (e.facts.active && now_ms - e.read_ms >= ttl_ms_)
    return std::nullopt;
  return e.facts;
}

std::uint64_t session_cache::generation() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return generation_;
}

session_cache::entry& session_cache::touch(const std::string& session_id,
                                           std::int64_t now_ms) {
  auto i = entries_.find(session_id);
  if (i == entries_.end()) {
    if (entries_.size() >= max_entries_) {
      auto oldest = order_.front();
      order_.pop_front();
      entries_.erase(entries_.find(oldest->first));
    }
    i = entries_.try_emplace(session_id).first;
    i->second.pos = order_.insert(order_.end(), &*i);
  } else {
    order_.splice(order_.end(), order_, i->second.pos);
  }
  i->second.read_ms = now_ms;
  return i->second;
}

void session_cache::put(const std::string& session_id, session_facts facts,
                        std::int64_t now_ms, std::uint64_t generation) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (generation != generation_ || ttl_ms_ <= 0)
    return;
  auto existing = entries_.find(session_id);
  if (existing != entries_.end() && !existing->second.facts.active)
    return; // ended stays ended
  touch(session_id, now_ms).facts = std::move(facts);
}

void session_cache::end(const std::string& session_id, std::int64_t now_ms) {
  std::lock_guard<std::mutex> guard{mtx_};
  ++generation_;
  auto& e = touch(session_id, now_ms);
  e.facts.active = false;
  e.facts.nickname.clear();
}

void session_cache::forget_member(std::int64_t member_id) {
  std::lock_guard<std::mutex> guard{mtx_};
  ++generation_; // a read under way may predate the change
  for (auto i = entries_.begin(); i != entries_.end();) {
    if (i->second.facts.active && i->second.facts.member_id == member_id) {
      order_.erase(i->second.pos);
      i = entries_.erase(i);
    } else {
      ++i;
    }
  }
}

std::size_t session_cache::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return entries_.size();
}

} // namespace h2h::net
