// Outgoing mail (verification codes): SMTP through libcurl, or the log when
// no SMTP server is configured.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace h2h::net {

class mailer {
public:
  virtual ~mailer() = default;
  /// Sends one plain-text mail; blocking, bounded by the timeout. Throws
  /// std::runtime_error when the server refuses or cannot be reached.
  virtual void send(const std::string& to, const std::string& subject,
                    const std::string& body)
    = 0;
  /// True when mails really leave the process.
  virtual bool delivers() const = 0;
};

/// How a mail travels to the SMTP server.
enum class smtp_tls {
  /// smtps://: TLS from the first byte.
  implicit,
  /// smtp:// to any other host: STARTTLS, and no mail without it.
  required,
  /// smtp:// to 127.0.0.1, [::1] or localhost: plain text (a local relay).
  none,
};

/// The TLS an SMTP URL gets. Only an explicitly plain URL on loopback goes
/// without TLS; anything unparsable requires it. Pure.
smtp_tls smtp_tls_for(const std::string& url);

struct smtp_settings {
  /// smtps://user:password@host:465 or smtp://host:587 (STARTTLS
  /// required); plain smtp:// only to a loopback host; empty = log only.
  std::string url;
  std::string from = "h2h@localhost";
  std::chrono::milliseconds timeout{10000};
};

/// The mailer for these settings.
std::shared_ptr<mailer> make_mailer(const smtp_settings& s);

} // namespace h2h::net
