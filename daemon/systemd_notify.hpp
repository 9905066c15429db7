#pragma once
// The daemon's side of systemd's Type=notify protocol (sd_notify): READY,
// STATUS, RELOADING, STOPPING and the watchdog. Without $NOTIFY_SOCKET every
// call does nothing, so the daemon runs the same under a shell.

#include <chrono>
#include <optional>
#include <string>

namespace connctl::daemon {

class SystemdNotifier {
 public:
  SystemdNotifier();

  void ready(const std::string& status);
  void status(const std::string& status);
  // RELOADING=1 with MONOTONIC_USEC, as systemd (Type=notify-reload) expects.
  void reloading();
  void stopping(const std::string& status);

  // How often to send WATCHDOG=1: half of $WATCHDOG_USEC; nullopt when the
  // service has no watchdog.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return m_watchdog; }
  // When the next WATCHDOG=1 is due (nullopt without a watchdog).
  std::optional<std::chrono::steady_clock::time_point> next_watchdog() const {
    if (!m_watchdog) return std::nullopt;
    return m_last_watchdog + *m_watchdog;
  }
  // Sends WATCHDOG=1 when half the watchdog period has passed since the last one.
  void watchdog_if_due(std::chrono::steady_clock::time_point now);

 private:
  void send(const std::string& message);

  std::optional<std::chrono::microseconds> m_watchdog;
  std::chrono::steady_clock::time_point m_last_watchdog{};
  std::string m_last_status;
};

}  // namespace connctl::daemon
