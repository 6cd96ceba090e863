// Device tokens for the push dispatcher from the store, through a
// store_runner (the store pool): look-ups and removals off the actor thread.
#pragma once

#include <memory>

#include "actors/push/push_sender.hpp"
#include "actors/store/store_runner.hpp"

namespace h2h {

/// push_devices over `runner`, which must outlive the returned object. A
/// full runner or a store failure yields no tokens (logged): the push is
/// lost, the chat is not held up.
std::shared_ptr<push_devices> make_store_devices(store_runner& runner);

} // namespace h2h
