// Threads of their own for outgoing mail: an SMTP server that is slow or
// does not answer holds up only mail, never store work. A small bounded
// queue; a place can be reserved before the mail is written (a code is
// stored first, then mailed).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace h2h::net {

/// One mail: `send` runs on a mail thread (it may block for smtp.timeout_ms);
/// `dropped` runs instead when the worker stops before the mail was sent.
struct mail_job {
  std::function<void()> send;
  std::function<void()> dropped;
};

/// A place reserved on a mail lane for one mail. Move-only; an empty
/// ticket means the lane was full. Destroying an unused ticket gives its
/// place back.
class mail_ticket {
public:
  mail_ticket() = default;
  /// `hand_over` queues the mail in the reserved place; `give_back` frees
  /// the place when no mail comes.
  mail_ticket(std::function<void(mail_job)> hand_over,
              std::function<void()> give_back);
  mail_ticket(mail_ticket&& other) noexcept;
  mail_ticket& operator=(mail_ticket&& other) noexcept;
  mail_ticket(const mail_ticket&) = delete;
  mail_ticket& operator=(const mail_ticket&) = delete;
  ~mail_ticket();

  /// True while the ticket holds a place.
  explicit operator bool() const {
    return static_cast<bool>(hand_over_);
  }

  /// Hands the mail over in the reserved place (never refused); uses the
  /// ticket up. On an empty ticket `job.dropped` runs at once.
  void submit(mail_job job);

private:
  void release();

  std::function<void(mail_job)> hand_over_;
  std::function<void()> give_back_;
};

class mail_worker {
public:
  /// Starts `workers` threads named `name`. At most `workers + max_waiting`
  /// mails are in flight: reserved, waiting or being sent (`max_waiting` 0:
  /// no bound).
  mail_worker(std::size_t workers, std::size_t max_waiting,
              std::string name = "h2h-mail");
  ~mail_worker();

  mail_worker(const mail_worker&) = delete;
  mail_worker& operator=(const mail_worker&) = delete;

  /// Reserves a place; an empty ticket when the worker is full. After stop
  /// the ticket drops its mail at once. Thread-safe.
  mail_ticket reserve();

  /// reserve() and submit in one: false when full (nothing runs).
  bool try_submit(mail_job job);

  /// Mails reserved, waiting or being sent.
  std::size_t in_flight() const;

  /// Stops the threads: mails that did not start are dropped (their
  /// `dropped` runs on this thread), mails being sent finish first (bounded
  /// by the SMTP timeout). Idempotent.
  void stop();

private:
  struct state;
  std::shared_ptr<state> state_;
};

} // namespace h2h::net
