// Asks an actor from outside the actor system (an HTTP handler on an I/O
// thread) without blocking: a short-lived actor makes the request.
#pragma once

#include <chrono>
#include <functional>
#include <utility>

#include <caf/all.hpp>

namespace h2h::net {

/// Sends `xs...` to `dest` as a request and calls `done` with the result or
/// the error, on an actor thread. Never blocks the caller.
template <class Result, class Handle, class... Ts>
void ask(caf::actor_system& sys, const Handle& dest,
         std::chrono::milliseconds timeout,
         std::function<void(caf::expected<Result>)> done, Ts... xs) {
  sys.spawn([dest, timeout, done = std::move(done),
             args = std::make_tuple(std::move(xs)...)](
              caf::event_based_actor* self) mutable {
    auto on_result = [self, done](Result& r) {
      done(std::move(r));
      self->quit();
    };
    auto on_error = [self, done](caf::error& e) {
      done(std::move(e));
      self->quit();
    };
    std::apply(
      [&](auto&... a) {
        self->request(dest, timeout, std::move(a)...).then(on_result, on_error);
      },
      args);
  });
}

} // namespace h2h::net
