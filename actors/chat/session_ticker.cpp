// One timer for the deadlines of every session of a node (see
// session_ticker.hpp).
#include "actors/chat/session_ticker.hpp"

#include <spdlog/spdlog.h>

namespace h2h {

namespace {

/// Answers every ask since the last tick; the next ask arms the next one.
void tick(session_ticker_pointer self) {
  auto& st = self->state;
  st.armed = false;
  auto asked = std::move(st.asked);
  st.asked.clear();
  for (auto& addr : asked) {
    // The tick is not in session_actor's public interface (only the
    // ticker sends it): a handle for it alone.
    using tick_target = caf::typed_actor<caf::reacts_to<sess_tick_atom>>;
    if (auto session = caf::actor_cast<tick_target>(addr)) {
      self->send(session, sess_tick_atom_v);
      ++st.ticks_sent;
    }
  }
  // After a storm, give the list's memory back rather than keep room for
  // every session that once waited.
  if (asked.capacity() <= 1024) {
    asked.clear();
    st.asked.swap(asked);
  }
}

} // namespace

session_ticker_impl::behavior_type
session_ticker(session_ticker_pointer self, std::chrono::milliseconds period) {
  self->state.period = std::max(period, std::chrono::milliseconds{1});
  self->set_error_handler([](caf::error& err) {
    spdlog::warn("session ticker: {}", caf::to_string(err));
  });
  return {
    [self](tick_ask_atom, const session_actor& session) {
      auto& st = self->state;
      if (!session)
        return;
      st.asked.push_back(session.address());
      if (!st.armed) {
        st.armed = true;
        self->delayed_send(self, st.period, tick_due_atom_v);
      }
    },
    [self](tick_due_atom) { tick(self); },
  };
}

} // namespace h2h
