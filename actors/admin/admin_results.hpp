// Pure helpers of the admin actor: error replies, limits, the order of rooms
// and the merge of the nodes' answers into one reply (docs/admin.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/vocabulary/admin.hpp"

namespace h2h::admin {

// The error codes of docs/admin.md that the actors give.
inline constexpr const char* bad_request = "ADMIN_BAD_REQUEST";
inline constexpr const char* not_found = "ADMIN_NOT_FOUND";
inline constexpr const char* timeout = "ADMIN_TIMEOUT";
inline constexpr const char* unavailable = "ADMIN_UNAVAILABLE";

/// Entries in a listing without `limit`, and the most with one.
inline constexpr std::uint32_t default_limit = 100;
inline constexpr std::uint32_t max_limit = 10000;

/// A failed reply.
admin_reply failure(std::string code, std::string message);

/// The request's limit: default when 0, at most max_limit.
std::size_t limit_of(const admin_request& req);

/// False when `sort` names no order (members, rate, mailbox, or empty).
bool valid_sort(const std::string& sort);

/// Sorts rooms by `sort` (members online, rate, mailbox: highest first;
/// else by id), ties by id, and keeps the first `limit`.
void sort_rooms(std::vector<admin_room>& rooms, const std::string& sort,
                std::size_t limit);

/// The internal `blocks` command (not on the admin port): member `member`
/// blocks `ids` now; the ids travel in `text`, comma-separated.
admin_request blocks_request(std::int64_t member,
                             const std::vector<std::int64_t>& ids);

/// The ids of a `blocks` request's text, ascending; malformed parts are
/// skipped.
std::vector<std::int64_t> block_ids(const std::string& text);

/// One node's answer to a fanned-out command: none (it did not answer in
/// time) or its reply.
struct node_answer {
  std::string node;
  std::optional<admin_reply> reply;
};

/// Merges the nodes' answers to `req` into one reply; nodes that did not
/// answer are named in `unanswered` (the others' answers still count).
admin_reply merge(const admin_request& req, std::vector<node_answer>& answers);

} // namespace h2h::admin
