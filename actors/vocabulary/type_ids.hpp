// The one type-ID block of h2h: every type that travels in a message. Include
// this (not messages.hpp or interfaces.hpp alone) wherever messages are made:
// CAF_ENABLE_TYPE_ID_CHECKS then rejects a type without an ID at compile time.
// Tests may append a block of their own at `caf::id_block::h2h::end`.
#pragma once

#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/vocabulary/admin.hpp"
#include "actors/vocabulary/interfaces.hpp"
#include "actors/vocabulary/messages.hpp"

// clang-format off
CAF_BEGIN_TYPE_ID_BLOCK(h2h, caf::first_custom_type_id)

CAF_ADD_TYPE_ID(h2h, (h2h::event_kind))
CAF_ADD_TYPE_ID(h2h, (h2h::room_event))
CAF_ADD_TYPE_ID(h2h, (h2h::event_batch))
CAF_ADD_TYPE_ID(h2h, (std::vector<h2h::room_event>))
CAF_ADD_TYPE_ID(h2h, (h2h::command_kind))
CAF_ADD_TYPE_ID(h2h, (h2h::client_command))
CAF_ADD_TYPE_ID(h2h, (h2h::append_outcome))
CAF_ADD_TYPE_ID(h2h, (std::vector<h2h::append_outcome>))
CAF_ADD_TYPE_ID(h2h, (h2h::room_snapshot))
CAF_ADD_TYPE_ID(h2h, (h2h::history_mode))
CAF_ADD_TYPE_ID(h2h, (h2h::history_query))
CAF_ADD_TYPE_ID(h2h, (h2h::history_page))
CAF_ADD_TYPE_ID(h2h, (h2h::publish_request))
CAF_ADD_TYPE_ID(h2h, (h2h::errc))
CAF_ADD_TYPE_ID(h2h, (h2h::room_change_kind))
CAF_ADD_TYPE_ID(h2h, (h2h::room_change))
CAF_ADD_TYPE_ID(h2h, (h2h::append_status))
CAF_ADD_TYPE_ID(h2h, (std::vector<std::string>))

// Handles and the messages that carry them.
CAF_ADD_TYPE_ID(h2h, (h2h::session_actor))
CAF_ADD_TYPE_ID(h2h, (h2h::room_actor))
CAF_ADD_TYPE_ID(h2h, (h2h::directory_actor))
CAF_ADD_TYPE_ID(h2h, (h2h::store_worker_actor))
CAF_ADD_TYPE_ID(h2h, (h2h::persistence_actor))
CAF_ADD_TYPE_ID(h2h, (h2h::enter_request))
CAF_ADD_TYPE_ID(h2h, (h2h::enter_reply))
CAF_ADD_TYPE_ID(h2h, (h2h::enter_role))
CAF_ADD_TYPE_ID(h2h, (h2h::cluster_view))
CAF_ADD_TYPE_ID(h2h, (std::vector<h2h::directory_actor>))
CAF_ADD_TYPE_ID(h2h, (std::vector<std::int64_t>))
CAF_ADD_TYPE_ID(h2h, (h2h::node_record))
CAF_ADD_TYPE_ID(h2h, (std::vector<h2h::node_record>))

// The admin actor's records (admin.hpp) and its handle.
CAF_ADD_TYPE_ID(h2h, (h2h::admin_request))
CAF_ADD_TYPE_ID(h2h, (h2h::admin_reply))
CAF_ADD_TYPE_ID(h2h, (h2h::admin_node))
CAF_ADD_TYPE_ID(h2h, (h2h::admin_room))
CAF_ADD_TYPE_ID(h2h, (h2h::admin_session))
CAF_ADD_TYPE_ID(h2h, (std::vector<h2h::admin_node>))
CAF_ADD_TYPE_ID(h2h, (std::vector<h2h::admin_room>))
CAF_ADD_TYPE_ID(h2h, (std::vector<h2h::admin_session>))
CAF_ADD_TYPE_ID(h2h, (std::pair<std::string, std::uint64_t>))
CAF_ADD_TYPE_ID(h2h, (std::vector<std::pair<std::string, std::uint64_t>>))
CAF_ADD_TYPE_ID(h2h, (std::pair<std::string, std::int64_t>))
CAF_ADD_TYPE_ID(h2h, (std::vector<std::pair<std::string, std::int64_t>>))
CAF_ADD_TYPE_ID(h2h, (h2h::admin_actor))
CAF_ADD_TYPE_ID(h2h, (h2h::admin_report))
CAF_ADD_TYPE_ID(h2h, (std::vector<h2h::admin_report>))

CAF_END_TYPE_ID_BLOCK(h2h)
// clang-format on
