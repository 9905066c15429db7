#pragma once
// `connctl daemon`: the scheduler loop that ties the pieces together. Each
// piece is a small object (Scheduler, WorkerPool, Notifier, MetricsServer,
// SystemdNotifier, InstanceLock); the loop in run() reads as the list of what
// happens on each turn, and the helpers below it say how.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "catalog/store.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"

namespace connctl::daemon {

struct ServiceOptions {
  std::string catalog_url;
  std::optional<std::string> metrics_listen;  // HOST:PORT
  // Loads and validates the config: at start and on SIGHUP. Throws core::Error.
  std::function<core::Config()> load_config;
};

// Blocks SIGTERM, SIGINT, SIGHUP and SIGPIPE in the calling thread (and so in
// every thread started after it) and reads the first three from a signalfd.
// Construct it before any thread exists.
class SignalInbox {
 public:
  SignalInbox();
  ~SignalInbox();
  SignalInbox(const SignalInbox&) = delete;
  SignalInbox& operator=(const SignalInbox&) = delete;
  int fd() const { return m_fd; }
  // The signals received since the last call (non-blocking).
  std::vector<int> take();

 private:
  int m_fd = -1;
};

class Service {
 public:
  Service(ServiceOptions options, const core::Clock& clock);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Runs until SIGTERM or SIGINT; returns the exit code (0 after a clean stop).
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace connctl::daemon
