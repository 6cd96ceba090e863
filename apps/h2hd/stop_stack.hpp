// The stops of a node's components, registered right after each start and
// run in reverse order, so that shutdown follows the starts (not the order
// in which members happen to be declared).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace h2h::net {

class stop_stack {
public:
  stop_stack() = default;
  stop_stack(const stop_stack&) = delete;
  stop_stack& operator=(const stop_stack&) = delete;

  /// Runs the stops not run yet (a start that threw leaves them behind).
  ~stop_stack();

  /// Registers the stop of the component `name`, which just started.
  void push(std::string name, std::function<void()> stop);

  /// Runs every registered stop once, the last registered first, each
  /// logged with its duration. A stop that throws is logged and the others
  /// still run. Stops pushed meanwhile run too; calling again runs only
  /// what was pushed since.
  void run_all();

  /// Stops registered and not run yet.
  std::size_t size() const {
    return stops_.size();
  }

private:
  struct entry {
    std::string name;
    std::function<void()> stop;
  };
  std::vector<entry> stops_;
};

} // namespace h2h::net
