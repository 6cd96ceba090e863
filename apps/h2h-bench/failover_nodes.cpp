// What h2h-bench failover asks the nodes outside the load: their ids (so
// the rooms' owners), the rooms' history afterwards, the victim's name.
#include "failover_nodes.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>

#include "actors/cluster/rendezvous.hpp"
#include "http_get.hpp"

namespace h2h::bench {

namespace {

using namespace std::chrono_literals;

constexpr auto http_limit = 5000ms;
/// History pages read per room (100 events each): bounds the check.
constexpr int max_history_pages = 2000;

} // namespace

std::string process_name(int pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/comm"};
  std::string name;
  std::getline(in, name);
  return name;
}

std::vector<failover_room> find_owners(const bench_options& o) {
  std::vector<std::string> ids;
  for (auto& u : o.urls) {
    std::string error;
    auto a
      = http_get(u.host, std::to_string(u.port), "/readyz", http_limit, error);
    auto j
      = a ? nlohmann::json::parse(a->body, nullptr, false) : nlohmann::json{};
    auto node = j.is_object() && j.contains("cluster")
                    && j["cluster"].is_object()
                    && j["cluster"].value("node", nlohmann::json{}).is_string()
                  ? j["cluster"]["node"].get<std::string>()
                  : std::string{};
    if (node.empty())
      std::cerr << "h2h-bench failover: " << u.host << ":" << u.port
                << " names no cluster node in /readyz"
                << (a ? "" : " (" + error + ")") << "; owners unknown\n";
    ids.push_back(node);
  }
  bool known
    = std::none_of(ids.begin(), ids.end(), [](auto& s) { return s.empty(); });
  std::vector<std::string> after(ids.begin() + 1, ids.end());
  std::vector<failover_room> rooms;
  for (std::size_t r = 0; r < o.rooms; ++r) {
    failover_room room;
    room.id = o.room_prefix + std::to_string(r);
    if (known) {
      room.owner_before = *rendezvous_owner(room.id, ids);
      room.owner_after = *rendezvous_owner(room.id, after);
    }
    rooms.push_back(std::move(room));
  }
  return rooms;
}

std::vector<std::optional<history_room>> read_history(const bench_options& o) {
  std::string bearer;
  if (!o.token_file.empty())
    if (auto t = load_tokens(o.token_file); t && !t->empty())
      bearer = t->front();
  std::vector<std::optional<history_room>> out;
  for (std::size_t room = 0; room < o.rooms; ++room) {
    auto id = o.room_prefix + std::to_string(room);
    std::optional<history_room> h{history_room{}};
    for (int page = 0; page < max_history_pages && h; ++page) {
      std::optional<http_answer> a;
      std::string error;
      // Any survivor that answers.
      for (std::size_t s = 1; s < o.urls.size() && !a; ++s)
        a = http_get(o.urls[s].host, std::to_string(o.urls[s].port),
                     "/messages/room/" + id + "?page=" + std::to_string(page)
                       + "&size=100",
                     http_limit, error, bearer);
      auto arr = a && a->status == 200
                   ? nlohmann::json::parse(a->body, nullptr, false)
                   : nlohmann::json{};
      if (!arr.is_array()) {
        std::cerr << "h2h-bench failover: history of " << id << " page " << page
                  << ": " << (a ? "HTTP " + std::to_string(a->status) : error)
                  << '\n';
        h.reset();
        break;
      }
      for (auto& e : arr) {
        auto seq = e.find("seq");
        auto cid = e.find("clientMsgId");
        if (seq == e.end() || !seq->is_number_unsigned())
          continue;
        h->seqs.push_back(seq->get<std::uint64_t>());
        h->client_msg_ids.push_back(
          cid != e.end() && cid->is_string() ? cid->get<std::string>() : "");
      }
      if (arr.size() < 100)
        break;
    }
    out.push_back(std::move(h));
  }
  return out;
}

} // namespace h2h::bench
