// The upgrade table: path lookup and Sec-WebSocket-Protocol negotiation.
#include "net/server/upgrade_table.hpp"

#include <algorithm>
#include <stdexcept>

#include <boost/beast/http/field.hpp>

#include "net/http/router.hpp"

namespace h2h::net {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

} // namespace

std::vector<std::string_view> split_subprotocols(std::string_view header) {
  std::vector<std::string_view> out;
  for (;;) {
    auto comma = header.find(',');
    auto token = trim(header.substr(0, comma));
    if (!token.empty())
      out.push_back(token);
    if (comma == std::string_view::npos)
      return out;
    header.remove_prefix(comma + 1);
  }
}

void upgrade_table::add(upgrade_entry entry) {
  auto taken = entry.transport == transport_kind::sse
                 ? std::any_of(
                   entries_.begin(), entries_.end(),
                   [&](const upgrade_entry& e) { return e.path == entry.path; })
                 : find(entry.path) != nullptr;
  if (taken)
    throw std::invalid_argument("upgrade path registered twice: " + entry.path);
  if (entry.subprotocol_required && entry.subprotocols.empty())
    throw std::invalid_argument("upgrade path " + entry.path
                                + " requires a subprotocol but lists none");
  entries_.push_back(std::move(entry));
}

const upgrade_entry* upgrade_table::find(std::string_view path) const {
  auto i = std::find_if(
    entries_.begin(), entries_.end(), [path](const upgrade_entry& e) {
      return e.transport == transport_kind::websocket && e.path == path;
    });
  return i == entries_.end() ? nullptr : &*i;
}

const upgrade_entry* upgrade_table::find_stream(std::string_view path) const {
  path_params ignored;
  for (const auto& e : entries_)
    if (e.transport == transport_kind::sse
        && router::match(e.path, path, ignored))
      return &e;
  return nullptr;
}

upgrade_match upgrade_table::negotiate(std::string_view path,
                                       std::string_view offered) const {
  upgrade_match out;
  const auto* entry = find(path);
  if (entry == nullptr) {
    out.code = errc::unknown_path;
    out.message = "no WebSocket endpoint at this path";
    return out;
  }
  if (!entry->subprotocols.empty()) {
    for (auto token : split_subprotocols(offered)) {
      const auto& known = entry->subprotocols;
      if (std::find(known.begin(), known.end(), token) != known.end()) {
        out.subprotocol = std::string{token};
        break;
      }
    }
    if (out.subprotocol.empty() && entry->subprotocol_required) {
      out.code = errc::invalid_field;
      std::string list;
      for (const auto& p : entry->subprotocols)
        list += (list.empty() ? "" : ", ") + p;
      out.message = "Sec-WebSocket-Protocol must offer one of: " + list;
      return out;
    }
  }
  out.entry = entry;
  return out;
}

upgrade_match upgrade_table::negotiate(const http_request& req) const {
  // The header may come as several lines: they form one list.
  std::string offered;
  auto lines
    = req.equal_range(boost::beast::http::field::sec_websocket_protocol);
  for (auto i = lines.first; i != lines.second; ++i) {
    auto v = i->value();
    offered.append(offered.empty() ? "" : ",").append(v.data(), v.size());
  }
  return negotiate(target_path(req.target()), offered);
}

void upgrade_table::authenticate(const upgrade_match& match,
                                 const http_request& req,
                                 const request_meta& meta,
                                 std::function<void(ws_auth)> done) {
  if (!match) {
    done(ws_auth::refused(match.code, match.message));
    return;
  }
  if (!match.entry->authenticate) {
    done(ws_auth{});
    return;
  }
  match.entry->authenticate(req, meta, std::move(done));
}

} // namespace h2h::net
