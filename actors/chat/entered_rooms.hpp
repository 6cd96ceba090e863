// The rooms a session entered, and their actors: a sorted flat vector.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "actors/vocabulary/type_ids.hpp"

namespace h2h {

/// The rooms a session entered, sorted by id. A flat vector: a session is
/// in few rooms, and a hash map costs ~130 bytes more per idle connection.
class entered_rooms {
public:
  using value_type = std::pair<std::string, room_actor>;
  using iterator = std::vector<value_type>::iterator;

  /// The room's actor, or null when the session is not in it.
  room_actor* find(const std::string& id);

  /// Enters `id`, or replaces the actor of a room already entered.
  void set(const std::string& id, room_actor room);

  /// Leaves `id`; false when the session was not in it.
  bool erase(const std::string& id);

  /// Leaves every room and gives the memory back.
  void clear();

  iterator begin() {
    return rooms_.begin();
  }
  iterator end() {
    return rooms_.end();
  }
  std::size_t size() const {
    return rooms_.size();
  }

private:
  iterator lower_bound(const std::string& id);

  std::vector<value_type> rooms_;
};

} // namespace h2h
