// The admin port's request lines (docs/admin.md), parsed and checked field
// by field: a request the admin actor gets is always well-formed.
#include "net/admin/admin_json.hpp"

#include <array>
#include <limits>

#include <nlohmann/json.hpp>

#include "config/cluster_settings.hpp"
#include "net/protocol/raw_json/json_codec.hpp"
#include "net/protocol/utf8.hpp"

namespace h2h::net {

using nlohmann::json;

namespace {

/// A command and the fields it takes; `required` are a prefix of them.
struct command_spec {
  std::string_view name;
  std::array<std::string_view, 3> fields;
  std::size_t required;
};

constexpr std::array<command_spec, 13> commands{{
  {"nodes", {}, 0},
  {"rooms", {"node", "sort", "limit"}, 0},
  {"room", {"room"}, 1},
  {"sessions", {"room", "member", "limit"}, 0},
  {"member", {"member"}, 1},
  {"kick", {"member", "room"}, 1},
  {"close", {"room"}, 1},
  {"broadcast", {"room", "text"}, 2},
  {"stats", {}, 0},
  {"loglevel", {"level"}, 1},
  {"drain", {}, 0},
  {"auth", {"token"}, 1},
  {"reports", {"target", "limit"}, 0},
}};

constexpr std::int64_t max_limit = 10000;

const command_spec* find_command(std::string_view name) {
  for (auto& c : commands)
    if (c.name == name)
      return &c;
  return nullptr;
}

bool takes(const command_spec& c, std::string_view field) {
  for (auto f : c.fields)
    if (!f.empty() && f == field)
      return true;
  return false;
}

std::string command_list() {
  std::string out;
  for (auto& c : commands)
    out += (out.empty() ? "" : ", ") + std::string{c.name};
  return out;
}

/// True when `v` is a JSON integer (not a float, not a bool) in
/// [lo, hi]; then it is stored in `out`.
bool integer_in(const json& v, std::int64_t lo, std::int64_t hi,
                std::int64_t& out) {
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(hi) || static_cast<std::int64_t>(u) < lo)
      return false;
    out = static_cast<std::int64_t>(u);
    return true;
  }
  if (!v.is_number_integer())
    return false;
  auto i = v.get<std::int64_t>();
  if (i < lo || i > hi)
    return false;
  out = i;
  return true;
}

/// Checks one field's value into `req`; returns the problem, or "".
std::string read_field(std::string_view name, const json& v, admin_request& req,
                       const admin_parse_limits& limits) {
  if (name == "room") {
    if (!v.is_string() || !valid_room_id(v.get_ref<const std::string&>()))
      return "room must be a room id: 1 to 64 letters, digits, '-' or '_'";
    req.room = v.get<std::string>();
  } else if (name == "node") {
    if (!v.is_string()
        || !config::is_plain_name(v.get_ref<const std::string&>(), 64))
      return "node must be a node id: 1 to 64 of A-Z a-z 0-9 . _ -";
    req.node = v.get<std::string>();
  } else if (name == "member" || name == "target") {
    if (!integer_in(v, 1, std::numeric_limits<std::int64_t>::max(), req.member))
      return std::string{name} + " must be an integer member id > 0";
  } else if (name == "limit") {
    std::int64_t limit = 0;
    if (!integer_in(v, 1, max_limit, limit))
      return "limit must be an integer from 1 to " + std::to_string(max_limit);
    req.limit = static_cast<std::uint32_t>(limit);
  } else if (name == "sort") {
    if (!v.is_string() || (v != "members" && v != "rate" && v != "mailbox"))
      return "sort must be one of members, rate, mailbox";
    req.sort = v.get<std::string>();
  } else if (name == "level") {
    if (!v.is_string()
        || (v != "trace" && v != "debug" && v != "info" && v != "warning"
            && v != "error"))
      return "level must be one of trace, debug, info, warning, error";
    req.text = v.get<std::string>();
  } else if (name == "text") {
    if (!v.is_string())
      return "text must be a string";
    auto& text = v.get_ref<const std::string&>();
    if (text.empty())
      return "text must not be empty";
    if (!valid_utf8(text))
      return "text must be valid UTF-8";
    if (utf8_length(text) > limits.max_text_chars)
      return "text must be at most " + std::to_string(limits.max_text_chars)
             + " characters";
    req.text = text;
  } else if (name == "token") {
    if (!v.is_string())
      return "token must be a string";
    req.text = v.get<std::string>();
  }
  return {};
}

} // namespace

admin_parse_result parse_admin_request(std::string_view line,
                                       const admin_parse_limits& limits) {
  admin_parse_result r;
  auto refuse = [&r](const char* code, std::string message) {
    r.error = code;
    r.message = std::move(message);
    return r;
  };
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  auto doc = json::parse(line.begin(), line.end(), nullptr, false);
  if (doc.is_discarded())
    return refuse(admin_code::bad_request,
                  "not JSON: send one JSON object per line");
  if (!doc.is_object())
    return refuse(admin_code::bad_request,
                  "not a JSON object: send {\"cmd\":...}");
  auto cmd = doc.find("cmd");
  if (cmd == doc.end())
    return refuse(admin_code::bad_request, "missing field 'cmd'");
  if (!cmd->is_string())
    return refuse(admin_code::bad_request, "cmd must be a string");
  auto& name = cmd->get_ref<const std::string&>();
  // The parser checked the UTF-8; cut at a code point to keep it so.
  r.cmd = name.substr(0, utf8_cut(name, 64));
  auto* spec = find_command(name);
  if (spec == nullptr)
    return refuse(admin_code::unknown_command,
                  "unknown command '" + r.cmd + "' (commands: " + command_list()
                    + ")");
  r.request.command = name;
  for (auto& [key, value] : doc.items()) {
    if (key == "cmd")
      continue;
    if (!takes(*spec, key)) {
      auto shown = key.substr(0, utf8_cut(key, 64));
      return refuse(admin_code::bad_request,
                    "unknown field '" + shown + "' for " + r.cmd);
    }
    auto problem = read_field(key, value, r.request, limits);
    if (!problem.empty())
      return refuse(admin_code::bad_request, std::move(problem));
  }
  for (std::size_t i = 0; i < spec->required; ++i)
    if (!doc.contains(spec->fields[i]))
      return refuse(admin_code::bad_request, "missing field '"
                                               + std::string{spec->fields[i]}
                                               + "' for " + r.cmd);
  return r;
}

} // namespace h2h::net
