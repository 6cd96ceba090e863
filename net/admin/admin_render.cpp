// The admin port's answer lines (docs/admin.md): an admin_reply in the
// result shape of its command, or the error envelope.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/admin/admin_json.hpp"

namespace h2h::net {

// Ordered: the answer reads ok, cmd, result as docs/admin.md shows it.
using json = nlohmann::ordered_json;

namespace {

std::string dump(const json& j) {
  // Names and texts come from clients: never throw on ill-formed UTF-8.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json node_json(const admin_node& n, std::int64_t now_ms) {
  std::int64_t uptime_s = n.started_ms > 0 && now_ms > n.started_ms
                            ? (now_ms - n.started_ms) / 1000
                            : 0;
  return {{"id", n.id},
          {"address", n.address},
          {"started_ms", n.started_ms},
          {"uptime_s", uptime_s},
          {"rooms", n.rooms},
          {"sessions", n.sessions}};
}

json room_json(const admin_room& r) {
  json subscribers = json::object();
  for (auto& [key, n] : r.subscribers) {
    auto& slot = subscribers[key];
    slot = (slot.is_null() ? 0u : slot.get<std::uint64_t>()) + n;
  }
  return {{"id", r.id},
          {"node", r.node},
          {"owner", r.owner},
          {"relay", r.relay},
          {"seq", r.seq},
          {"members_total", r.members_total},
          {"members_online", r.members_online},
          {"subscribers", std::move(subscribers)},
          {"mailbox", r.mailbox},
          // JSON has no NaN or infinity.
          {"rate", std::isfinite(r.rate) ? r.rate : 0.0},
          {"persistence_lag", r.persistence_lag},
          {"last_activity_ms", r.last_activity_ms}};
}

json session_json(const admin_session& s) {
  return {{"node", s.node},
          {"id", s.id},
          {"member_id", s.member_id},
          {"name", s.name},
          {"protocol", s.protocol},
          {"rooms", s.rooms},
          {"connected_ms", s.connected_ms}};
}

json sessions_json(const std::vector<admin_session>& v) {
  json out = json::array();
  for (auto& s : v)
    out.push_back(session_json(s));
  return out;
}

json report_json(const admin_report& r) {
  // The context was made by the REST layer as JSON; should it not parse,
  // it is shown as the text it is.
  auto context = json::parse(r.context, nullptr, false);
  if (context.is_discarded())
    context = r.context;
  return {{"id", r.id},
          {"reporter_id", r.reporter_id},
          {"target_id", r.target_id},
          {"reason", r.reason},
          {"created_ms", r.created_ms},
          {"context", std::move(context)}};
}

json result_of(const admin_request& req, const admin_reply& reply,
               const admin_render_context& ctx) {
  const auto& cmd = req.command;
  if (cmd == "nodes") {
    json nodes = json::array();
    for (auto& n : reply.nodes)
      nodes.push_back(node_json(n, ctx.now_ms));
    return {{"nodes", std::move(nodes)}};
  }
  if (cmd == "rooms") {
    json rooms = json::array();
    for (auto& r : reply.rooms)
      rooms.push_back(room_json(r));
    return {{"rooms", std::move(rooms)}};
  }
  if (cmd == "room") {
    // The owner's view is the room; relays' views (their subscribers) go
    // alongside. No view at all: null (the owner may be in unanswered).
    const admin_room* owner = nullptr;
    for (auto& r : reply.rooms)
      if (!r.relay && owner == nullptr)
        owner = &r;
    if (owner == nullptr && !reply.rooms.empty())
      owner = &reply.rooms.front();
    json relays = json::array();
    for (auto& r : reply.rooms)
      if (&r != owner)
        relays.push_back(room_json(r));
    return {{"room", owner ? room_json(*owner) : json(nullptr)},
            {"relays", std::move(relays)}};
  }
  if (cmd == "sessions")
    return {{"sessions", sessions_json(reply.sessions)}};
  if (cmd == "member") {
    // The rooms the actor names; if it names none, those its sessions are
    // in (each once, sorted).
    std::vector<std::string> ids;
    for (auto& r : reply.rooms)
      ids.push_back(r.id);
    if (ids.empty()) {
      for (auto& s : reply.sessions)
        ids.insert(ids.end(), s.rooms.begin(), s.rooms.end());
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    }
    json rooms = ids;
    return {{"member", req.member},
            {"sessions", sessions_json(reply.sessions)},
            {"rooms", std::move(rooms)}};
  }
  if (cmd == "kick")
    return {{"kicked", reply.count}};
  if (cmd == "close")
    return {{"closed", reply.count > 0}};
  if (cmd == "broadcast")
    return {{"seq", reply.count}};
  if (cmd == "stats") {
    json counters = json::object();
    for (auto& [name, n] : reply.counters)
      counters[name] = n;
    // The node that answered names itself in `nodes` when it can.
    auto node = reply.nodes.size() == 1 ? reply.nodes[0].id : ctx.node_id;
    return {{"node", node}, {"counters", std::move(counters)}};
  }
  if (cmd == "loglevel")
    return {{"level", req.text}};
  if (cmd == "drain")
    return {{"draining", true}};
  if (cmd == "reports") {
    json reports = json::array();
    for (auto& r : reply.reports)
      reports.push_back(report_json(r));
    return {{"reports", std::move(reports)}};
  }
  return json::object();
}

json error_json(std::string_view cmd, std::string_view code,
                std::string_view message) {
  return {{"ok", false},
          {"cmd", cmd},
          {"error", {{"code", code}, {"message", message}}}};
}

} // namespace

std::string render_admin_reply(const admin_request& req,
                               const admin_reply& reply,
                               const admin_render_context& ctx) {
  json out;
  if (!reply.error.empty()) {
    out = error_json(req.command, reply.error, reply.message);
  } else {
    out = {{"ok", true},
           {"cmd", req.command},
           {"result", result_of(req, reply, ctx)}};
  }
  if (!reply.unanswered.empty())
    out["unanswered"] = reply.unanswered;
  return dump(out);
}

std::string render_admin_error(std::string_view cmd, std::string_view code,
                               std::string_view message) {
  return dump(error_json(cmd, code, message));
}

std::string render_admin_auth_ok() {
  return R"({"ok":true,"cmd":"auth"})";
}

} // namespace h2h::net
