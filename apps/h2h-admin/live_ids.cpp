// Ids for Tab completion from the node's own answers.
#include "live_ids.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace h2h::admin {

std::string ids_request(id_kind kind) {
  auto limit = std::to_string(max_completion_ids);
  switch (kind) {
    case id_kind::rooms:
      return R"({"cmd":"rooms","limit":)" + limit + "}";
    case id_kind::members:
      return R"({"cmd":"sessions","limit":)" + limit + "}";
    case id_kind::nodes:
    case id_kind::none:
      break;
  }
  return R"({"cmd":"nodes"})";
}

std::vector<std::string> ids_from_answer(id_kind kind,
                                         std::string_view answer) {
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(answer.begin(), answer.end(), nullptr, false);
  if (!j.is_object() || j.value("ok", false) != true || !j.contains("result")
      || !j["result"].is_object())
    return out;
  const char* list = kind == id_kind::rooms     ? "rooms"
                     : kind == id_kind::members ? "sessions"
                                                : "nodes";
  const char* field = kind == id_kind::members ? "member_id" : "id";
  auto& r = j["result"];
  if (!r.contains(list) || !r[list].is_array())
    return out;
  for (auto& e : r[list]) {
    if (out.size() == max_completion_ids)
      break;
    if (!e.is_object() || !e.contains(field))
      continue;
    auto& v = e[field];
    if (v.is_string())
      out.push_back(v.get<std::string>());
    else if (v.is_number_integer() && v.get<std::int64_t>() > 0)
      out.push_back(std::to_string(v.get<std::int64_t>()));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

} // namespace h2h::admin
