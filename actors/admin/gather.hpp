// Asks many actors one question each and answers one admin request with
// what came back before a deadline: a short-lived actor per admin command.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "actors/vocabulary/type_ids.hpp"

namespace h2h {

/// One actor's answer: none yet (it did not answer in time), a value, or
/// an error.
template <class T>
struct gathered {
  bool answered = false;
  std::optional<T> value;
  caf::error error;
};

/// Makes the admin reply from the answers, in the order of the targets.
template <class T>
using gather_finish = std::function<admin_reply(std::vector<gathered<T>>&)>;

/// The gatherer: the owner delegates one admin request to it.
using gather_actor = caf::typed_actor<
  caf::replies_to<admin_atom, admin_request>::with<admin_reply>,
  caf::reacts_to<gather_due_atom>>;

template <class T>
struct gather_state {
  std::vector<gathered<T>> results;
  std::size_t open = 0;
  gather_finish<T> finish;
  caf::typed_response_promise<admin_reply> promise;
  bool done = false;
  static inline const char* name = "h2h.admin_gather";
};

template <class T>
using gather_pointer = gather_actor::stateful_pointer<gather_state<T>>;

namespace gather_detail {

template <class T>
void complete(gather_pointer<T> self) {
  auto& st = self->state;
  if (st.done)
    return;
  st.done = true;
  st.promise.deliver(st.finish(st.results));
  self->quit();
}

} // namespace gather_detail

/// Spawnable behaviour: on the one admin request it receives, asks each of
/// `targets` the message `xs...` (answer T) and answers with `finish` of the
/// answers once all came or `timeout` passed, then ends. The questions carry
/// no CAF timeout (0.17 keeps each until it fires): one timer per command
/// bounds the wait, and answers after it go to an actor that is gone.
template <class T, class Handle, class... Ts>
gather_actor::behavior_type
gather(gather_pointer<T> self, std::vector<Handle> targets,
       std::chrono::milliseconds timeout, gather_finish<T> finish, Ts... xs) {
  self->state.finish = std::move(finish);
  return {
    [self, targets = std::move(targets), timeout,
     args = std::make_tuple(std::move(xs)...)](
      admin_atom, const admin_request&) -> caf::result<admin_reply> {
      auto& st = self->state;
      st.promise = self->template make_response_promise<admin_reply>();
      auto promise = st.promise;
      st.results.resize(targets.size());
      st.open = targets.size();
      for (std::size_t i = 0; i < targets.size(); ++i) {
        if (!targets[i]) {
          --st.open;
          continue;
        }
        auto on_value = [self, i](T& x) {
          auto& st = self->state;
          st.results[i].answered = true;
          st.results[i].value = std::move(x);
          if (--st.open == 0)
            gather_detail::complete(self);
        };
        auto on_error = [self, i](caf::error& err) {
          auto& st = self->state;
          st.results[i].answered = true;
          st.results[i].error = std::move(err);
          if (--st.open == 0)
            gather_detail::complete(self);
        };
        std::apply(
          [&](const auto&... ys) {
            self->request(targets[i], caf::infinite, ys...)
              .then(std::move(on_value), std::move(on_error));
          },
          args);
      }
      if (st.open == 0)
        gather_detail::complete(self);
      else
        self->delayed_send(self, timeout, gather_due_atom_v);
      return promise;
    },
    [self](gather_due_atom) { gather_detail::complete(self); },
  };
}

/// Spawns a gatherer over `targets` and hands it `req`: what the caller's
/// handler returns.
template <class T, class Self, class Handle, class... Ts>
caf::delegated<admin_reply>
gather_answers(Self* self, std::vector<Handle> targets,
               std::chrono::milliseconds timeout, gather_finish<T> finish,
               const admin_request& req, Ts... xs) {
  auto g = self->spawn(gather<T, Handle, Ts...>, std::move(targets), timeout,
                       std::move(finish), std::move(xs)...);
  return self->delegate(g, admin_atom_v, req);
}

} // namespace h2h
