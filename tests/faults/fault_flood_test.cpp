// A connection flood and slowloris clients (ctest label `faults`): for 3 s
// one thread connects to a node as fast as it can (and holds the first 200
// connections open without a word), while 10 clients send an HTTP request
// one byte a second. The node keeps serving a steady load of raw and STOMP
// clients, and cuts the idle and the slow ones at server.http_timeout_ms.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "fault_support.hpp"
#include "process.hpp"
#include "raw_conn.hpp"

using namespace h2h::test;
using namespace std::chrono_literals;

namespace {

constexpr int http_timeout_ms = 2000;

/// What the flood did.
struct flood_result {
  std::size_t connects = 0, refused = 0, held = 0, held_cut = 0;
};

/// Connects to `port` as fast as one thread can for `span`; the first
/// `hold` connections stay open (never a byte), the others are reset at
/// once (SO_LINGER 0: no TIME_WAIT to run out of ports with). Then counts
/// the held ones the server has closed.
flood_result flood(std::uint16_t port, std::chrono::milliseconds span,
                   std::size_t hold) {
  flood_result r;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<int> held;
  auto end = std::chrono::steady_clock::now() + span;
  while (std::chrono::steady_clock::now() < end && r.connects < 200000) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
      break;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ++r.refused;
      ::close(fd);
      continue;
    }
    ++r.connects;
    if (held.size() < hold) {
      held.push_back(fd);
      continue;
    }
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
  }
  r.held = held.size();
  // The server times them out at http_timeout_ms: give it that and 2 s.
  std::this_thread::sleep_for(std::chrono::milliseconds{http_timeout_ms}
                              + 2s); // the timeout being tested
  for (int fd : held) {
    pollfd p{fd, POLLIN, 0};
    char c;
    if (::poll(&p, 1, 0) == 1 && ::recv(fd, &c, 1, MSG_DONTWAIT) <= 0)
      ++r.held_cut;
    ::close(fd);
  }
  return r;
}

/// Sends an HTTP request a byte a second until the server closes (or 10 s
/// pass); returns the milliseconds until it closed (-1: it did not).
long slowloris(std::uint16_t port) {
  const std::string request
    = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n\r\n";
  auto t0 = std::chrono::steady_clock::now();
  auto since = [&] {
    return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0)
        .count());
  };
  try {
    raw_conn c{port};
    for (std::size_t i = 0; i < request.size() && since() < 10000; ++i) {
      if (!c.send_raw(request.substr(i, 1), 1000ms))
        return since();
      if (c.closed_within(1000ms))
        return since();
    }
  } catch (const std::exception&) {
    return since();
  }
  return -1;
}

TEST(fault_flood, a_connection_flood_and_slowloris_clients) {
  temp_dir dir;
  server_process srv{H2HD_PATH,
                     trusted_mode(local_args(
                       dir, {"--log-level", "warn", "--server.http_timeout_ms",
                             std::to_string(http_timeout_ms)}))};
  load_clients cs;
  for (int k = 0; k < 2; ++k)
    add_client(cs, "u" + std::to_string(k), "flooded", srv.port());
  add_client(cs, "s0", "flooded", srv.port(), load_protocol::stomp);
  std::uint16_t port = srv.port();
  flood_result fr;
  std::vector<long> slow_ms(10, -2);
  std::thread flooder, loris;
  auto flood_at = load_clock::now(), flood_end = flood_at;
  auto end = run_fault_load(
    cs, 8s, &port,
    {{1s, [&] {
        flood_at = load_clock::now();
        flooder = std::thread([&] { fr = flood(port, 3s, 200); });
        loris = std::thread([&] {
          std::vector<std::thread> ts;
          for (std::size_t i = 0; i < slow_ms.size(); ++i)
            ts.emplace_back([&, i] { slow_ms[i] = slowloris(port); });
          for (auto& t : ts)
            t.join();
        });
      }}});
  flooder.join();
  loris.join();
  flood_end = flood_at + 3s;
  auto f
    = tally_faults(cs, history(port, "flooded"), flood_at, {flood_end}, end);
  std::printf("  flood: connects=%zu (%.0f/s) refused=%zu held=%zu "
              "held_cut=%zu slowloris_cut_ms=",
              fr.connects, static_cast<double>(fr.connects) / 3.0, fr.refused,
              fr.held, fr.held_cut);
  for (auto ms : slow_ms)
    std::printf("%ld ", ms);
  std::printf("\n");
  report_and_check("connection_flood_and_slowloris", f);
  EXPECT_LT(f.longest_stall_ms, 2000) << "the node kept serving its clients";
  EXPECT_GT(fr.connects, 1000u) << "the flood flooded";
  EXPECT_EQ(fr.held_cut, fr.held) << "idle connections timed out";
  for (auto ms : slow_ms) {
    EXPECT_GE(ms, http_timeout_ms - 100) << "a slowloris cut too early";
    EXPECT_LE(ms, http_timeout_ms + 1500) << "a slowloris not cut in time";
  }
  // The node still answers plain HTTP.
  EXPECT_EQ(http_request(port, "GET", "/healthz").status, 200);
}

} // namespace
