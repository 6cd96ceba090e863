// The admin port's `reports` (docs/admin.md): members' reports read from the
// store on a store worker, never on the admin port's thread nor in an actor.
#pragma once

#include <cstdint>

#include "actors/store/store_runner.hpp"
#include "net/admin/admin_listener.hpp"

namespace h2h::net {

/// Reports one answer lists when no --limit is given, and at most.
inline constexpr std::uint32_t default_reports = 50;
inline constexpr std::uint32_t max_reports = 500;

/// Answers `reports` (req.member: only reports about that member; 0: all;
/// req.limit: at most that many, 0: default_reports, cut to max_reports)
/// from `jobs`; `reply` is called on the worker's thread.
void answer_reports(store_runner& jobs, const admin_request& req,
                    admin_reply_fn reply);

} // namespace h2h::net
