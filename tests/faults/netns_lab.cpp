// A small network of our own for the partition scenario (see the header).
#include "netns_lab.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "pty_session.hpp"

namespace h2h::test {

namespace {

constexpr auto ip_timeout = std::chrono::seconds{10};

/// The capabilities `ip netns` needs that this process lacks (CapEff):
/// CAP_NET_ADMIN (12) and CAP_SYS_ADMIN (21: `ip netns add` mounts).
std::string missing_capabilities() {
  std::ifstream in{"/proc/self/status"};
  std::uint64_t caps = 0;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("CapEff:", 0) == 0)
      caps = std::stoull(line.substr(7), nullptr, 16);
  std::string missing;
  if ((caps >> 12 & 1) == 0)
    missing += " CAP_NET_ADMIN";
  if ((caps >> 21 & 1) == 0)
    missing += " CAP_SYS_ADMIN";
  return missing;
}

std::string find_ip() {
  for (auto p : {"/usr/sbin/ip", "/usr/bin/ip", "/sbin/ip", "/bin/ip"})
    if (access(p, X_OK) == 0)
      return p;
  return {};
}

/// True for a name "h2h<letter>-<pid>" whose pid no longer runs: what a
/// killed earlier run left behind.
bool stale(const std::string& name) {
  if (name.size() < 6 || name.rfind("h2h", 0) != 0 || name[4] != '-')
    return false;
  auto digits = name.substr(5);
  if (digits.find_first_not_of("0123456789") != std::string::npos)
    return false;
  auto pid = static_cast<pid_t>(std::stol(digits));
  return pid > 1 && kill(pid, 0) != 0 && errno == ESRCH;
}

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  auto nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

} // namespace

std::string netns_lab::run_ip(const std::vector<std::string>& args) const {
  auto r = run_program(ip_, args, {}, {}, ip_timeout);
  if (r.status == 0)
    return {};
  std::string cmd = "ip";
  for (auto& a : args)
    cmd += " " + a;
  return cmd + ": "
         + (r.err.empty() ? "status " + std::to_string(r.status)
                          : last_line(r.err));
}

