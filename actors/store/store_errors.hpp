// The one translation of store failures (persistence's store_error) into
// our error vocabulary: an errc with its text, a caf::error for actors, and
// store_result<T> for blocking jobs that return a value and never throw.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <caf/error.hpp>

#include "actors/vocabulary/errors.hpp"
#include "persistence/store.hpp"

namespace h2h {

/// A store failure as a value.
struct store_fault {
  store_failure kind = store_failure::fatal;
  /// What our callers answer (to_errc(kind)).
  errc code = errc::internal;
  /// What the store said: for logs, not for clients.
  std::string detail;
};

/// conflict: seq_conflict; unavailable: unavailable; permanent and fatal:
/// internal.
errc to_errc(store_failure kind);

/// A fault of `kind` with `detail`.
store_fault make_fault(store_failure kind, std::string detail);

/// The fault an exception stands for: a store_error keeps its kind, any
/// other exception is fatal.
store_fault to_fault(const std::exception& e);

/// The error an actor sends back for a fault.
caf::error to_error(const store_fault& f);

/// The value of a store job, or why there is none.
template <class T>
class store_result {
public:
  store_result(T value)
    : v_(std::in_place_index<0>, std::move(value)) {
  }
  store_result(store_fault f)
    : v_(std::in_place_index<1>, std::move(f)) {
  }
  bool has_value() const {
    return v_.index() == 0;
  }
  explicit operator bool() const {
    return has_value();
  }
  T& operator*() {
    return std::get<0>(v_);
  }
  const T& operator*() const {
    return std::get<0>(v_);
  }
  T* operator->() {
    return &std::get<0>(v_);
  }
  const store_fault& error() const {
    return std::get<1>(v_);
  }

private:
  std::variant<T, store_fault> v_;
};

/// Runs `f()`; a thrown exception becomes its fault (the only place where
/// store_error is caught and translated).
template <class F>
auto attempt(F&& f) -> store_result<decltype(f())> {
  try {
    return f();
  } catch (const std::exception& e) {
    return to_fault(e);
  }
}

/// Like attempt for work without a value: nullopt when it succeeded.
template <class F>
std::optional<store_fault> attempt_void(F&& f) {
  try {
    f();
    return std::nullopt;
  } catch (const std::exception& e) {
    return to_fault(e);
  }
}

} // namespace h2h
