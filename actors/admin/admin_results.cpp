// Pure helpers of the admin actor: error replies, limits, the order of rooms
// and the merge of the nodes' answers into one reply.
#include "actors/admin/admin_results.hpp"

#include <algorithm>
#include <charconv>
#include <tuple>

namespace h2h::admin {

admin_reply failure(std::string code, std::string message) {
  admin_reply r;
  r.error = std::move(code);
  r.message = std::move(message);
  return r;
}

std::size_t limit_of(const admin_request& req) {
  if (req.limit == 0)
    return default_limit;
  return std::min(req.limit, max_limit);
}

bool valid_sort(const std::string& sort) {
  return sort.empty() || sort == "members" || sort == "rate"
         || sort == "mailbox" || sort == "id";
}

void sort_rooms(std::vector<admin_room>& rooms, const std::string& sort,
                std::size_t limit) {
  auto key = [&sort](const admin_room& r) -> double {
    if (sort == "members")
      return static_cast<double>(r.members_online);
    if (sort == "rate")
      return r.rate;
    if (sort == "mailbox")
      return static_cast<double>(r.mailbox);
    return 0;
  };
  auto less = [&key](const admin_room& x, const admin_room& y) {
    auto kx = key(x);
    auto ky = key(y);
    if (kx != ky)
      return kx > ky;
    return std::tie(x.id, x.node) < std::tie(y.id, y.node);
  };
  if (rooms.size() > limit) {
    std::partial_sort(rooms.begin(),
                      rooms.begin() + static_cast<std::ptrdiff_t>(limit),
                      rooms.end(), less);
    rooms.resize(limit);
  } else {
    std::sort(rooms.begin(), rooms.end(), less);
  }
}

namespace {

bool is_not_found(const admin_reply& r) {
  return r.error == not_found;
}

/// Commands about one room: the node that has it answers, the others say
/// ADMIN_NOT_FOUND. Success wins; then a real error; then, if a node did
/// not answer, a timeout (it may have had the room); else not found.
admin_reply merge_one(const admin_request& req,
                      std::vector<node_answer>& answers,
                      std::vector<std::string>& unanswered) {
  std::vector<admin_reply*> ok;
  admin_reply* err = nullptr;
  admin_reply* missing = nullptr;
  for (auto& a : answers) {
    if (!a.reply)
      continue;
    if (a.reply->error.empty())
      ok.push_back(&*a.reply);
    else if (!is_not_found(*a.reply) && !err)
      err = &*a.reply;
    else if (!missing)
      missing = &*a.reply;
  }
  if (ok.empty()) {
    if (err)
      return std::move(*err);
    if (!unanswered.empty())
      return failure(timeout, "the node(s) that may have room " + req.room
                                + " did not answer in time");
    if (missing)
      return std::move(*missing);
    return failure(not_found, "no such room: " + req.room);
  }
  admin_reply out;
  if (req.command == "room") {
    // The owner's view counts; a relay's only when the owner said nothing.
    admin_reply* best = ok.front();
    for (auto* r : ok)
      if (!r->rooms.empty() && !r->rooms.front().relay) {
        best = r;
        break;
      }
    out.rooms = std::move(best->rooms);
    for (auto& a : answers)
      if (a.reply && &*a.reply == best)
        for (auto& room : out.rooms) {
          if (room.node.empty())
            room.node = a.node;
          if (room.owner.empty())
            room.owner = a.node;
        }
    return out;
  }
  for (auto* r : ok)
    out.count += r->count;
  return out;
}

} // namespace

admin_request blocks_request(std::int64_t member,
                             const std::vector<std::int64_t>& ids) {
  admin_request req;
  req.command = "blocks";
  req.member = member;
  for (auto id : ids) {
    if (!req.text.empty())
      req.text += ',';
    req.text += std::to_string(id);
  }
  return req;
}

std::vector<std::int64_t> block_ids(const std::string& text) {
  std::vector<std::int64_t> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find(',', pos);
    if (end == std::string::npos)
      end = text.size();
    std::int64_t id = 0;
    auto first = text.data() + pos;
    auto last = text.data() + end;
    auto r = std::from_chars(first, last, id);
    if (r.ec == std::errc{} && r.ptr == last && id > 0)
      out.push_back(id);
    pos = end + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

admin_reply merge(const admin_request& req, std::vector<node_answer>& answers) {
  std::vector<std::string> unanswered;
  for (auto& a : answers)
    if (!a.reply)
      unanswered.push_back(a.node);
  const auto& cmd = req.command;
  admin_reply out;
  if (cmd == "room" || cmd == "close" || cmd == "broadcast"
      || (cmd == "kick" && !req.room.empty())) {
    out = merge_one(req, answers, unanswered);
  } else {
    // Listings and counts: every node's part.
    bool any = false;
    for (auto& a : answers) {
      if (!a.reply)
        continue;
      auto& r = *a.reply;
      if (!r.error.empty()) {
        // A node refusing (e.g. stopping) is as good as silent here.
        unanswered.push_back(a.node);
        continue;
      }
      any = true;
      for (auto& n : r.nodes)
        out.nodes.push_back(std::move(n));
      for (auto& room : r.rooms) {
        // A single node's directory knows no node id: the answer's node.
        if (room.node.empty())
          room.node = a.node;
        if (room.owner.empty())
          room.owner = a.node;
        out.rooms.push_back(std::move(room));
      }
      for (auto& s : r.sessions)
        out.sessions.push_back(std::move(s));
      for (auto& c : r.counters)
        out.counters.emplace_back(
          answers.size() > 1 ? a.node + "." + c.first : c.first, c.second);
      out.count += r.count;
      if (!r.message.empty())
        out.message += (out.message.empty() ? "" : "; ") + r.message;
    }
    if (!any && !answers.empty())
      out = failure(timeout, "no node answered in time");
    std::sort(
      out.nodes.begin(), out.nodes.end(),
      [](const admin_node& x, const admin_node& y) { return x.id < y.id; });
    sort_rooms(out.rooms, req.sort, limit_of(req));
    std::sort(out.sessions.begin(), out.sessions.end(),
              [](const admin_session& x, const admin_session& y) {
                return std::tie(x.connected_ms, x.node, x.id)
                       < std::tie(y.connected_ms, y.node, y.id);
              });
    if (out.sessions.size() > limit_of(req))
      out.sessions.resize(limit_of(req));
  }
  std::sort(unanswered.begin(), unanswered.end());
  out.unanswered = std::move(unanswered);
  return out;
}

} // namespace h2h::admin
