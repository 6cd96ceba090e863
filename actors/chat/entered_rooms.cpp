// The rooms a session entered: a sorted flat vector (see entered_rooms.hpp).
#include "actors/chat/entered_rooms.hpp"

#include <algorithm>

namespace h2h {

entered_rooms::iterator entered_rooms::lower_bound(const std::string& id) {
  return std::lower_bound(
    rooms_.begin(), rooms_.end(), id,
    [](const value_type& x, const std::string& y) { return x.first < y; });
}

room_actor* entered_rooms::find(const std::string& id) {
  auto i = lower_bound(id);
  return i != rooms_.end() && i->first == id ? &i->second : nullptr;
}

void entered_rooms::set(const std::string& id, room_actor room) {
  auto i = lower_bound(id);
  if (i != rooms_.end() && i->first == id)
    i->second = std::move(room);
  else
    rooms_.emplace(i, id, std::move(room));
}

bool entered_rooms::erase(const std::string& id) {
  auto i = lower_bound(id);
  if (i == rooms_.end() || i->first != id)
    return false;
  rooms_.erase(i);
  if (rooms_.empty())
    std::vector<value_type>{}.swap(rooms_);
  return true;
}

void entered_rooms::clear() {
  std::vector<value_type>{}.swap(rooms_);
}

} // namespace h2h
