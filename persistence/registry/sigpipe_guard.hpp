// Keeps a write to a reset socket from killing the process with SIGPIPE.
#pragma once

#include <signal.h>

namespace h2h {

/// hiredis writes with write(2), not send(MSG_NOSIGNAL): a Redis that reset
/// the connection would raise SIGPIPE and kill the node. While alive, this
/// blocks SIGPIPE on the calling thread; at its end it takes back a SIGPIPE
/// the guarded calls raised (the call itself fails with EPIPE) and restores
/// the thread's signal mask.
class sigpipe_guard {
public:
  sigpipe_guard();
  ~sigpipe_guard();
  sigpipe_guard(const sigpipe_guard&) = delete;
  sigpipe_guard& operator=(const sigpipe_guard&) = delete;

private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

} // namespace h2h
