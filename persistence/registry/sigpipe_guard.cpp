// Blocks SIGPIPE around Redis writes (see sigpipe_guard.hpp).
#include "persistence/registry/sigpipe_guard.hpp"

#include <pthread.h>

#include <cerrno>
#include <ctime>

namespace h2h {

namespace {

bool pipe_pending() {
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

} // namespace

sigpipe_guard::sigpipe_guard() {
  sigemptyset(&pipe_);
  sigaddset(&pipe_, SIGPIPE);
  // One already pending is someone else's: leave it for them.
  was_pending_ = pipe_pending();
  pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
}

sigpipe_guard::~sigpipe_guard() {
  if (!was_pending_ && pipe_pending()) {
    timespec zero{0, 0};
    while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

} // namespace h2h
