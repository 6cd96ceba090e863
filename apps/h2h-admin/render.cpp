// Text for people from the admin port's answers: one function per result
// shape of docs/admin.md, and a generic key/value form for any other.
#include "render.hpp"

#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

#include "table.hpp"

namespace h2h::admin {

namespace {

using json = nlohmann::ordered_json;

/// A value as text; what is missing or null shows as "-".
std::string str(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key))
    return "-";
  auto& v = j[key];
  if (v.is_string())
    return printable(v.get<std::string>());
  if (v.is_boolean())
    return v.get<bool>() ? "yes" : "no";
  if (v.is_null())
    return "-";
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v.get<double>());
    return buf;
  }
  return printable(v.dump());
}

std::int64_t num(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number())
    return 0;
  return j[key].get<std::int64_t>();
}

/// "12s ago" for a wall-clock ms timestamp; "-" for none (0 or missing).
std::string age(const json& j, const char* key, std::int64_t now_ms) {
  auto ts = num(j, key);
  if (ts <= 0)
    return "-";
  auto s = now_ms > ts ? (now_ms - ts) / 1000 : 0;
  return format_duration(s) + " ago";
}

std::string joined(const json& list) {
  if (!list.is_array())
    return "-";
  std::string out;
  for (auto& v : list)
    out += (out.empty() ? "" : ",")
           + printable(v.is_string() ? v.get<std::string>() : v.dump());
  return out.empty() ? "-" : out;
}

const json& list_of(const json& result, const char* key) {
  static const json empty = json::array();
  if (result.is_object() && result.contains(key) && result[key].is_array())
    return result[key];
  return empty;
}

std::string nodes_text(const json& r, std::int64_t now_ms) {
  table t{{"ID", "ADDRESS", "UPTIME", "ROOMS", "SESSIONS"}, {3, 4}};
  for (auto& n : list_of(r, "nodes")) {
    std::string up = "-";
    if (n.contains("uptime_s") && n["uptime_s"].is_number())
      up = format_duration(num(n, "uptime_s"));
    else if (num(n, "started_ms") > 0)
      up = format_duration((now_ms - num(n, "started_ms")) / 1000);
    t.add({str(n, "id"), str(n, "address"), up, str(n, "rooms"),
           str(n, "sessions")});
  }
  return t.text("(no nodes)");
}

std::string rooms_text(const json& r, std::int64_t now_ms) {
  table t{{"ID", "OWNER", "SEQ", "MEMBERS", "ONLINE", "MAILBOX", "MSG/S", "LAG",
           "LAST ACTIVITY"},
          {2, 3, 4, 5, 6, 7}};
  for (auto& x : list_of(r, "rooms"))
    t.add({str(x, "id"), str(x, "owner"), str(x, "seq"),
           str(x, "members_total"), str(x, "members_online"), str(x, "mailbox"),
           str(x, "rate"), str(x, "persistence_lag"),
           age(x, "last_activity_ms", now_ms)});
  return t.text("(no rooms)");
}

std::string subscribers_text(const json& room) {
  if (!room.contains("subscribers") || !room["subscribers"].is_object())
    return "-";
  std::string out;
  for (auto& [k, v] : room["subscribers"].items())
    out += (out.empty() ? "" : ", ") + printable(k) + " " + printable(v.dump());
  return out.empty() ? "none" : out;
}

std::string room_text(const json& r, std::int64_t now_ms) {
  if (!r.is_object() || !r.contains("room") || !r["room"].is_object())
    return "(no room in the answer)\n";
  auto& x = r["room"];
  std::string answered = str(x, "node");
  if (x.contains("relay") && x["relay"].is_boolean() && x["relay"].get<bool>())
    answered += " (a relay)";
  key_values kv;
  kv.add("id", str(x, "id"));
  kv.add("owner", str(x, "owner"));
  kv.add("answered by", answered);
  kv.add("seq", str(x, "seq"));
  kv.add("members", str(x, "members_total") + " total, "
                      + str(x, "members_online") + " online");
  kv.add("subscribers", subscribers_text(x));
  kv.add("mailbox", str(x, "mailbox"));
  kv.add("rate", str(x, "rate") + " msg/s (last minute)");
  kv.add("persistence lag", str(x, "persistence_lag"));
  kv.add("last activity", age(x, "last_activity_ms", now_ms));
  return kv.text();
}

std::string sessions_table(const json& list, std::int64_t now_ms) {
  table t{
    {"NODE", "SESSION", "MEMBER", "NAME", "PROTOCOL", "ROOMS", "CONNECTED"},
    {2}};
  for (auto& s : list)
    t.add({str(s, "node"), str(s, "id"), str(s, "member_id"), str(s, "name"),
           str(s, "protocol"),
           joined(s.is_object() && s.contains("rooms") ? s["rooms"] : json{}),
           age(s, "connected_ms", now_ms)});
  return t.text("(no sessions)");
}

