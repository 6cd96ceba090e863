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

struct smtp_settings {
  /// smtp://host:port or smtps://user:password@host:port; empty = log only.
  std::string url;
  std::string from = "h2h@localhost";
  std::chrono::milliseconds timeout{10000};
};

/// The mailer for these settings.
std::shared_ptr<mailer> make_mailer(const smtp_settings& s);

} // namespace h2h::net
