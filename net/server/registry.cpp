// Live connections of the public port, for limits, counts, token expiry,
// the end of a login session and shutdown.
#include "net/server/registry.hpp"

#include <algorithm>

namespace h2h::net {

std::uint64_t registry::add(std::weak_ptr<closable> c) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto id = ++next_id_;
  live_[id].conn = std::move(c);
  return id;
}

void registry::remove(std::uint64_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = live_.find(id);
  if (i == live_.end())
    return;
  release_address(i->second);
  release_session(i->second);
  unschedule(i->second);
  ticking_.erase(id);
  live_.erase(i);
}

std::size_t registry::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return live_.size();
}

// -- client addresses ---------------------------------------------------------

bool registry::bind_address(std::uint64_t id, const std::string& key,
                            std::size_t cap) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = live_.find(id);
  if (i == live_.end())
    return false;
  if (i->second.address != nullptr)
    return true;
  auto [slot, added] = addresses_.try_emplace(key, 0);
  if (slot->second >= cap) {
    if (added)
      addresses_.erase(slot);
    return false;
  }
  ++slot->second;
  i->second.address = &*slot;
  return true;
}

std::size_t registry::connections_of(const std::string& key) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = addresses_.find(key);
  return i == addresses_.end() ? 0 : i->second;
}

std::size_t registry::addresses() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return addresses_.size();
}

void registry::release_address(entry& e) {
  if (e.address == nullptr)
    return;
  if (--e.address->second == 0) {
    std::string key = e.address->first; // erase must not see its own key
    addresses_.erase(key);
  }
  e.address = nullptr;
}

void registry::hand_over(std::uint64_t from, std::uint64_t to) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto old = live_.find(from);
  if (old == live_.end())
    return;
  auto next = live_.find(to);
  if (next != live_.end() && next->second.address == nullptr) {
    next->second.address = old->second.address;
    old->second.address = nullptr;
  }
  release_address(old->second);
  release_session(old->second);
  unschedule(old->second);
  live_.erase(old);
}

// -- login sessions -----------------------------------------------------------

bool registry::bind_session(std::uint64_t id, const std::string& session_id) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (ended_.count(session_id) != 0)
    return false;
  auto i = live_.find(id);
  if (i == live_.end() || i->second.session != nullptr)
    return true;
  auto& node = *sessions_.try_emplace(session_id).first;
  i->second.session = &node;
  i->second.session_pos = static_cast<std::uint32_t>(node.second.ids.size());
  node.second.ids.push_back(id);
  return true;
}

void registry::release_session(entry& e) {
  if (e.session == nullptr)
    return;
  auto& ids = e.session->second.ids;
  // Swap with the last id and pop: O(1) however many connections a
  // session has.
  auto pos = e.session_pos;
  if (pos + 1 != ids.size()) {
    ids[pos] = ids.back();
    live_.find(ids[pos])->second.session_pos = pos;
  }
  ids.pop_back();
  if (ids.empty()) {
    std::string key = e.session->first;
    sessions_.erase(key);
  }
  e.session = nullptr;
}

std::size_t registry::end_session(const std::string& session_id) {
  std::vector<std::shared_ptr<closable>> ending;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (ended_.insert(session_id).second) {
      ended_order_.push_back(session_id);
      if (ended_order_.size() > recently_ended_max) {
        ended_.erase(ended_order_.front());
        ended_order_.pop_front();
      }
    }
    auto s = sessions_.find(session_id);
    if (s == sessions_.end())
      return 0;
    for (auto id : s->second.ids) {
      auto i = live_.find(id);
      if (i != live_.end())
        if (auto c = i->second.conn.lock())
          ending.push_back(std::move(c));
    }
  }
  // Outside the lock: a connection may remove itself while it closes.
  for (auto& c : ending)
    c->end_session();
  return ending.size();
}

std::size_t registry::sessions() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return sessions_.size();
}

// -- token expiry -------------------------------------------------------------

void registry::expire_at(std::chrono::steady_clock::time_point deadline,
                         std::uint64_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = live_.find(id);
  if (i == live_.end() || i->second.scheduled)
    return;
  i->second.scheduled = true;
  ++scheduled_live_;
  expiries_.push_back({deadline, id});
  std::push_heap(expiries_.begin(), expiries_.end());
}

void registry::unschedule(entry& e) {
  if (!e.scheduled)
    return;
  e.scheduled = false;
  --scheduled_live_;
  compact_if_sparse();
}

void registry::compact_if_sparse() {
  // Closed connections' entries stay in the heap until they are half of
  // it; then one pass drops them all. Amortized O(1) per close, and the
  // heap never holds more than twice the live entries (plus 64).
  if (expiries_.size() <= 2 * scheduled_live_ + 64)
    return;
  auto dead = [this](const expiry& x) {
    auto i = live_.find(x.id);
    return i == live_.end() || !i->second.scheduled;
  };
  expiries_.erase(std::remove_if(expiries_.begin(), expiries_.end(), dead),
                  expiries_.end());
  std::make_heap(expiries_.begin(), expiries_.end());
}

void registry::expire_due(std::chrono::steady_clock::time_point now) {
  std::vector<std::shared_ptr<closable>> due;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    while (!expiries_.empty() && expiries_.front().deadline <= now) {
      auto id = expiries_.front().id;
      std::pop_heap(expiries_.begin(), expiries_.end());
      expiries_.pop_back();
      auto i = live_.find(id);
      if (i == live_.end() || !i->second.scheduled)
        continue;
      i->second.scheduled = false;
      --scheduled_live_;
      if (auto c = i->second.conn.lock())
        due.push_back(std::move(c));
    }
    compact_if_sparse();
  }
  for (auto& c : due)
    c->expire();
}

std::size_t registry::scheduled() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return expiries_.size();
}

// -- shutdown -----------------------------------------------------------------

std::vector<std::shared_ptr<closable>> registry::all_locked() const {
  std::vector<std::shared_ptr<closable>> all;
  all.reserve(live_.size());
  for (auto& [id, e] : live_)
    if (auto c = e.conn.lock())
      all.push_back(std::move(c));
  return all;
}

void registry::tick_each_sweep(std::uint64_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (live_.count(id) != 0)
    ticking_.insert(id);
}

void registry::stop_ticking(std::uint64_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  ticking_.erase(id);
}

void registry::tick_all(std::chrono::steady_clock::time_point now) {
  // Thread-local: the sweep runs on one thread, and its list keeps its
  // capacity instead of reallocating every sweep.
  static thread_local std::vector<std::shared_ptr<closable>> due;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto id : ticking_)
      if (auto i = live_.find(id); i != live_.end())
        if (auto c = i->second.conn.lock())
          due.push_back(std::move(c));
  }
  for (auto& c : due)
    c->tick(now);
  due.clear();
}

std::size_t registry::ticking() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return ticking_.size();
}

std::vector<std::weak_ptr<closable>> registry::snapshot() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<std::weak_ptr<closable>> out;
  out.reserve(live_.size());
  for (auto& [id, e] : live_)
    out.push_back(e.conn);
  return out;
}

void registry::shutdown_all() {
  std::vector<std::shared_ptr<closable>> all;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    all = all_locked();
  }
  for (auto& c : all)
    c->shutdown();
}

void registry::abort_all() {
  std::vector<std::shared_ptr<closable>> all;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    all = all_locked();
  }
  for (auto& c : all)
    c->abort_now();
}

} // namespace h2h::net
