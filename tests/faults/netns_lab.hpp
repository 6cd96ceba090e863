// A small network of our own for the partition scenario: a namespace per
// node, each on a veth into a bridge that lives in a hub namespace, and one
// veth from the hub into the root namespace, where the test, its MariaDB
// and its Redis run. Every name carries our pid; everything is removed at
// destruction (deleting the namespaces takes their interfaces along). The
// root namespace gains one interface and its /24, nothing else: the bridge
// is in the hub so that the host's bridge netfilter never sees the nodes'
// traffic.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace h2h::test {

class netns_lab {
public:
  /// A lab with `nodes` node namespaces, or null with the reason (not root,
  /// no CAP_NET_ADMIN, no `ip`, `ip netns add` failed, no veth or bridge,
  /// no free /24 in 198.18.0.0/15): the caller skips then.
  static std::unique_ptr<netns_lab> make(std::size_t nodes, std::string& why);

  ~netns_lab();
  netns_lab(const netns_lab&) = delete;
  netns_lab& operator=(const netns_lab&) = delete;

  /// The root namespace's address on the lab's /24 (services bind to it).
  const std::string& root_address() const {
    return root_address_;
  }
  /// Node `i`'s address and namespace.
  const std::string& address(std::size_t i) const {
    return addresses_.at(i);
  }
  const std::string& ns(std::size_t i) const {
    return namespaces_.at(i);
  }
  /// The `ip` binary; a program runs in node `i`'s namespace as
  /// `ip netns exec <ns(i)> program ...` (exec'd: the pid stays).
  const std::string& ip() const {
    return ip_;
  }

  /// Cuts nodes `i` and `j` apart (a blackhole route to the other in each
  /// of the two namespaces; both still reach everything else), and heals
  /// the cut. Throws when `ip` fails.
  void partition(std::size_t i, std::size_t j);
  void heal(std::size_t i, std::size_t j);

  /// A MariaDB / Redis server of the lab's (scripts/*.sh, reachable from
  /// every namespace at root_address()); their URLs. Stopped at
  /// destruction.
  std::string start_mariadb();
  std::string start_redis();

private:
  netns_lab() = default;
  /// Runs `ip args...`; the error text, empty on success.
  std::string run_ip(const std::vector<std::string>& args) const;
  void route(const char* verb, std::size_t from, std::size_t to);

  std::string ip_;
  std::string hub_;
  std::string root_if_;
  std::string root_address_;
  std::vector<std::string> namespaces_;
  std::vector<std::string> addresses_;
  std::string dir_; // the services' directories
  bool hub_made_ = false, mariadb_ = false, redis_ = false;
};

} // namespace h2h::test
