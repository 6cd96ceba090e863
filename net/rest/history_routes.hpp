// GET /messages/room/{id}: history pages (original paging and cursor).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "actors/vocabulary/type_ids.hpp"
#include "net/protocol/raw_json/json_codec.hpp"
#include "net/http/router.hpp"

namespace h2h::net {

/// Largest page a client may ask for.
constexpr std::uint64_t max_history_page = 100;

/// A validated history request, or the error for the client.
struct history_request {
  history_query query;
  /// Cursor mode ({messages, next_before}) rather than a plain array.
  bool cursor_mode = false;
};

/// Reads page/size or before/limit from a request target (pure).
std::variant<history_request, frame_error>
parse_history_request(const std::string& room_id, std::string_view target);

/// The JSON body for a page of history (pure). Messages of the members in
/// `blocked` (ascending ids: whom the reader blocks) are left out; the
/// cursor still moves past them, so a page may hold fewer than its limit.
std::string history_body(const history_request& req,
                         const std::vector<room_event>& events,
                         const std::vector<std::int64_t>& blocked = {});

} // namespace h2h::net
