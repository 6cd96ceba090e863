// Sends one shared message to many actors without copying it per receiver.
#pragma once

#include <caf/all.hpp>

namespace h2h {

/// Enqueues `msg` (built once, reference-counted) at `dest` as sent by
/// `self`. Typed `send` would build a fresh message per receiver.
template <class Self, class Handle>
void send_shared(Self* self, const Handle& dest, const caf::message& msg) {
  if (!dest)
    return;
  dest->enqueue(
    caf::make_mailbox_element(self->ctrl(), caf::make_message_id(), {}, msg),
    self->context());
}

} // namespace h2h
