#pragma once
// What the daemon tells Prometheus, and the HTTP endpoint that serves it
// (/metrics in the text exposition format, /healthz). The scheduler loop
// records into Metrics; the server's threads only read it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "catalog/store.hpp"
#include "core/clock.hpp"

namespace httplib {
class Server;
}

namespace connctl::daemon {

class Metrics {
 public:
  void run_finished(const std::string& job, catalog::RunStatus status, double seconds,
                    const catalog::ApplyCounts& counts, core::TimePoint finished_at);
  void fire_skipped(const std::string& job);
  // A fire this daemon claimed (won), found claimed by another daemon (lost),
  // or took over from a daemon whose lease expired (taken_over).
  void fire_claimed(const std::string& job, std::string_view result);
  void set_next_fire(const std::string& job, std::optional<core::TimePoint> next);
  void set_running(std::int64_t running);
  void set_jobs(const std::vector<std::string>& jobs);  // forgets next-fire of removed jobs

  // The Prometheus text exposition format, version 0.0.4.
  std::string render() const;

 private:
  struct JobMetrics {
    std::map<std::string, std::int64_t> runs;  // by status
    double duration_sum = 0;
    std::int64_t duration_count = 0;
    catalog::ApplyCounts entities;
    std::optional<core::TimePoint> last_success;
    std::optional<core::TimePoint> next_fire;
    std::int64_t skipped = 0;
    std::map<std::string, std::int64_t> claims;  // by result
  };

  mutable std::mutex m_mutex;
  std::map<std::string, JobMetrics> m_jobs;
  std::int64_t m_running = 0;
};

// /metrics and /healthz on ADDR (host:port; port 0 picks a free one).
class MetricsServer {
 public:
  // `healthy` is asked on each /healthz; it returns "" when healthy, else why not.
  MetricsServer(const Metrics& metrics, std::function<std::string()> healthy);
  ~MetricsServer();  // stops the server and joins its thread
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds (throws core::Error(usage) on a bad address or a port in use) and
  // serves on a thread of its own. Returns the port bound.
  int start(const std::string& address);

 private:
  const Metrics& m_metrics;
  std::function<std::string()> m_healthy;
  std::unique_ptr<httplib::Server> m_server;
  std::thread m_thread;
};

}  // namespace connctl::daemon
