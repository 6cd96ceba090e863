// A job that runs now and then on a schedule of its own: one run at a time,
// every interval, sooner while the last run left work behind.
#include "actors/store/periodic_job.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/vocabulary/type_ids.hpp"

namespace h2h {

namespace {

using periodic_pointer = caf::stateful_actor<periodic_state>*;

/// Starts a run; its end comes back as (run_end_atom, more), which alone
/// schedules the next run, so runs never overlap.
void start_run(periodic_pointer self) {
  auto& st = self->state;
  if (st.running)
    return;
  st.running = true;
  caf::actor me = caf::actor_cast<caf::actor>(self);
  try {
    st.task([me](bool more) { caf::anon_send(me, run_end_atom_v, more); });
  } catch (const std::exception& e) {
    spdlog::error("{}: {}", st.cfg.name, e.what());
    st.running = false;
    self->delayed_send(self, st.cfg.interval, run_atom_v);
  }
}

} // namespace

caf::behavior periodic_job(caf::stateful_actor<periodic_state>* self,
                           periodic_settings cfg, periodic_task task) {
  self->state.cfg = std::move(cfg);
  self->state.task = std::move(task);
  self->set_error_handler([self](caf::error& err) {
    spdlog::warn("{}: {}", self->state.cfg.name, caf::to_string(err));
  });
  self->set_default_handler(
    [self](caf::scheduled_actor*,
           caf::message_view&) -> caf::result<caf::message> {
      spdlog::warn("{}: unexpected message dropped", self->state.cfg.name);
      return caf::message{};
    });
  self->delayed_send(self, self->state.cfg.first_delay, run_atom_v);
  return {
    [self](run_atom) { start_run(self); },
    [self](run_end_atom, bool more) {
      auto& st = self->state;
      st.running = false;
      self->delayed_send(self, more ? st.cfg.backlog_pause : st.cfg.interval,
                         run_atom_v);
    },
  };
}

} // namespace h2h