std::string member_text(const json& r, std::int64_t now_ms) {
  key_values kv;
  kv.add("member", str(r, "member"));
  kv.add("rooms", r.is_object() && r.contains("rooms") ? joined(r["rooms"])
                                                       : std::string{"-"});
  return kv.text() + sessions_table(list_of(r, "sessions"), now_ms);
}

/// The reports as a table, then each report's context messages.
std::string reports_text(const json& r, std::int64_t now_ms) {
  table t{{"ID", "TARGET", "REPORTER", "MADE", "MESSAGES", "REASON"},
          {0, 1, 2, 4}};
  std::string context;
  for (auto& x : list_of(r, "reports")) {
    const json& messages
      = x.is_object() && x.contains("context") && x["context"].is_array()
          ? x["context"]
          : json::array();
    t.add({str(x, "id"), str(x, "target_id"), str(x, "reporter_id"),
           age(x, "created_ms", now_ms), std::to_string(messages.size()),
           str(x, "reason")});
    if (messages.empty())
      continue;
    context += "report " + str(x, "id") + ":\n";
    for (auto& m : messages)
      context += "  " + str(m, "roomId") + " #" + str(m, "seq") + " "
                 + str(m, "sender") + ": " + str(m, "message") + "\n";
  }
  return t.text("(no reports)") + context;
}

std::string stats_text(const json& r) {
  key_values kv;
  kv.add("node", str(r, "node"));
  if (r.is_object() && r.contains("counters") && r["counters"].is_object())
    for (auto& [k, v] : r["counters"].items())
      kv.add(printable(k),
             printable(v.is_string() ? v.get<std::string>() : v.dump()));
  return kv.text();
}

/// Any result this version does not know: its fields, one per line.
std::string generic_text(const json& r) {
  if (!r.is_object())
    return r.is_null() ? "OK\n" : printable(r.dump()) + "\n";
  if (r.empty())
    return "OK\n";
  key_values kv;
  for (auto& [k, v] : r.items())
    kv.add(printable(k),
           printable(v.is_string() ? v.get<std::string>() : v.dump()));
  return kv.text();
}

std::string result_text(const std::string& cmd, const json& r,
                        std::int64_t now_ms) {
  if (cmd == "nodes")
    return nodes_text(r, now_ms);
  if (cmd == "rooms")
    return rooms_text(r, now_ms);
  if (cmd == "room")
    return room_text(r, now_ms);
  if (cmd == "sessions")
    return sessions_table(list_of(r, "sessions"), now_ms);
  if (cmd == "member")
    return member_text(r, now_ms);
  if (cmd == "stats")
    return stats_text(r);
  if (cmd == "reports")
    return reports_text(r, now_ms);
  if (cmd == "kick") {
    auto n = num(r, "kicked");
    return "kicked " + std::to_string(n) + " session" + (n == 1 ? "" : "s")
           + "\n";
  }
  if (cmd == "close")
    return "room closed\n";
  if (cmd == "broadcast")
    return "broadcast stored as seq " + str(r, "seq") + "\n";
  if (cmd == "loglevel")
    return "log level is now " + str(r, "level") + "\n";
  if (cmd == "drain")
    return "draining: the node stops accepting clients and leaves\n";
  if (cmd == "auth")
    return "authenticated\n";
  return generic_text(r);
}

} // namespace

std::string format_duration(std::int64_t s) {
  if (s < 0)
    s = 0;
  auto two
    = [](std::int64_t a, const char* ua, std::int64_t b, const char* ub) {
        return std::to_string(a) + ua + " " + std::to_string(b) + ub;
      };
  if (s >= 86400)
    return two(s / 86400, "d", s % 86400 / 3600, "h");
  if (s >= 3600)
    return two(s / 3600, "h", s % 3600 / 60, "m");
  if (s >= 60)
    return two(s / 60, "m", s % 60, "s");
  return std::to_string(s) + "s";
}

rendered render_answer(std::string_view answer, bool as_json,
                       std::int64_t now_ms) {
  while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r'))
    answer.remove_suffix(1);
  rendered out;
  auto j = json::parse(answer.begin(), answer.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    out.text = "(error) the node's answer is not a JSON object: "
               + printable(std::string{answer.substr(0, 200)}) + "\n";
    return out;
  }
  out.ok = j.contains("ok") && j["ok"].is_boolean() && j["ok"].get<bool>();
  if (as_json) {
    out.text = std::string{answer} + "\n";
    return out;
  }
  if (!out.ok) {
    const json& e = j.contains("error") ? j["error"] : json::object();
    out.text = "(error) " + str(e, "code") + " " + str(e, "message") + "\n";
  } else {
    auto cmd = j.contains("cmd") && j["cmd"].is_string()
                 ? j["cmd"].get<std::string>()
                 : std::string{};
    out.text
      = result_text(cmd, j.contains("result") ? j["result"] : json{}, now_ms);
  }
  if (j.contains("unanswered") && j["unanswered"].is_array())
    for (auto& n : j["unanswered"])
      out.text += "node "
                  + printable(n.is_string() ? n.get<std::string>() : n.dump())
                  + " did not answer\n";
  return out;
}

} // namespace h2h::admin