std::unique_ptr<netns_lab> netns_lab::make(std::size_t nodes,
                                           std::string& why) {
  if (geteuid() != 0) {
    why = "not root: ip netns needs root";
    return nullptr;
  }
  if (auto missing = missing_capabilities(); !missing.empty()) {
    why = "without" + missing + " ip netns cannot work here";
    return nullptr;
  }
  std::unique_ptr<netns_lab> lab{new netns_lab};
  lab->ip_ = find_ip();
  if (lab->ip_.empty()) {
    why = "iproute2's ip is not installed (scripts/deps.sh test)";
    return nullptr;
  }
  // What a killed run left (its namespaces hold its interfaces).
  auto list = run_program(lab->ip_, {"netns", "list"}, {}, {}, ip_timeout);
  std::istringstream names{list.out};
  for (std::string name; names >> name;)
    if (stale(name))
      lab->run_ip({"netns", "del", name});
  // A /24 in 198.18.0.0/15 (the benchmarking range) that no address or
  // route of the host mentions.
  auto addrs = run_program(lab->ip_, {"-4", "addr"}, {}, {}, ip_timeout).out
               + run_program(lab->ip_, {"-4", "route", "show", "table", "all"},
                             {}, {}, ip_timeout)
                   .out;
  for (auto wide : {"198.18.0.0/", "198.19.0.0/"})
    if (addrs.find(wide) != std::string::npos) {
      why = std::string{wide} + "... is routed on this host";
      return nullptr;
    }
  auto pid = static_cast<unsigned>(getpid());
  std::string net;
  for (unsigned k = 0; k < 500 && net.empty(); ++k) {
    auto n = (pid + k) % 500 + 1;
    auto candidate = "198." + std::to_string(18 + n / 256) + "."
                     + std::to_string(n % 256) + ".";
    if (n % 256 != 0 && addrs.find(candidate) == std::string::npos)
      net = candidate;
  }
  if (net.empty()) {
    why = "no free /24 in 198.18.0.0/15";
    return nullptr;
  }
  auto tag = std::to_string(pid);
  lab->hub_ = "h2hH-" + tag;
  lab->root_if_ = "h2h" + tag + "r";
  lab->root_address_ = net + "1";
  auto step = [&](std::vector<std::string> args, const char* needs) {
    if (!why.empty())
      return;
    auto err = lab->run_ip(args);
    if (!err.empty())
      why = std::string{needs} + ": " + err;
  };
  step({"netns", "add", lab->hub_}, "ip netns add failed");
  lab->hub_made_ = why.empty(); // removed at destruction
  step({"-n", lab->hub_, "link", "add", "br0", "type", "bridge"}, "no bridge");
  step({"-n", lab->hub_, "link", "set", "br0", "up"}, "bridge down");
  step({"link", "add", lab->root_if_, "type", "veth", "peer", "name", "up0",
        "netns", lab->hub_},
       "no veth");
  step({"-n", lab->hub_, "link", "set", "up0", "master", "br0", "up"},
       "bridge port");
  step({"addr", "add", lab->root_address_ + "/24", "dev", lab->root_if_},
       "address");
  step({"link", "set", lab->root_if_, "up"}, "veth down");
  for (std::size_t i = 0; i < nodes && why.empty(); ++i) {
    auto ns = std::string{"h2h"} + static_cast<char>('A' + i) + "-" + tag;
    auto port = "p" + std::to_string(i);
    auto address = net + std::to_string(i + 2);
    step({"netns", "add", ns}, "ip netns add failed");
    if (!why.empty())
      break;
    lab->namespaces_.push_back(ns);
    step({"-n", lab->hub_, "link", "add", port, "type", "veth", "peer", "name",
          "eth0", "netns", ns},
         "no veth");
    step({"-n", lab->hub_, "link", "set", port, "master", "br0", "up"},
         "bridge port");
    step({"-n", ns, "addr", "add", address + "/24", "dev", "eth0"}, "address");
    step({"-n", ns, "link", "set", "eth0", "up"}, "veth down");
    step({"-n", ns, "link", "set", "lo", "up"}, "loopback down");
    lab->addresses_.push_back(address);
  }
  if (!why.empty())
    return nullptr; // the destructor removes what was made
  char tmpl[] = "/tmp/h2h-netns-XXXXXX";
  if (mkdtemp(tmpl) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  lab->dir_ = tmpl;
  return lab;
}

netns_lab::~netns_lab() {
  auto script = [&](const char* name, const char* sub) {
    run_program(std::string{H2H_SOURCE_DIR} + "/scripts/" + name,
                {"stop", dir_ + "/" + sub}, {}, {}, std::chrono::seconds{40});
  };
  if (mariadb_)
    script("mariadb.sh", "mariadb");
  if (redis_)
    script("redis.sh", "redis");
  // Deleting a namespace destroys its interfaces, and a veth goes with its
  // peer: the root's veth goes with the hub.
  for (auto& ns : namespaces_)
    run_ip({"netns", "del", ns});
  if (hub_made_)
    run_ip({"netns", "del", hub_});
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

void netns_lab::route(const char* verb, std::size_t from, std::size_t to) {
  auto err
    = run_ip({"-n", ns(from), "route", verb, "blackhole", address(to) + "/32"});
  if (!err.empty())
    throw std::runtime_error(err);
}

void netns_lab::partition(std::size_t i, std::size_t j) {
  route("add", i, j);
  route("add", j, i);
}

void netns_lab::heal(std::size_t i, std::size_t j) {
  route("del", i, j);
  route("del", j, i);
}

namespace {

std::string start_service(const std::string& script, const std::string& dir,
                          const std::string& bind) {
  auto r = run_program(std::string{H2H_SOURCE_DIR} + "/scripts/" + script,
                       {"start", dir}, {}, {{"H2H_SERVICE_BIND", bind}},
                       std::chrono::seconds{90});
  auto url = last_line(r.out);
  if (r.status != 0 || url.find("://") == std::string::npos)
    throw std::runtime_error(script + " did not start: " + r.out + r.err);
  return url;
}

} // namespace

std::string netns_lab::start_mariadb() {
  mariadb_ = true;
  return start_service("mariadb.sh", dir_ + "/mariadb", root_address_);
}

std::string netns_lab::start_redis() {
  redis_ = true;
  return start_service("redis.sh", dir_ + "/redis", root_address_);
}

} // namespace h2h::test
