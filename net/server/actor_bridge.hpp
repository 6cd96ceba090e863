// Asks an actor from outside the actor system (an HTTP handler on an I/O
// thread) without blocking: a short-lived actor makes the request.
#pragma once

#include <chrono>
#include <functional>
#include <tuple>
#include <utility>

#include <caf/all.hpp>

namespace h2h::net {

/// Sends `xs...` to `dest` as a request and calls `done` with the result or
/// the error, on an actor thread. Never blocks the caller.
template <class Result, class Handle, class... Ts>
void ask(caf::actor_system& sys, const Handle& dest,
         std::chrono::milliseconds timeout,
         std::function<void(caf::expected<Result>)> done, Ts... xs) {
  // Everything goes in as spawn arguments, not lambda captures: for a
  // function actor spawned without arguments CAF 0.17.6 dereferences a null
  // argument tuple (init_fun_factory.hpp), which UBSan rightly reports.
  auto body = [](caf::event_based_actor* self, Handle to,
                 std::chrono::milliseconds limit,
                 std::function<void(caf::expected<Result>)> reply,
                 std::tuple<Ts...> args) {
    auto on_result = [self, reply](Result& r) {
      reply(std::move(r));
      self->quit();
    };
    auto on_error = [self, reply](caf::error& e) {
      reply(std::move(e));
      self->quit();
    };
    std::apply(
      [&](auto&... a) {
        self->request(to, limit, std::move(a)...).then(on_result, on_error);
      },
      args);
  };
  sys.spawn(body, dest, timeout, std::move(done),
            std::make_tuple(std::move(xs)...));
}

} // namespace h2h::net
