// The room directory's part of admin commands (issue 16): this node's rooms
// listed, one room found, closed, a member kicked from it, a system message.
// Private to the directory's files.
#pragma once

#include <string>

#include "actors/chat/room_directory.hpp"

namespace h2h::directory_detail {

// -- room_directory.cpp

/// In a cluster, another node owns the room (this node would relay it).
bool owned_elsewhere(const directory_state& st, const std::string& room_id);

/// The room owned here (started for `creator` when it is not running; a
/// relay of it here is retired first).
directory_entry& serve_here(directory_pointer self, const std::string& room_id,
                            room_creator creator);

// -- directory_admin.cpp

/// This node's part of an admin command about rooms (rooms, room, close,
/// kick with a room, broadcast); others are refused (ADMIN_BAD_REQUEST).
caf::result<admin_reply> admin_part(directory_pointer self,
                                    const admin_request& req);

} // namespace h2h::directory_detail
