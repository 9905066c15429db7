#include "daemon/systemd_notify.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdint>

#include "core/log.hpp"

namespace connctl::daemon {

SystemdNotifier::SystemdNotifier() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    m_watchdog = std::chrono::microseconds(usec / 2);
  }
}

void SystemdNotifier::send(const std::string& message) {
  const int r = sd_notify(0, message.c_str());
  if (r < 0) core::log_debug("sd_notify failed: {}", r);
}

void SystemdNotifier::ready(const std::string& status) {
  m_last_status = status;
  send("READY=1\nSTATUS=" + status);
  m_last_watchdog = std::chrono::steady_clock::now();
}

void SystemdNotifier::status(const std::string& status) {
  if (status == m_last_status) return;
  m_last_status = status;
  send("STATUS=" + status);
}

void SystemdNotifier::reloading() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const std::uint64_t usec = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u +
                             static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) + "\nSTATUS=reloading the config");
}

void SystemdNotifier::stopping(const std::string& status) {
  m_last_status = status;
  send("STOPPING=1\nSTATUS=" + status);
}

void SystemdNotifier::watchdog_if_due(std::chrono::steady_clock::time_point now) {
  if (!m_watchdog || now - m_last_watchdog < *m_watchdog) return;
  m_last_watchdog = now;
  send("WATCHDOG=1");
}

}  // namespace connctl::daemon
