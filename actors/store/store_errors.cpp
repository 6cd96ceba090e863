// The one translation of store failures into our error vocabulary.
#include "actors/store/store_errors.hpp"

#include "actors/vocabulary/messages.hpp"

namespace h2h {

errc to_errc(store_failure kind) {
  switch (kind) {
    case store_failure::conflict:
      return errc::seq_conflict;
    case store_failure::unavailable:
      return errc::unavailable;
    case store_failure::permanent: // appends isolate these per event
    case store_failure::fatal:
      break;
  }
  return errc::internal;
}

store_fault make_fault(store_failure kind, std::string detail) {
  return store_fault{kind, to_errc(kind), std::move(detail)};
}

store_fault to_fault(const std::exception& e) {
  if (auto* se = dynamic_cast<const store_error*>(&e))
    return make_fault(se->kind(), se->what());
  return make_fault(store_failure::fatal, e.what());
}

caf::error to_error(const store_fault& f) {
  return caf::make_error(f.code, f.detail);
}

} // namespace h2h
